"""The read API's order and customer lists: filters, sorting, pagination and CSV.

Real Parquet views, real DuckDB, real Flask; the shop's orders are in read_api_support.py.
"""

from __future__ import annotations

import pytest

import api.queries
from tests.integration.read_api_support import GUEST, SHOP, csv_rows, get, ids, json_table, keys
from tests.views_builder import at, order_row, write_view


@pytest.fixture(autouse=True, params=["one top-N", "keys first"])
def page_path(request, monkeypatch):
    """Every list test twice: the page as one top-N over every column (few matching rows)
    and as keys first, then the rows by key (many), which must agree."""
    limit = api.queries.ONE_STEP_ROWS if request.param == "one top-N" else -1
    monkeypatch.setattr(api.queries, "ONE_STEP_ROWS", limit)


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
        ("orders", "to=", "to is empty: leave it out or give a value"),
        ("orders", "min_total=", "min_total is empty"),
        ("orders", "format=", "format is empty"),
        ("orders", "format=+", "format must be one of json, csv (got ' ')"),
        ("orders", "from=+2024-04-03", "from must be a date as YYYY-MM-DD"),
        ("orders", "page=", "page is empty"),
        ("orders", "page=1000000001", "page must be at most 1000000000"),
        ("orders", "page=99999999999999999999", "page must be at most 1000000000"),
        ("orders", "min_total=1e3", "min_total must be an amount"),
        ("customers", "min_spent=", "min_spent is empty"),
        ("customers", "max_orders=9007199254740992", "max_orders must be at most 9007199254740991"),
    ],
)
def test_unusable_list_parameters_are_a_400_naming_the_parameter(shop, view, query, message):
    response = get(shop, view + "?" + query)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert message in response.get_json()["error"]["message"]


def test_the_last_allowed_page_is_an_empty_page_not_an_error(shop):
    response = get(shop, "orders?page=1000000000&per_page=500")

    assert response.status_code == 200
    assert response.get_json()["data"] == []
    assert response.get_json()["pagination"]["page"] == 1_000_000_000


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


def test_accept_text_csv_selects_csv_and_format_json_overrides_it(shop):
    negotiated = get(shop, "freshness", Accept="text/csv")
    explicit = get(shop, "freshness?format=json", Accept="text/csv")
    browser = get(shop, "orders", Accept="text/html,application/xhtml+xml,*/*;q=0.8")

    assert negotiated.mimetype == "text/csv"
    assert csv_rows(negotiated)[0][0] == "shop_id"
    assert explicit.get_json()["shop_id"] == "shop-a"
    assert browser.mimetype == "application/json"
