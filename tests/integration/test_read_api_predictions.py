"""The CLV, churn, churn timeline and model routes, and the Customer 360's clv and churn,
over the five prediction views of tests/integration/prediction_shop.py (written by the real
view writer beside the views the real pipeline published for customer_shop.py's shop).

Real Parquet views, real DuckDB, real Flask; nothing mocked.
"""

from __future__ import annotations

import pytest

from processors.analytics.clv import CHURN_LEVELS, CONFIDENCE_BANDS, VALUE_SEGMENTS
from schemas.prediction_views import CHURN_VIEW, CLV_VIEW, PREDICTION_MODELS_VIEW
from tests.integration.customer_shop import (
    P1,
    P2,
    P3,
    P4,
    P5,
    P6,
    P7,
    P8,
    keys_of,
    ok,
    publish_customer_shop,
)
from tests.integration.openapi_check import problems
from tests.integration.prediction_shop import (
    BGNBD_PARAMS,
    GAMMA_GAMMA_PARAMS,
    backtest_row,
    churn_rows,
    model_row,
    prediction_tables,
    publish_predictions,
)
from tests.integration.read_api_support import as_cell, csv_rows, get, json_table, keys

PROFILE_FIELDS = ("customer_key", "email", "first_name", "last_name", "phone")
ROUTES = ["clv", "clv/model", "churn", "churn/timeline"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The customer shop (real pipeline) plus the hand-written predictions as of 04-10."""
    directory = tmp_path_factory.mktemp("prediction-shop")
    publish_customer_shop(directory)
    publish_predictions(directory, prediction_tables())
    return directory


def _error(response) -> tuple[int, str, str]:
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return response.status_code, body["error"]["code"], body["error"]["message"]


# --- CLV ----------------------------------------------------------------------------------


def test_the_clv_list_is_highest_predicted_value_first_as_of_the_prediction_day(api):
    body = ok(api, "clv")

    assert [row["customer_key"] for row in body["data"]] == keys_of(P1, P2, P7, P5, P3, P4, P8)
    assert body["columns"] == CLV_VIEW.names
    assert (body["shop_id"], body["currency"]) == ("shop-a", "PLN")
    assert body["predictions_as_of"] == "2024-04-10"
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 7, "pages": 1}
    anna = body["data"][0]
    assert (anna["email"], anna["first_name"], anna["phone"]) == (
        "anna@example.com",
        "Anna",
        "+48 600 100 200",
    )
    assert (anna["historical_clv"], anna["predicted_clv_6m"], anna["predicted_clv_12m"]) == (
        "600.00",
        "480.00",
        "910.00",
    )
    assert (anna["clv_12m_low"], anna["clv_12m_high"]) == ("700.00", "1100.00")
    assert (anna["confidence"], anna["confidence_band"], anna["value_segment"]) == (
        0.92,
        "high",
        "High",
    )
    assert (anna["last_order_day"], anna["model"]) == ("2024-04-05", "bgnbd")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=kowalski", [P2]),
        ("q=OLA@", [P3]),
        ("q=anna%20nowak", [P1]),
        ("q=%2B48%20600", [P1]),
        ("q=" + P8.key[:12], [P8]),
        ("value_segment=high", [P1]),
        ("value_segment=MEDIUM,low", [P2, P7, P5, P3, P4, P8]),
        ("value_segment=Low&value_segment=High", [P1, P3, P4, P8]),
        ("confidence_band=HIGH,Medium", [P1, P2, P5]),
        ("confidence_band=low", [P7, P3, P4, P8]),
        ("model=fallback", [P8]),
        ("model=BGNBD", [P1, P2, P7, P5, P3, P4]),
        ("min_clv_12m=30", [P1, P2, P7, P5]),
        ("max_clv_12m=24", [P3, P4, P8]),
        ("min_clv_12m=24&max_clv_12m=36.00", [P7, P5, P3, P4]),
        ("value_segment=low&model=bgnbd&confidence_band=low", [P3, P4]),
        ("min_clv_12m=10000", []),
    ],
)
def test_each_clv_filter_keeps_exactly_the_matching_customers(api, query, expected):
    body = ok(api, "clv?" + query)

    assert [row["customer_key"] for row in body["data"]] == keys_of(*expected)
    assert body["pagination"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("predicted_clv_12m", [P8, P4, P3, P5, P7, P2, P1]),  # tie P4/P3: customer_key
        ("-predicted_clv_12m", [P1, P2, P7, P5, P3, P4, P8]),
        ("predicted_clv_6m", [P8, P3, P4, P5, P7, P2, P1]),
        ("-historical_clv", [P1, P4, P2, P5, P7, P3, P8]),
        ("-confidence", [P1, P2, P5, P3, P7, P4, P8]),  # tie P3/P7: customer_key descending
        ("expected_purchases_12m", [P4, P8, P3, P7, P5, P2, P1]),
        ("-last_order_day", [P3, P1, P7, P2, P5, P8, P4]),
        ("customer_key", [P1, P2, P4, P5, P7, P3, P8]),  # P3's guest key sorts before P8's
        ("-customer_key", [P8, P3, P7, P5, P4, P2, P1]),
    ],
)
def test_the_clv_list_sorts_by_each_documented_key(api, sort, expected):
    assert keys(get(api, "clv?sort=" + sort)) == keys_of(*expected)


def test_clv_pages_partition_the_sorted_list(api):
    pages = [ok(api, f"clv?per_page=3&page={page}") for page in (1, 2, 3, 4)]

    assert [row["customer_key"] for page in pages for row in page["data"]] == keys_of(
        P1, P2, P7, P5, P3, P4, P8
    )
    assert pages[1]["pagination"] == {"page": 2, "per_page": 3, "total": 7, "pages": 3}
    assert (pages[3]["data"], pages[3]["pagination"]["total"]) == ([], 7)


def test_the_clv_export_has_the_seed_columns_and_every_matching_customer(api):
    rows = csv_rows(get(api, "clv?format=csv&per_page=2"))

    wanted = {"email", "first_name", "last_name", "phone", "historical_clv"}
    assert wanted | {"predicted_clv_6m", "predicted_clv_12m", "confidence", "value_segment"} <= (
        set(rows[0])
    )
    assert [row[0] for row in rows[1:]] == keys_of(P1, P2, P7, P5, P3, P4, P8)
    assert rows[1][rows[0].index("predicted_clv_12m")] == "910.00"


# --- churn --------------------------------------------------------------------------------


def test_the_churn_list_is_highest_risk_first_with_factors_discount_and_next_order(api):
    body = ok(api, "churn")
    rows = {row["customer_key"]: row for row in body["data"]}

    assert [row["customer_key"] for row in body["data"]] == keys_of(P4, P8, P5, P3, P2, P7, P1)
    assert body["columns"] == CHURN_VIEW.names
    assert (body["predictions_as_of"], body["currency"]) == ("2024-04-10", "PLN")
    piotr = rows[P4.key]
    assert (piotr["churn_probability"], piotr["churn_level"]) == (0.93, "Critical")
    assert piotr["risk_factors"] == "275 days overdue; one order only"
    assert (piotr["winback_discount_pct"], piotr["expected_next_order"]) == (20, None)
    assert (piotr["value_segment"], piotr["model"], piotr["aov_last_180d"]) == (
        "Low",
        "mbgnbd",
        "40.00",
    )
    assert (rows[P1.key]["expected_next_order"], rows[P1.key]["winback_discount_pct"]) == (
        "2024-05-06",
        0,
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("churn_level=critical", [P4, P8]),
        ("churn_level=high,CRITICAL", [P4, P8, P5]),
        ("churn_level=Low&churn_level=medium", [P3, P2, P7, P1]),
        ("value_segment=medium", [P5, P2, P7]),
        ("model=fallback", [P8]),
        ("model=MBGNBD", [P4, P5, P3, P2, P7, P1]),
        ("min_probability=0.4", [P4, P8, P5, P3]),
        ("min_probability=0.5&value_segment=low", [P4, P8]),
        ("min_probability=0", [P4, P8, P5, P3, P2, P7, P1]),
        ("min_probability=1", []),
        ("q=tom", [P7]),
        ("q=greta&churn_level=critical", [P8]),
    ],
)
def test_each_churn_filter_keeps_exactly_the_matching_customers(api, query, expected):
    body = ok(api, "churn?" + query)

    assert [row["customer_key"] for row in body["data"]] == keys_of(*expected)
    assert body["pagination"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("churn_probability", [P1, P7, P2, P3, P5, P8, P4]),
        ("-days_overdue", [P4, P8, P5, P2, P1, P3, P7]),  # nulls last, then customer_key
        ("days_overdue", [P1, P2, P5, P8, P4, P7, P3]),
        ("-winback_discount_pct", [P4, P8, P5, P3, P2, P7, P1]),
        ("expected_next_order", [P7, P1, P2, P4, P5, P3, P8]),
        ("-last_order_day", [P3, P1, P7, P2, P5, P8, P4]),
        ("customer_key", [P1, P2, P4, P5, P7, P3, P8]),
    ],
)
def test_the_churn_list_sorts_by_each_documented_key(api, sort, expected):
    assert keys(get(api, "churn?sort=" + sort)) == keys_of(*expected)


def test_churn_pages_are_slices_of_the_whole_export(api):
    second = ok(api, "churn?per_page=2&page=2")
    export = csv_rows(get(api, "churn", Accept="text/csv"))

    assert [row["customer_key"] for row in second["data"]] == [row[0] for row in export[3:5]]
    assert second["pagination"] == {"page": 2, "per_page": 2, "total": 7, "pages": 4}
    assert len(export) == 1 + 7


# --- churn timeline -----------------------------------------------------------------------


def test_the_churn_timeline_has_all_four_levels_of_each_recorded_day_in_order(api):
    body = ok(api, "churn/timeline")

    assert body["columns"] == ["day", "churn_level", "customers"]
    assert body["levels"] == list(CHURN_LEVELS) == ["Low", "Medium", "High", "Critical"]
    assert [list(row.values()) for row in body["data"]] == [
        ["2024-03-31", "Low", 3],
        ["2024-03-31", "Medium", 1],
        ["2024-03-31", "High", 0],
        ["2024-03-31", "Critical", 1],
        ["2024-04-03", "Low", 0],
        ["2024-04-03", "Medium", 6],
        ["2024-04-03", "High", 0],
        ["2024-04-03", "Critical", 0],
        ["2024-04-10", "Low", 2],
        ["2024-04-10", "Medium", 2],
        ["2024-04-10", "High", 1],
        ["2024-04-10", "Critical", 2],
    ]
    assert (body["from"], body["to"], body["predictions_as_of"]) == (None, None, "2024-04-10")


def test_the_last_timeline_day_counts_the_churn_list_by_level(api):
    timeline = ok(api, "churn/timeline?from=2024-04-10")["data"]

    for row in timeline:
        listed = ok(api, "churn?churn_level=" + row["churn_level"])
        assert listed["pagination"]["total"] == row["customers"], row


@pytest.mark.parametrize(
    ("query", "days"),
    [
        ("from=2024-04-01", ["2024-04-03", "2024-04-10"]),
        ("to=2024-04-03", ["2024-03-31", "2024-04-03"]),
        ("from=2024-04-03&to=2024-04-03", ["2024-04-03"]),
        ("from=2024-04-04&to=2024-04-09", []),
    ],
)
def test_the_churn_timeline_keeps_the_days_from_to(api, query, days):
    body = ok(api, "churn/timeline?" + query)

    assert [row["day"] for row in body["data"][::4]] == days
    assert len(body["data"]) == 4 * len(days)


# --- the model ----------------------------------------------------------------------------


def test_the_model_route_names_bgnbd_with_parsed_parameters_and_the_newest_backtest(api):
    body = ok(api, "clv/model")
    models = {row["model"]: row for row in body["models"]}

    assert (body["model"], body["time_unit"], body["predictions_as_of"]) == (
        "bgnbd",
        "days",
        "2024-04-10",
    )
    assert [row["model"] for row in body["models"]] == ["bgnbd", "gamma_gamma", "mbgnbd"]
    assert body["columns"] == PREDICTION_MODELS_VIEW.names
    assert models["bgnbd"]["params"] == BGNBD_PARAMS
    assert models["gamma_gamma"]["params"] == GAMMA_GAMMA_PARAMS
    assert (models["bgnbd"]["status"], models["bgnbd"]["iterations"]) == ("fitted", 42)
    assert (models["bgnbd"]["fitted_at"], models["bgnbd"]["as_of"]) == (
        "2024-04-10T10:00:00Z",
        "2024-04-10",
    )
    failed = models["mbgnbd"]
    assert (failed["status"], failed["params"], failed["message"]) == (
        "failed",
        None,
        "did not converge",
    )
    assert [row["as_of"] for row in body["backtests"]] == ["2024-04-10", "2024-03-10"]
    assert body["backtest"] == body["backtests"][0]
    assert (body["backtest"]["cutoff"], body["backtest"]["actual_purchases"]) == (
        "2024-01-11",
        10,
    )


def test_the_model_csv_is_the_prediction_models_rows_with_params_as_json_text(api):
    body = ok(api, "clv/model")

    rows = csv_rows(get(api, "clv/model?format=csv"))

    assert rows[0] == PREDICTION_MODELS_VIEW.names
    assert [row[0] for row in rows[1:]] == ["bgnbd", "gamma_gamma", "mbgnbd"]
    params = rows[0].index("params")
    assert rows[1][params] == '{"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}'
    assert rows[3][params] == ""
    others = [name for name in rows[0] if name != "params"]
    assert [[row[rows[0].index(name)] for name in others] for row in rows[1:]] == [
        [as_cell(model[name]) for name in others] for model in body["models"]
    ]


def test_a_shop_without_predictions_answers_fallback_and_empty_lists(client):
    model = get(client, "clv/model")

    assert model.status_code == 200
    assert {
        name: model.get_json()[name]
        for name in ("predictions_as_of", "model", "time_unit", "models", "backtest")
    } == {
        "predictions_as_of": None,
        "model": "fallback",
        "time_unit": "days",
        "models": [],
        "backtest": None,
    }
    assert model.get_json()["backtests"] == []
    assert csv_rows(get(client, "clv/model?format=csv")) == [PREDICTION_MODELS_VIEW.names]
    for path in ("clv", "churn", "churn/timeline"):
        body = get(client, path).get_json()
        assert (body["data"], body["predictions_as_of"]) == ([], None), path


def test_a_failed_bgnbd_fit_means_the_fallback_model(client, tmp_path):
    models = [
        model_row("gamma_gamma", "fitted", GAMMA_GAMMA_PARAMS),
        model_row("bgnbd", "failed", None),
    ]
    publish_predictions(tmp_path, prediction_tables(prediction_models=models, backtests=[]))

    body = get(client, "clv/model").get_json()

    assert (body["model"], body["backtest"], body["backtests"]) == ("fallback", None, [])
    assert [(row["model"], row["status"]) for row in body["models"]] == [
        ("bgnbd", "failed"),
        ("gamma_gamma", "fitted"),
    ]


def test_only_the_newest_backtest_is_the_backtest(client, tmp_path):
    backtests = [backtest_row("2024-04-01", 3.0, 4), backtest_row("2024-02-01", 5.0, 5)]
    publish_predictions(tmp_path, prediction_tables(backtests=backtests))

    body = get(client, "clv/model").get_json()

    assert body["backtest"]["as_of"] == "2024-04-01"
    assert body["backtest"]["purchases_error_pct"] == -25.0
    assert [row["as_of"] for row in body["backtests"]] == ["2024-04-01", "2024-02-01"]


# --- Customer 360 -------------------------------------------------------------------------


def test_customer_360_carries_the_customers_clv_and_churn_without_profile_fields(api):
    body = ok(api, "customers/1")

    clv, churn = body["clv"], body["churn"]
    assert not set(PROFILE_FIELDS) & (set(clv) | set(churn))
    assert set(clv) == set(CLV_VIEW.names) - set(PROFILE_FIELDS) | {"predictions_as_of"}
    assert set(churn) == set(CHURN_VIEW.names) - set(PROFILE_FIELDS) | {"predictions_as_of"}
    assert (clv["predicted_clv_12m"], clv["value_segment"], clv["orders"]) == ("910.00", "High", 6)
    assert (churn["churn_level"], churn["expected_next_order"]) == ("Low", "2024-05-06")
    assert clv["predictions_as_of"] == churn["predictions_as_of"] == "2024-04-10"
    assert body["profile"]["email"] == "anna@example.com"


@pytest.mark.parametrize("person", [P1, P2, P3, P4, P5, P7, P8])
def test_customer_360_blocks_are_the_customers_rows_of_the_clv_and_churn_lists(api, person):
    body = ok(api, "customers/" + person.key)

    for view in ("clv", "churn"):
        (row,) = [r for r in ok(api, view)["data"] if r["customer_key"] == person.key]
        expected = {k: v for k, v in row.items() if k not in PROFILE_FIELDS}
        assert body[view] == expected | {"predictions_as_of": "2024-04-10"}


def test_customer_360_of_a_customer_without_a_prediction_has_null_clv_and_churn(api):
    body = ok(api, "customers/" + P6.key)

    assert (body["clv"], body["churn"]) == (None, None)
    assert body["profile"]["first_name"] == "Marta"


def test_customer_360_csv_is_still_the_profile_row(api):
    rows = csv_rows(get(api, "customers/1?format=csv"))

    assert rows[0] == ok(api, "customers?q=anna&page=1")["columns"]
    assert len(rows) == 2


# --- errors, auth, ETag, CSV --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("clv?value_segment=VIP", "value_segment must be a comma-separated list of High, Medium"),
        ("clv?value_segment=High,Gold", "(got 'Gold')"),
        ("clv?confidence_band=sure", "confidence_band must be a comma-separated list of high"),
        ("clv?model=lifetimes", "model must be one of bgnbd, fallback"),
        ("clv?min_clv_12m=lots", "min_clv_12m must be an amount"),
        ("clv?sort=email", "sort must be one of predicted_clv_12m, -predicted_clv_12m"),
        ("clv?per_page=501", "per_page must be at most 500"),
        ("churn?churn_level=Severe", "churn_level must be a comma-separated list of Low, Medium"),
        ("churn?value_segment=gold", "value_segment must be a comma-separated list"),
        ("churn?model=bgnbd", "model must be one of mbgnbd, fallback"),
        ("churn?min_probability=1.5", "min_probability must be at most 1 (got '1.5')"),
        ("churn?min_probability=-0.1", "min_probability must be at least 0"),
        ("churn?min_probability=high", "min_probability must be a number from 0 to 1"),
        ("churn?sort=churn_level", "sort must be one of churn_probability, -churn_probability"),
        ("churn/timeline?from=2024-02-30", "from must be a date as YYYY-MM-DD"),
        ("churn/timeline?from=2024-04-10&to=2024-04-01", "from must be on or before to"),
        ("clv/model?format=xml", "format must be one of json, csv"),
    ],
)
def test_unusable_prediction_parameters_are_a_400_naming_the_problem(api, path, message):
    status, code, text = _error(get(api, path))

    assert (status, code) == (400, "invalid_parameter")
    assert message in text


@pytest.mark.parametrize("path", ROUTES)
def test_the_prediction_routes_need_the_shops_own_token(api, path):
    missing = api.get("/api/v1/shops/shop-a/" + path)
    other = api.get("/api/v1/shops/shop-a/" + path, headers={"Authorization": "Bearer token-b"})

    assert _error(missing)[:2] == (401, "unauthorized")
    assert _error(other)[:2] == (403, "forbidden")


@pytest.mark.parametrize("path", [*ROUTES, "clv?value_segment=low&sort=confidence"])
def test_the_prediction_routes_answer_304_to_their_etag_and_differ_by_format(api, path):
    etag = get(api, path).headers["ETag"]

    again = get(api, path, **{"If-None-Match": etag})

    assert (again.status_code, again.get_data()) == (304, b"")
    assert get(api, path, Accept="text/csv").headers["ETag"] != etag


def test_a_new_publish_of_the_predictions_changes_the_etag(client, tmp_path):
    publish_predictions(tmp_path, prediction_tables())
    etag = get(client, "churn").headers["ETag"]
    assert get(client, "churn", **{"If-None-Match": etag}).status_code == 304

    publish_predictions(tmp_path, prediction_tables(churn=churn_rows()[:1]))

    response = get(client, "churn", **{"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert keys(response) == keys_of(P1)


@pytest.mark.parametrize(
    "path",
    [
        "clv?page=1",
        "clv?value_segment=Medium,Low&sort=-confidence&page=1",
        "clv?per_page=2&page=3&sort=historical_clv",
        "churn?page=1",
        "churn?churn_level=Critical,High&min_probability=0.5&sort=days_overdue&page=1",
        "churn/timeline",
        "churn/timeline?from=2024-04-03",
    ],
)
def test_a_csv_of_every_prediction_list_has_the_columns_and_rows_of_its_json(api, path):
    as_json = ok(api, path)

    as_csv = get(api, path + ("&" if "?" in path else "?") + "format=csv")

    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(as_csv) == json_table(as_json)
    assert len(as_json["data"]) >= 1


@pytest.mark.parametrize("view", ["clv", "churn"])
def test_a_csv_export_without_page_is_the_whole_filtered_list(api, view):
    export = csv_rows(get(api, view + "?value_segment=low&format=csv&per_page=1"))

    assert export == json_table(ok(api, view + "?value_segment=low&per_page=500"))
    assert len(export) == 1 + 3


# --- OpenAPI ------------------------------------------------------------------------------

PREFIX = "/api/v1/shops/{shop_id}/"


@pytest.fixture
def document(api):
    return api.get("/api/v1/openapi.json").get_json()


def _parameters(document: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in document["paths"][PREFIX + path]["get"]["parameters"]}


@pytest.mark.parametrize(
    ("path", "names"),
    [
        (
            "clv",
            {"q", "value_segment", "confidence_band", "model", "min_clv_12m", "max_clv_12m"},
        ),
        ("churn", {"q", "churn_level", "value_segment", "model", "min_probability"}),
    ],
)
def test_the_prediction_lists_document_their_filters_sorts_and_pages(document, path, names):
    parameters = _parameters(document, path)

    assert set(parameters) == names | {"shop_id", "sort", "page", "per_page", "format"}
    assert parameters["value_segment"]["schema"]["items"]["enum"] == list(VALUE_SEGMENTS)
    assert parameters["value_segment"]["explode"] is False
    assert parameters["sort"]["schema"]["default"] == (
        "-predicted_clv_12m" if path == "clv" else "-churn_probability"
    )


def test_the_documented_enums_are_the_ones_the_views_use(document):
    clv, churn = _parameters(document, "clv"), _parameters(document, "churn")

    assert clv["confidence_band"]["schema"]["items"]["enum"] == list(CONFIDENCE_BANDS)
    assert clv["model"]["schema"]["enum"] == ["bgnbd", "fallback"]
    assert churn["churn_level"]["schema"]["items"]["enum"] == list(CHURN_LEVELS)
    assert churn["model"]["schema"]["enum"] == ["mbgnbd", "fallback"]
    assert "0 to 1" in churn["min_probability"]["description"]
    assert set(_parameters(document, "churn/timeline")) == {"shop_id", "from", "to", "format"}
    assert set(_parameters(document, "clv/model")) == {"shop_id", "format"}


@pytest.mark.parametrize("path", ROUTES)
def test_each_prediction_route_is_documented_with_bearer_auth_and_its_errors(document, path):
    operation = document["paths"][PREFIX + path]["get"]

    assert operation["security"] == [{"bearerAuth": []}]
    assert {"200", "304", "400", "401", "403"} <= set(operation["responses"])
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert operation["description"]


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("clv?per_page=500", "ClvList"),
        ("churn?per_page=500", "ChurnList"),
        ("churn/timeline", "ChurnTimeline"),
        ("clv/model", "ClvModel"),
        ("customers/1", "Customer360"),
        ("customers/" + P8.key, "Customer360"),
        ("customers/6", "Customer360"),
    ],
)
def test_every_prediction_answer_fits_the_schema_the_document_gives_it(api, document, path, schema):
    body = get(api, path).get_json()

    assert problems(document, {"$ref": "#/components/schemas/" + schema}, body) == []


def test_the_empty_model_answer_fits_its_schema_and_a_wrong_model_name_does_not(client, document):
    body = get(client, "clv/model").get_json()
    schema = {"$ref": "#/components/schemas/ClvModel"}

    assert problems(document, schema, body) == []
    assert problems(document, schema, body | {"model": "lifetimes"}) == [
        "$.model: 'lifetimes' not in ['bgnbd', 'fallback']"
    ]
