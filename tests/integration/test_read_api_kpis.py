"""The read API's KPIs and freshness over real Parquet views, real DuckDB, real Flask.

Dates and the shop's orders are explained in read_api_support.py.
"""

from __future__ import annotations

import pytest

from tests.integration.read_api_support import as_cell, csv_rows, get, kpi, kpis
from tests.views_builder import at, write_freshness

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


# --- KPIs as CSV --------------------------------------------------------------------------


def test_kpis_as_csv_are_one_row_per_metric_with_the_json_values(shop):
    body = kpis(shop, "period=last_7_days")
    rows = csv_rows(get(shop, "kpis?period=last_7_days&format=csv"))

    assert rows[0] == ["metric", "value", "previous", "change", "change_pct"]
    assert rows[1:] == [
        [name, *(as_cell(item[field]) for field in ("value", "previous", "change", "change_pct"))]
        for name, item in body["kpis"].items()
    ]
    assert rows[2] == ["refunds", "60.00", "0.00", "60.00", ""]


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
