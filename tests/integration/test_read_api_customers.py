"""The customer table, Customer 360 and RFM segments over views the real processing code
published (tests/integration/customer_shop.py explains the shop and the expected scores).

Real Parquet views, real DuckDB, real Flask; nothing mocked.
"""

from __future__ import annotations

from collections import Counter

import pytest

from processors.analytics.rfm import SEGMENT_ACTIONS, SEGMENTS
from store.view_files import read_view
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
)
from tests.integration.read_api_support import as_cell, csv_rows, get, json_table, keys

# --- the customer table -------------------------------------------------------------------


def test_customers_carry_scores_status_and_consents_as_of_the_scoring_day(api):
    body = ok(api, "customers")
    anna = body["data"][0]

    assert body["scores_as_of"] == "2024-04-10"
    assert keys_of(P1, P4, P2, P5, P7, P3, P8, P6) == [row["customer_key"] for row in body["data"]]
    assert {name: anna[name] for name in ("recency_days", "r", "f", "m", "fm", "rfm_score")} == {
        "recency_days": 5,
        "r": 4,
        "f": 5,
        "m": 5,
        "fm": 5,
        "rfm_score": "455",
    }
    assert (anna["segment"], anna["recommended_action"]) == (
        "Loyal Customers",
        SEGMENT_ACTIONS["Loyal Customers"],
    )
    assert (anna["status"], anna["cycle_days"], anna["cycle_source"]) == ("Active", 31.0, "own")
    assert (anna["expected_return"], anna["days_overdue"]) == ("2024-05-06", -26.0)
    assert (anna["email_consent"], anna["sms_consent"]) == (True, False)
    marta = body["data"][-1]  # registered, only a pending order: not scored
    assert (marta["orders"], marta["segment"], marta["status"], marta["rfm_score"]) == (
        0,
        None,
        None,
        None,
    )


def test_the_seed_000_export_columns_are_among_the_customer_columns(api):
    header = csv_rows(get(api, "customers?format=csv"))[0]

    wanted = ["email", "first_name", "last_name", "rfm_score", "net_spent", "orders"]
    assert set(wanted + ["recommended_action", "segment", "status"]) <= set(header)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("segment=At%20Risk", [P4, P5]),
        ("segment=at_risk", [P4, P5]),
        ("segment=Loyal%20Customers,hibernating", [P1]),
        ("segment=recent_customers,About%20to%20Sleep,lost", [P7, P3, P8]),
        ("segment=Can%27t%20Lose%20Them", []),
        ("segment=cant_lose_them,Lost", [P8]),
        ("status=at%20risk", [P5]),
        ("status=NEW,lost", [P4, P7, P3, P8]),
        ("status=Active&segment=Loyal%20Customers", [P1]),
        ("status=Active&segment=Loyal%20Customers,needs_attention", [P1, P2]),
        ("min_orders=2", [P1, P2, P5]),
        ("max_orders=1", [P4, P7, P3, P8, P6]),
        ("min_orders=2&max_orders=3", [P2, P5]),
        ("min_spent=60&max_spent=200", [P4, P2, P5]),
        ("max_spent=0", [P6]),
        ("last_order_from=2024-04-01", [P1, P7, P3]),
        ("last_order_to=2024-01-31", [P4, P8]),
        ("last_order_from=2024-01-01&last_order_to=2024-03-31", [P2, P5, P8]),
        ("country=de", [P2, P8, P6]),
        ("email_consent=true", [P1, P3]),
        ("email_consent=false", [P2]),
        ("sms_consent=yes", [P3]),
        ("q=kowalski", [P2]),
        ("q=ola@", [P3]),
    ],
)
def test_each_customer_filter_keeps_exactly_the_matching_customers(api, query, expected):
    body = ok(api, "customers?" + query)

    assert [row["customer_key"] for row in body["data"]] == keys_of(*expected)
    assert body["pagination"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("recency_days", [P3, P1, P7, P2, P5, P8, P4, P6]),
        ("-recency_days", [P4, P8, P5, P2, P7, P1, P3, P6]),  # nulls last both ways
        ("days_overdue", [P2, P3, P1, P7, P5, P8, P4, P6]),
        ("-days_overdue", [P4, P8, P5, P7, P1, P3, P2, P6]),
        ("expected_return", [P4, P8, P5, P7, P1, P3, P2, P6]),
        ("-rfm_score", [P3, P1, P2, P7, P5, P4, P8, P6]),
        ("-orders", [P1, P5, P2, P8, P3, P7, P4, P6]),  # ties: customer_key descending
        ("last_order_at", [P4, P8, P5, P2, P7, P1, P3, P6]),
        ("net_spent", [P6, P8, P3, P7, P5, P2, P4, P1]),
    ],
)
def test_customers_sort_by_scores_status_dates_and_money(api, sort, expected):
    assert keys(get(api, "customers?sort=" + sort)) == keys_of(*expected)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("segment=Champs", "segment must be a comma-separated list of Champions, Loyal Customers"),
        ("segment=Lost,VIP", "(got 'VIP')"),
        ("status=gone", "status must be a comma-separated list of New, Active, At risk, Lost"),
        ("min_spent=lots", "min_spent must be an amount"),
        ("max_orders=-1", "max_orders must be at least 0"),
        ("last_order_from=2024-02-30", "last_order_from must be a date"),
        ("email_consent=maybe", "email_consent must be true or false"),
        ("sort=segment", "sort must be one of net_spent, -net_spent"),
    ],
)
def test_unusable_customer_parameters_are_a_400_naming_the_problem(api, query, message):
    response = get(api, "customers?" + query)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert message in response.get_json()["error"]["message"]


# --- Customer 360 -------------------------------------------------------------------------


def test_customer_360_has_profile_consents_rfm_status_and_predictions(api):
    body = ok(api, "customers/1")

    assert body["customer_key"] == "1"
    assert (body["profile"]["email"], body["profile"]["net_spent"]) == (
        "anna@example.com",
        "600.00",
    )
    assert body["consents"] == {"email": True, "sms": False}
    assert body["rfm"] == {
        "recency_days": 5,
        "r": 4,
        "f": 5,
        "m": 5,
        "fm": 5,
        "rfm_score": "455",
        "segment": "Loyal Customers",
        "recommended_action": SEGMENT_ACTIONS["Loyal Customers"],
        "scores_as_of": "2024-04-10",
    }
    assert body["status"] == {
        "status": "Active",
        "cycle_days": 31.0,
        "cycle_source": "own",
        "expected_return": "2024-05-06",
        "days_overdue": -26.0,
    }
    # no fit on a shop this small: the fallback, one purchase per 31-day cycle while alive
    assert body["clv"]["model"] == "fallback" and body["clv"]["purchase_days"] == 6
    assert body["clv"]["confidence_band"] == "low"
    churn = body["churn"]
    assert (churn["model"], churn["churn_probability"], churn["churn_level"]) == (
        "fallback",
        0.0,
        "Low",
    )
    assert churn["expected_next_order"] == "2024-05-06"  # the expected return date


def test_customer_360_lists_every_order_newest_first_in_pages(api):
    first = ok(api, "customers/7?per_page=1")
    second = ok(api, "customers/7?per_page=1&page=2")
    beyond = ok(api, "customers/7?per_page=1&page=3")

    assert [o["order_id"] for o in first["orders"]["data"]] == [1062]  # cancelled, newer
    assert [o["order_id"] for o in second["orders"]["data"]] == [1061]
    assert beyond["orders"] == {
        "pagination": {"page": 3, "per_page": 1, "total": 2, "pages": 2},
        "data": [],
    }
    assert first["orders"]["pagination"] == {"page": 1, "per_page": 1, "total": 2, "pages": 2}
    anna = ok(api, "customers/1")["orders"]["data"]
    assert [o["order_id"] for o in anna] == [1006, 1005, 1004, 1003, 1002, 1001]
    assert set(anna[0]) == set(ok(api, "orders")["columns"])


def test_customer_360_segment_history_is_oldest_first_with_previous_segments(api):
    jan = ok(api, "customers/2")["segment_history"]

    assert jan == [
        {
            "changed_on": "2024-03-31",
            "segment": "Potential Loyalist",
            "previous_segment": None,
            "r": 5,
            "f": 3,
            "m": 3,
        },
        {
            "changed_on": "2024-04-10",
            "segment": "Needs Attention",
            "previous_segment": "Potential Loyalist",
            "r": 3,
            "f": 3,
            "m": 3,
        },
    ]
    assert [h["segment"] for h in ok(api, "customers/1")["segment_history"]] == ["Loyal Customers"]


def test_customer_360_of_a_guest_and_of_a_customer_without_sales(api):
    ola = ok(api, "customers/" + P3.key)
    marta = ok(api, "customers/6")

    assert ola["consents"] == {"email": True, "sms": True}
    assert (ola["rfm"]["segment"], ola["status"]["status"]) == ("Recent Customers", "New")
    assert [o["order_id"] for o in marta["orders"]["data"]] == [1051]
    assert marta["rfm"]["segment"] is None and marta["segment_history"] == []
    assert marta["consents"] == {"email": None, "sms": None}


def test_an_unknown_customer_key_is_a_404_in_the_error_shape(api):
    response = get(api, "customers/999")

    assert response.status_code == 404
    assert response.get_json() == {
        "error": {"code": "not_found", "message": "no customer with customer_key '999'"}
    }
    assert get(api, "customers/999?format=csv").status_code == 404


def test_customer_360_csv_is_the_profile_row_with_the_customer_table_columns(api):
    profile = ok(api, "customers/2")["profile"]
    table = json_table(ok(api, "customers?q=kowalski&page=1"))

    rows = csv_rows(get(api, "customers/2?format=csv"))

    assert rows == [list(profile), [as_cell(value) for value in profile.values()]]
    assert rows == table


def test_customer_360_answers_304_to_its_etag(api):
    etag = get(api, "customers/1").headers["ETag"]

    again = get(api, "customers/1", **{"If-None-Match": etag})

    assert again.status_code == 304
    assert get(api, "customers/2").headers["ETag"] != etag


# --- segments -----------------------------------------------------------------------------


def test_segments_list_all_eleven_in_order_with_hand_computed_counts_and_revenue(api):
    body = ok(api, "segments")
    rows = {row["segment"]: row for row in body["data"]}

    assert [row["segment"] for row in body["data"]] == list(SEGMENTS)
    assert (body["scored_customers"], body["customers_without_orders"]) == (7, 1)
    assert body["scores_as_of"] == "2024-04-10"
    assert {name: row["customers"] for name, row in rows.items() if row["customers"]} == {
        "Loyal Customers": 1,
        "Recent Customers": 1,
        "Needs Attention": 1,
        "About to Sleep": 1,
        "At Risk": 2,
        "Lost": 1,
    }
    at_risk = rows["At Risk"]
    assert (at_risk["revenue"], at_risk["average_spent"], at_risk["share"]) == (
        "260.00",
        "130.00",
        0.2857,
    )
    assert (rows["Lost"]["revenue"], rows["Lost"]["share"]) == ("25.00", 0.1429)
    champions = rows["Champions"]
    assert (champions["customers"], champions["revenue"], champions["average_spent"]) == (
        0,
        "0.00",
        None,
    )
    assert champions["recommended_action"] == SEGMENT_ACTIONS["Champions"]
    assert champions["description"].startswith("Best customers")


def test_segment_counts_sum_to_the_customers_with_a_sale_order_and_match_the_table(api):
    segments = ok(api, "segments")
    customers = ok(api, "customers?per_page=500")["data"]

    counted = Counter(row["segment"] for row in customers if row["orders"] > 0)
    assert sum(row["customers"] for row in segments["data"]) == segments["scored_customers"]
    assert segments["scored_customers"] == sum(1 for row in customers if row["orders"] > 0)
    assert {row["segment"]: row["customers"] for row in segments["data"] if row["customers"]} == (
        dict(counted)
    )


@pytest.mark.parametrize(
    ("by_name", "by_filter", "segment"),
    [
        ("name=At%20Risk", "segment=At%20Risk", "At Risk"),
        (
            "name=recent_customers&sort=recency_days",
            "segment=Recent%20Customers&sort=recency_days",
            "Recent Customers",
        ),
        (
            "name=at_risk&per_page=1&page=2",
            "segment=At%20Risk&per_page=1&page=2",
            "At Risk",
        ),
        ("name=CHAMPIONS", "segment=Champions", "Champions"),
    ],
)
def test_one_segment_is_exactly_the_customer_table_filtered_by_that_segment(
    api, by_name, by_filter, segment
):
    body = ok(api, "segments?" + by_name)

    assert body == ok(api, "customers?" + by_filter)
    assert [row["segment"] for row in body["data"]] == [segment] * len(body["data"])
    expected = {"At Risk": 2, "Recent Customers": 1, "Champions": 0}
    assert body["pagination"]["total"] == expected[segment]


def test_the_csv_export_of_a_segment_is_the_whole_segment(api):
    export = csv_rows(get(api, "segments?name=at_risk&format=csv&per_page=1"))

    assert export == csv_rows(get(api, "customers?segment=At%20Risk&format=csv"))
    assert [row[0] for row in export[1:]] == keys_of(P4, P5)


def test_an_unknown_segment_name_is_a_400_listing_the_segments(api):
    response = get(api, "segments?name=VIPs")

    assert response.status_code == 400
    assert (
        "name must be one of Champions, Loyal Customers" in response.get_json()["error"]["message"]
    )


def test_a_shop_without_views_has_eleven_empty_segments(client):
    body = get(client, "segments").get_json()

    assert [row["customers"] for row in body["data"]] == [0] * 11
    assert [row["share"] for row in body["data"]] == [None] * 11
    assert (body["scored_customers"], body["scores_as_of"]) == (0, None)


def test_segment_history_rows_are_the_published_ones(api, data_dir):
    published = read_view(data_dir / "shops" / "shop-a" / "views", "segment_history")
    moved = {row["customer_key"] for row in published.to_pylist()}

    for key in moved:
        history = ok(api, "customers/" + key)["segment_history"]
        rows = [row for row in published.to_pylist() if row["customer_key"] == key]
        assert [h["changed_on"] for h in history] == [str(row["changed_on"]) for row in rows]
        assert history[-1]["segment"] == ok(api, "customers/" + key)["rfm"]["segment"]


# --- auth and ETag on every new route ----------------------------------------------------

NEW_ROUTES = ["customers/1", "segments", "segments?name=Lost", "retention", "timeseries"]


@pytest.mark.parametrize("path", NEW_ROUTES)
def test_the_new_routes_need_the_shops_own_token(api, path):
    missing = api.get("/api/v1/shops/shop-a/" + path)
    other = api.get("/api/v1/shops/shop-a/" + path, headers={"Authorization": "Bearer token-b"})

    assert (missing.status_code, missing.get_json()["error"]["code"]) == (401, "unauthorized")
    assert (other.status_code, other.get_json()["error"]["code"]) == (403, "forbidden")


@pytest.mark.parametrize("path", NEW_ROUTES)
def test_the_new_routes_answer_304_to_their_etag_and_differ_by_format(api, path):
    etag = get(api, path).headers["ETag"]

    again = get(api, path, **{"If-None-Match": etag})

    assert again.status_code == 304
    assert get(api, path, Accept="text/csv").headers["ETag"] != etag


# --- CSV is the same result as JSON -------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "customers?page=1",
        "customers?segment=At%20Risk,Lost&status=Lost&sort=-days_overdue&page=1",
        "customers?min_orders=1&sort=expected_return&page=1&per_page=3",
        "segments?page=1",
        "segments",
        "segments?name=Recent%20Customers&page=1",
    ],
)
def test_a_csv_of_every_customer_list_has_the_columns_and_rows_of_its_json(api, path):
    as_json = ok(api, path)

    as_csv = get(api, path + ("&" if "?" in path else "?") + "format=csv")

    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(as_csv) == json_table(as_json)
    assert len(as_json["data"]) >= 1
