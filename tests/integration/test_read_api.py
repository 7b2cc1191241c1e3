"""The read API over real Parquet views (tests/views_builder.py), real DuckDB, real Flask.

The shop is in Europe/Warsaw (CET +1 until 2024-03-31 01:00 UTC, CEST +2 after). The clock
says 2024-04-10 10:00 UTC, so today is 2024-04-10 and last_7_days is 04-03..04-09, compared
with 03-27..04-02.
"""

from __future__ import annotations

import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.app import create_app
from schemas.clock import FixedClock
from schemas.settings import Settings
from schemas.shop import ShopConfig
from tests.views_builder import (
    at,
    customers_from_orders,
    guest_key,
    order_row,
    publish,
    write_freshness,
    write_view,
)

SHOP = ShopConfig("shop-a", "A", "https://a.example", timezone="Europe/Warsaw", currency="PLN")
OTHER = ShopConfig("shop-b", "B", "https://b.example")
TOKENS = {"token-a": SHOP, "token-b": OTHER}
AUTH = {"Authorization": "Bearer token-a"}
NOW = at("2024-04-10 10:00")
GUEST = guest_key("a@example.com")


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return TOKENS.get(token)


# id, created at (UTC), status, total, refunds, customer_id (0: guest), billing e-mail
ORDERS = [
    # last_7_days: 04-03..04-09 in Warsaw
    (101, "2024-04-03 08:00", "completed", "100.00", "0.00", 25, None),
    (102, "2024-04-05 12:00", "processing", "50.00", "20.00", 0, "A@Example.com"),  # part refund
    (103, "2024-04-06 09:00", "refunded", "40.00", "40.00", 25, None),  # all refunded: 0 net
    (104, "2024-04-07 09:00", "pending", "999.00", "0.00", 30, None),
    (105, "2024-04-07 10:00", "cancelled", "500.00", "0.00", 25, None),
    (106, "2024-04-08 10:00", "failed", "300.00", "0.00", 32, None),
    (107, "2024-04-09 22:30", "on-hold", "10.00", "0.00", 31, None),  # Warsaw 04-10: today
    (108, "2024-04-02 22:30", "completed", "60.00", "0.00", 32, None),  # Warsaw 04-03
    # the 7 days before: 03-27..04-02
    (109, "2024-03-28 10:00", "completed", "80.00", "0.00", 25, None),
    (110, "2024-03-30 23:30", "completed", "20.00", "0.00", 0, "a@example.com"),  # CET: 03-31
]


def _orders() -> list[dict]:
    return [
        order_row(
            order_id,
            at(created),
            SHOP,
            status=status,
            total=total,
            refunds=refunds,
            customer_id=customer_id,
            email=email,
        )
        for order_id, created, status, total, refunds, customer_id, email in ORDERS
    ]


PROFILES = {
    "25": {"first_name": "Anna", "last_name": "Nowak", "phone": "+48 600 100 200", "country": "PL"},
    GUEST: {"first_name": "Jan", "last_name": "Kowalski", "country": "DE"},
    "30": {"first_name": "Piotr", "country": "PL"},
    "31": {"first_name": "Ola", "country": "pl"},
    "32": {"first_name": "Ewa", "country": "CZ"},
}


def _publish(data_dir, version="v1") -> None:
    orders = _orders()
    publish(data_dir, SHOP.shop_id, orders, customers_from_orders(orders, PROFILES), version)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def client(tmp_path, clock):
    app = create_app(Settings(data_dir=tmp_path), Tokens(), clock)
    return app.test_client()


@pytest.fixture
def shop(tmp_path, client):
    _publish(tmp_path)
    return client


def get(client, path: str, **headers):
    return client.get("/api/v1/shops/shop-a/" + path, headers=AUTH | headers)


def kpis(client, query: str) -> dict:
    response = get(client, "kpis?" + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(response) -> list[int]:
    return [row["order_id"] for row in response.get_json()["data"]]


def keys(response) -> list[str]:
    return [row["customer_key"] for row in response.get_json()["data"]]


def kpi(value, previous, change, change_pct) -> dict:
    return {"value": value, "previous": previous, "change": change, "change_pct": change_pct}


# --- KPIs -------------------------------------------------------------------------------


def test_kpis_match_the_hand_computed_values_for_the_last_7_days(shop):
    body = kpis(shop, "period=last_7_days")

    assert body["shop_id"] == "shop-a"
    assert body["currency"] == "PLN"
    assert body["period"] == {"name": "last_7_days", "from": "2024-04-03", "to": "2024-04-09"}
    assert body["previous_period"] == {"from": "2024-03-27", "to": "2024-04-02"}
    assert body["kpis"] == {
        "revenue": kpi("250.00", "100.00", "150.00", 150.0),  # 101+102+103+108 vs 109+110
        "refunds": kpi("60.00", "0.00", "60.00", None),  # zero base: null percentage
        "net_revenue": kpi("190.00", "100.00", "90.00", 90.0),
        "orders": kpi(4, 2, 2, 100.0),  # the fully refunded order counts, worth 0 net
        "aov": kpi("47.50", "50.00", "-2.50", -5.0),
        "customers": kpi(3, 2, 1, 50.0),  # 25, the guest, 32 vs 25, the guest
        "new_customers": kpi(1, 2, -1, -50.0),  # 32 vs 25 and the guest
    }


def test_today_is_the_shop_day_so_an_order_at_22_30_utc_counts_for_the_next_day(shop, clock):
    clock.set(at("2024-04-09 22:45"))  # 04-10 00:45 in Warsaw

    body = kpis(shop, "period=today")

    assert body["period"] == {"name": "today", "from": "2024-04-10", "to": "2024-04-10"}
    assert body["kpis"]["revenue"]["value"] == "10.00"  # order 107 only
    assert body["kpis"]["new_customers"]["value"] == 1  # customer 31


def test_kpis_default_to_the_last_30_days_and_from_to_alone_mean_custom(shop):
    default = kpis(shop, "")
    custom = kpis(shop, "from=2024-03-31&to=2024-04-03")

    assert default["period"] == {"name": "last_30_days", "from": "2024-03-11", "to": "2024-04-09"}
    assert default["kpis"]["orders"]["value"] == 6
    assert custom["period"] == {"name": "custom", "from": "2024-03-31", "to": "2024-04-03"}
    assert custom["previous_period"] == {"from": "2024-03-27", "to": "2024-03-30"}
    assert custom["kpis"]["net_revenue"] == kpi("180.00", "80.00", "100.00", 125.0)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("period=custom&from=2024-04-01", "needs both from and to"),
        ("period=custom&from=2024-04-05&to=2024-04-01", "from must be on or before to"),
        ("period=last_7_days&from=2024-04-01&to=2024-04-02", "only used with period=custom"),
        ("period=last_week", "period must be one of"),
        ("from=2024-02-30&to=2024-03-01", "from must be a date as YYYY-MM-DD"),
        ("from=01/02/2024&to=2024-03-01", "from must be a date as YYYY-MM-DD"),
    ],
)
def test_unusable_periods_are_a_400_that_says_why(shop, query, message):
    response = get(shop, "kpis?" + query)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert message in response.get_json()["error"]["message"]


# --- a brand new shop ---------------------------------------------------------------------


def test_a_shop_without_views_answers_zeros_empty_lists_and_null_freshness(client):
    body = kpis(client, "period=year_to_date")
    orders = get(client, "orders")
    customers = get(client, "customers?format=csv")
    freshness = get(client, "freshness")

    assert body["kpis"]["revenue"] == kpi("0.00", "0.00", "0.00", None)
    assert body["kpis"]["aov"] == kpi(None, None, None, None)
    assert orders.get_json()["data"] == []
    assert orders.get_json()["pagination"] == {"page": 1, "per_page": 50, "total": 0, "pages": 0}
    assert customers.status_code == 200
    assert customers.get_data(as_text=True).splitlines()[0].startswith("customer_key,")
    assert freshness.get_json() == {
        "shop_id": "shop-a",
        "newest_event_at": None,
        "last_applied_at": None,
        "lag_seconds": None,
        "events_applied": 0,
        "views_version": None,
    }


# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer nope"}, 401, "unauthorized"),
        ({"Authorization": "Basic dG9rZW4tYTo="}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        ({"Authorization": "Bearer token-b"}, 403, "forbidden"),  # the other shop's token
    ],
)
def test_only_the_shops_own_token_reads_it(shop, headers, status, code):
    for view in ("kpis", "orders", "customers", "freshness"):
        response = shop.get("/api/v1/shops/shop-a/" + view, headers=headers)

        assert response.status_code == status
        error = response.get_json()["error"]
        assert error["code"] == code
        assert set(error) == {"code", "message"} and error["message"]


def test_a_missing_token_asks_for_bearer_auth(shop):
    response = shop.get("/api/v1/shops/shop-a/orders")

    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_for_an_unknown_shop_id_is_forbidden_without_saying_whether_it_exists(shop):
    response = shop.get("/api/v1/shops/nowhere/orders", headers=AUTH)

    assert response.status_code == 403


# --- orders -------------------------------------------------------------------------------


def test_orders_are_newest_first_by_default_with_every_view_column(shop):
    response = get(shop, "orders")
    body = response.get_json()

    assert ids(response) == [107, 106, 105, 104, 103, 102, 101, 108, 110, 109]
    assert body["columns"][:3] == ["order_id", "number", "status"]
    assert list(body["data"][0]) == body["columns"]
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": 10, "pages": 1}
    first = body["data"][0]
    assert first["created_at"] == "2024-04-09T22:30:00Z"
    assert first["revenue_day"] == "2024-04-10"
    assert (first["total"], first["is_sale"], first["customer_key"]) == ("10.00", True, "31")


def test_orders_paginate_with_page_and_per_page(shop):
    pages = [get(shop, f"orders?sort=order_id&per_page=4&page={page}") for page in (1, 2, 3, 4)]

    assert [ids(page) for page in pages] == [
        [101, 102, 103, 104],
        [105, 106, 107, 108],
        [109, 110],
        [],
    ]
    assert pages[3].get_json()["pagination"] == {"page": 4, "per_page": 4, "total": 10, "pages": 3}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=pending,cancelled", [104, 105]),
        ("status=PENDING&status=failed", [104, 106]),
        ("customer=25", [101, 103, 105, 109]),
        ("customer=" + GUEST, [102, 110]),
        ("from=2024-04-03&to=2024-04-09", [101, 102, 103, 104, 105, 106, 108]),
        ("from=2024-04-10", [107]),
        ("is_sale=false", [104, 105, 106]),
        ("is_sale=true&max_total=50", [102, 103, 107, 110]),
        ("min_total=60.00&max_total=100", [101, 108, 109]),
        ("status=completed&customer=25&from=2024-04-01", [101]),
        ("status=&customer=", [101, 102, 103, 104, 105, 106, 107, 108, 109, 110]),
    ],
)
def test_order_filters_combine(shop, query, expected):
    response = get(shop, "orders?sort=order_id&" + query)

    assert response.status_code == 200
    assert ids(response) == expected
    assert response.get_json()["pagination"]["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("total", [107, 110, 103, 102, 108, 109, 101, 106, 105, 104]),
        ("-total", [104, 105, 106, 101, 109, 108, 102, 103, 110, 107]),
        ("-order_id", [110, 109, 108, 107, 106, 105, 104, 103, 102, 101]),
        ("created_at", [109, 110, 108, 101, 102, 103, 104, 105, 106, 107]),
    ],
)
def test_orders_sort_by_the_allowed_keys(shop, sort, expected):
    assert ids(get(shop, "orders?sort=" + sort)) == expected


@pytest.mark.parametrize(
    ("view", "query", "message"),
    [
        ("orders", "sort=email", "sort must be one of created_at, -created_at"),
        ("orders", "sort=-", "sort must be one of"),
        ("orders", "from=yesterday", "from must be a date as YYYY-MM-DD (got 'yesterday')"),
        ("orders", "to=2024-13-01", "to must be a date"),
        ("orders", "is_sale=maybe", "is_sale must be true or false"),
        ("orders", "min_total=abc", "min_total must be an amount"),
        ("orders", "max_total=NaN", "max_total must be an amount"),
        ("orders", "page=0", "page must be at least 1"),
        ("orders", "page=two", "page must be a whole number"),
        ("orders", "per_page=501", "per_page must be at most 500"),
        ("orders", "format=xml", "format must be one of json, csv"),
        ("customers", "min_orders=1.5", "min_orders must be a whole number"),
        ("customers", "sort=email", "sort must be one of net_spent, -net_spent"),
    ],
)
def test_unusable_list_parameters_are_a_400_naming_the_parameter(shop, view, query, message):
    response = get(shop, view + "?" + query)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert message in response.get_json()["error"]["message"]


# --- customers ----------------------------------------------------------------------------


def test_customers_rank_by_net_spent_by_default(shop):
    response = get(shop, "customers")
    body = response.get_json()

    assert keys(response) == ["25", "32", GUEST, "31", "30"]
    anna = body["data"][0]
    assert (anna["orders"], anna["gross"], anna["refunds"], anna["net_spent"]) == (
        3,
        "220.00",
        "40.00",
        "180.00",
    )
    assert anna["first_order_day"] == "2024-03-28"
    assert body["data"][-1]["first_order_at"] is None  # 30 only has a pending order


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=A@EXAMPLE", [GUEST]),
        ("q=nowak", ["25"]),
        ("q=jan%20kowalski", [GUEST]),
        ("q=600%20100", ["25"]),
        ("q=guest-", [GUEST]),
        ("q=%25", []),  # a literal %, not a wildcard
        ("min_orders=2", ["25", GUEST]),
        ("country=pl", ["25", "31", "30"]),
        ("country=PL&min_orders=1", ["25", "31"]),
        ("sort=orders", ["30", "31", "32", GUEST, "25"]),
        ("sort=-last_order_at", ["31", "25", GUEST, "32", "30"]),
        ("sort=last_order_at", ["32", GUEST, "25", "31", "30"]),  # nulls last both ways
    ],
)
def test_customer_filters_and_sorts(shop, query, expected):
    assert keys(get(shop, "customers?" + query)) == expected


# --- CSV is the same result as JSON -------------------------------------------------------


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def as_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_table(body: dict) -> list[list[str]]:
    columns = body["columns"]
    return [columns] + [[as_cell(row[name]) for name in columns] for row in body["data"]]


@pytest.mark.parametrize(
    "path",
    [
        "orders?sort=order_id&page=1",
        "orders?status=completed,refunded&page=1&per_page=2",
        "customers?page=1",
        "customers?q=a&sort=orders&page=1",
    ],
)
def test_a_csv_page_has_exactly_the_columns_and_rows_of_the_json_page(shop, path):
    as_json = get(shop, path).get_json()
    as_csv = get(shop, path + "&format=csv")

    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_rows(as_csv) == json_table(as_json)


@pytest.mark.parametrize("view", ["orders", "customers"])
def test_csv_without_a_page_exports_every_matching_row_as_an_attachment(shop, view):
    everything = json_table(get(shop, view + "?per_page=500").get_json())

    export = get(shop, view + "?format=csv&per_page=2")

    assert export.headers["Content-Disposition"] == f"attachment; filename=shop-a-{view}.csv"
    assert csv_rows(export) == everything
    assert len(everything) > 3


def test_kpis_as_csv_are_one_row_per_metric_with_the_json_values(shop):
    body = kpis(shop, "period=last_7_days")
    rows = csv_rows(get(shop, "kpis?period=last_7_days&format=csv"))

    assert rows[0] == ["metric", "value", "previous", "change", "change_pct"]
    assert rows[1:] == [
        [name, *(as_cell(item[field]) for field in ("value", "previous", "change", "change_pct"))]
        for name, item in body["kpis"].items()
    ]
    assert rows[2] == ["refunds", "60.00", "0.00", "60.00", ""]


def test_accept_text_csv_selects_csv_and_format_json_overrides_it(shop):
    negotiated = get(shop, "freshness", Accept="text/csv")
    explicit = get(shop, "freshness?format=json", Accept="text/csv")
    browser = get(shop, "orders", Accept="text/html,application/xhtml+xml,*/*;q=0.8")

    assert negotiated.mimetype == "text/csv"
    assert csv_rows(negotiated)[0][0] == "shop_id"
    assert explicit.get_json()["shop_id"] == "shop-a"
    assert browser.mimetype == "application/json"


# --- ETag and 304 -------------------------------------------------------------------------


def test_an_unchanged_view_answers_304_without_a_body(shop):
    first = get(shop, "orders?status=completed&sort=total")
    etag = first.headers["ETag"]

    again = get(shop, "orders?sort=total&status=completed", **{"If-None-Match": etag})

    assert first.headers["Cache-Control"] == "no-cache"
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_etag_differs_by_query_format_path_and_views_version(shop, tmp_path):
    def etag(path: str, **headers) -> str:
        return get(shop, path, **headers).headers["ETag"]

    base = etag("orders")
    assert etag("orders") == base
    others = [etag("orders?page=2"), etag("orders", Accept="text/csv"), etag("customers")]
    _publish(tmp_path, version="v2")
    others.append(etag("orders"))

    assert len({base, *others}) == 5
    stale = get(shop, "orders", **{"If-None-Match": base})
    assert stale.status_code == 200
    assert stale.get_json()["pagination"]["total"] == 10


def test_kpis_etag_moves_at_the_shops_midnight(shop, clock):
    before = get(shop, "kpis").headers["ETag"]
    clock.set(at("2024-04-10 21:59"))  # 23:59 in Warsaw
    same_day = get(shop, "kpis").headers["ETag"]
    clock.set(at("2024-04-10 22:01"))  # 00:01 on 04-11

    after = get(shop, "kpis", **{"If-None-Match": before})

    assert same_day == before
    assert after.status_code == 200
    assert after.get_json()["period"]["to"] == "2024-04-10"


# --- freshness ----------------------------------------------------------------------------


def test_freshness_reports_the_processors_lag_and_the_views_version(shop, tmp_path):
    write_freshness(
        tmp_path,
        "shop-a",
        newest_event_at="2024-04-10T09:59:58.500000+00:00",
        last_applied_at=at("2024-04-10 09:59:59"),
        lag_seconds=0.75,
        events_applied=1234,
    )
    response = get(shop, "freshness")

    assert response.get_json() == {
        "shop_id": "shop-a",
        "newest_event_at": "2024-04-10T09:59:58.500000Z",
        "last_applied_at": "2024-04-10T09:59:59Z",
        "lag_seconds": 0.75,
        "events_applied": 1234,
        "views_version": "v1",
    }
    write_freshness(tmp_path, "shop-a", lag_seconds=0.5, events_applied=1240)
    later = get(shop, "freshness", **{"If-None-Match": response.headers["ETag"]})
    assert later.status_code == 200
    assert later.get_json()["events_applied"] == 1240


# --- OpenAPI, health, errors --------------------------------------------------------------


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_the_openapi_document_describes_every_route_and_parameter(client):
    response = client.get("/api/v1/openapi.json")
    document = json.loads(response.get_data(as_text=True))
    rules = {
        re.sub(r"<(\w+)>", r"{\1}", rule.rule)
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("dashboard.")
    }

    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == rules
    orders = document["paths"]["/api/v1/shops/{shop_id}/orders"]["get"]
    names = {parameter["name"] for parameter in orders["parameters"]}
    assert names >= {"shop_id", "status", "customer", "from", "to", "is_sale", "min_total"}
    assert names >= {"max_total", "sort", "page", "per_page", "format"}
    schemas = document["components"]["schemas"]
    assert {ref.rsplit("/", 1)[1] for ref in _refs(document)} <= set(schemas)
    assert set(schemas["Kpis"]["properties"]["kpis"]["properties"]) >= {"aov", "new_customers"}


def test_healthz_is_ok_and_readyz_names_the_failing_checks(tmp_path, clock):
    def broken() -> None:
        raise ConnectionError("postgresql://user:secret@db refused")

    ready = {"store": lambda: None}
    app = create_app(Settings(data_dir=tmp_path), Tokens(), clock, ready | {"broker": broken})
    client = app.test_client()

    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "not_ready"
    assert response.get_json()["checks"] == {"store": "ok", "broker": "failed"}
    assert "secret" not in response.get_data(as_text=True)
    healthy = create_app(Settings(data_dir=tmp_path), Tokens(), clock, ready).test_client()
    assert healthy.get("/readyz").status_code == 200


def test_unknown_routes_and_methods_answer_in_the_one_error_shape(client):
    missing = client.get("/api/v1/shops/shop-a/nothing", headers=AUTH)
    wrong_method = client.post("/api/v1/shops/shop-a/orders", headers=AUTH)

    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_an_unreadable_view_is_a_500_in_the_one_error_shape(shop, tmp_path):
    (tmp_path / "shops" / "shop-a" / "views" / "orders.parquet").write_bytes(b"not parquet")

    response = get(shop, "orders")

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"


def test_views_written_with_the_contract_schema_round_trip_every_column(client, tmp_path):
    row = order_row(
        7,
        at("2024-01-05 10:00"),
        SHOP,
        total="12.30",
        customer_id=3,
        paid_at=at("2024-01-05 10:01"),
        shipping="5",
        tax="2.30",
        items=3,
    )
    write_view(tmp_path, "shop-a", "orders", [row])

    data = get(client, "orders").get_json()["data"]

    assert data[0]["email"] is None
    assert (data[0]["paid_at"], data[0]["shipping"], data[0]["tax"]) == (
        "2024-01-05T10:01:00Z",
        "5.00",
        "2.30",
    )


def test_concurrent_requests_on_many_threads_each_see_their_own_views(shop):
    app = shop.application
    expected = {
        "orders?per_page=3&sort=order_id": [101, 102, 103],
        "customers?min_orders=2": ["25", GUEST],
        "kpis?period=last_7_days": "190.00",
    }

    def read(path: str):
        body = get(app.test_client(), path).get_json()
        if path.startswith("kpis"):
            return body["kpis"]["net_revenue"]["value"]
        return [row.get("order_id", row["customer_key"]) for row in body["data"]]

    paths = list(expected) * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(read, paths))

    assert answers == [expected[path] for path in paths]
