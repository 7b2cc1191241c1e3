"""Retention and the customer timeseries over views the real processing code published
(tests/integration/customer_shop.py explains the shop; today is 2024-04-10 in Warsaw).

Numbers are hand-computed, and cross-checked with the pure functions of
processors/analytics/retention.py over the published orders.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow.compute as pc
import pytest

from processors.analytics.retention import cohort_retention, purchase_count_distribution
from store.view_files import read_view
from tests.integration.customer_shop import (
    ok,
)
from tests.integration.read_api_support import as_cell, csv_rows, get, json_table

TABLES = ("purchase_counts", "over_time", "cohorts", "contacts")


def sale_orders(data_dir) -> tuple[np.ndarray, np.ndarray]:
    orders = read_view(data_dir / "shops" / "shop-a" / "views", "orders")
    sales = orders.filter(pc.field("is_sale"))
    days = sales["revenue_day"].to_numpy().astype("datetime64[D]")
    return np.asarray(sales["customer_key"].to_pylist()), days


def rows(block: dict) -> list[list]:
    return [list(row.values()) for row in block["data"]]


# --- retention ----------------------------------------------------------------------------


def test_purchase_counts_now_are_the_hand_computed_buckets(api):
    body = ok(api, "retention")

    assert rows(body["purchase_counts"]) == [
        ["1", 4, 0.5714],  # P3, P4, P7, P8
        ["2", 1, 0.1429],  # P2
        ["3", 1, 0.1429],  # P5 (two orders on one day count twice)
        ["4", 0, 0.0],
        ["5+", 1, 0.1429],  # P1
    ]
    assert body["repeat_purchase_rate"] == 0.4286
    assert (body["as_of"], body["from"], body["to"], body["table"]) == (
        "2024-04-10",
        "2023-05-01",
        "2024-04-10",
        None,
    )


def test_purchase_counts_match_the_pure_retention_functions(api, data_dir):
    customers, _ = sale_orders(data_dir)
    expected = purchase_count_distribution(customers)

    body = ok(api, "retention?table=purchase_counts")

    assert [row["customers"] for row in body["purchase_counts"]["data"]] == list(expected.customers)
    assert body["repeat_purchase_rate"] == round(expected.repeat_rate, 4)


def test_purchases_over_time_count_what_each_customer_bought_by_each_month_end(api):
    body = ok(api, "retention?table=over_time")
    quiet = [0, 0, 0, 0, 0]

    assert body["over_time"]["columns"] == [
        "month",
        "as_of",
        "customers",
        "purchases_1",
        "purchases_2",
        "purchases_3",
        "purchases_4",
        "purchases_5_plus",
        "repeat_rate",
    ]
    assert rows(body["over_time"]) == [
        ["2023-05-01", "2023-05-31", 0, *quiet, None],
        ["2023-06-01", "2023-06-30", 1, 1, 0, 0, 0, 0, 0.0],  # P4
        ["2023-07-01", "2023-07-31", 1, 1, 0, 0, 0, 0, 0.0],
        ["2023-08-01", "2023-08-31", 1, 1, 0, 0, 0, 0, 0.0],
        ["2023-09-01", "2023-09-30", 1, 1, 0, 0, 0, 0, 0.0],
        ["2023-10-01", "2023-10-31", 1, 1, 0, 0, 0, 0, 0.0],
        ["2023-11-01", "2023-11-30", 2, 2, 0, 0, 0, 0, 0.0],  # + P1
        ["2023-12-01", "2023-12-31", 2, 1, 1, 0, 0, 0, 0.5],  # P8's order is 01-01 in Warsaw
        ["2024-01-01", "2024-01-31", 4, 3, 0, 1, 0, 0, 0.25],
        ["2024-02-01", "2024-02-29", 5, 3, 1, 0, 1, 0, 0.4],
        ["2024-03-01", "2024-03-31", 5, 2, 1, 1, 0, 1, 0.6],
        ["2024-04-01", "2024-04-10", 7, 4, 1, 1, 0, 1, 0.4286],  # ends today
    ]
    assert set(body) >= {"over_time", "table"} and "cohorts" not in body


def test_over_time_follows_from_and_to_and_its_last_month_ends_on_to(api):
    body = ok(api, "retention?table=over_time&from=2024-02-15&to=2024-03-10")

    assert (body["from"], body["to"]) == ("2024-02-01", "2024-03-10")
    assert rows(body["over_time"]) == [
        ["2024-02-01", "2024-02-29", 5, 3, 1, 0, 1, 0, 0.4],
        ["2024-03-01", "2024-03-10", 5, 3, 0, 1, 0, 1, 0.4],  # P2's 2nd order is on 03-20
    ]


def test_cohorts_are_the_hand_computed_matrix_with_zeros_up_to_the_current_month(api):
    cohorts = ok(api, "retention?table=cohorts")["cohorts"]
    cells = {(row["cohort"], row["month_offset"]): row for row in cohorts["data"]}

    assert sorted({row["cohort"] for row in cohorts["data"]}) == [
        "2023-06-01",
        "2023-11-01",
        "2024-01-01",
        "2024-02-01",
        "2024-04-01",
    ]
    assert len(cohorts["data"]) == 11 + 6 + 4 + 3 + 1
    january = [cells["2024-01-01", k] for k in range(4)]
    assert [(c["size"], c["customers"], c["share"]) for c in january] == [
        (2, 2, 1.0),  # P2 and P8 (01-01 in Warsaw)
        (2, 0, 0.0),
        (2, 1, 0.5),  # P2 in March
        (2, 0, 0.0),
    ]
    assert [cells["2023-11-01", k]["customers"] for k in range(6)] == [1] * 6  # P1 monthly
    assert [cells["2023-06-01", k]["customers"] for k in range(11)] == [1] + [0] * 10
    assert [cells["2024-02-01", k]["share"] for k in range(3)] == [1.0, 1.0, 0.0]
    assert (cells["2024-04-01", 0]["size"], ("2024-04-01", 1) in cells) == (2, False)


def test_cohorts_match_the_pure_retention_functions(api, data_dir):
    customers, days = sale_orders(data_dir)
    expected = cohort_retention(customers, days, np.datetime64("2024-04-10"))
    first = str(expected.cohort[0]) + "-01"

    body = ok(api, "retention?table=cohorts&from=" + first)

    for index, cohort in enumerate(expected.cohort):
        mine = [row for row in body["cohorts"]["data"] if row["cohort"] == str(cohort) + "-01"]
        observed = [share for share in expected.share[index] if not math.isnan(share)]
        assert [row["size"] for row in mine] == [int(expected.size[index])] * len(observed)
        assert [row["share"] for row in mine] == [round(share, 4) for share in observed]


def test_contacts_count_customers_new_ones_and_consents_per_channel(api):
    contacts = ok(api, "retention?table=contacts")["contacts"]

    assert contacts["data"] == [
        {
            "customers": 8,  # P6 is registered without a sale
            "buyers": 7,
            "new_yesterday": 1,  # P3 on 04-09
            "new_last_7_days": 2,  # P7 on 04-03 and P3
            "email_granted": 2,  # P1, P3
            "email_refused": 1,  # P2
            "email_unknown": 5,
            "sms_granted": 1,  # P3
            "sms_refused": 1,  # P1
            "sms_unknown": 6,
        }
    ]


def test_json_without_table_carries_every_table(api):
    body = ok(api, "retention")

    assert [name for name in TABLES if name in body] == list(TABLES)
    assert all(set(body[name]) == {"columns", "data"} for name in TABLES)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("table=everything", "table must be one of purchase_counts, over_time, cohorts"),
        ("from=2024-05-01&to=2024-04-01", "from must be on or before to"),
        ("from=2010-01-01", "from..to spans at most 120 months (this one: 172)"),
        ("to=04/10/2024", "to must be a date as YYYY-MM-DD"),
    ],
)
def test_unusable_retention_parameters_are_a_400_naming_the_problem(api, query, message):
    response = get(api, "retention?" + query)

    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_a_shop_without_views_has_an_empty_retention(client):
    body = get(client, "retention").get_json()

    assert [row["customers"] for row in body["purchase_counts"]["data"]] == [0] * 5
    assert body["repeat_purchase_rate"] is None
    assert body["cohorts"]["data"] == []
    assert len(body["over_time"]["data"]) == 12


@pytest.mark.parametrize("table", TABLES)
def test_each_retention_table_as_csv_has_the_columns_and_rows_of_its_json(api, table):
    selected = ok(api, "retention?table=" + table)
    everything = ok(api, "retention")

    as_csv = csv_rows(get(api, "retention?format=csv&table=" + table))

    block = selected[table]
    expected = [block["columns"]] + [
        [as_cell(r[c]) for c in block["columns"]] for r in block["data"]
    ]
    assert as_csv == expected
    assert everything[table] == block
    assert len(as_csv) > 1


def test_the_retention_csv_defaults_to_purchase_counts(api):
    as_csv = csv_rows(get(api, "retention", Accept="text/csv"))

    assert as_csv[0] == ["purchases", "customers", "share"]
    assert [row[0] for row in as_csv[1:]] == ["1", "2", "3", "4", "5+"]


# --- timeseries ---------------------------------------------------------------------------


def series(body: dict) -> list[list]:
    return [list(row.values()) for row in body["data"]]


def test_timeseries_by_day_has_every_day_of_the_last_7_days(api):
    body = ok(api, "timeseries?period=last_7_days")

    assert body["period"] == {"name": "last_7_days", "from": "2024-04-03", "to": "2024-04-09"}
    assert body["columns"] == [
        "bucket_start",
        "bucket_end",
        "total_customers",
        "new_customers",
        "net_revenue",
        "transactions",
    ]
    assert series(body) == [
        ["2024-04-03", "2024-04-03", 6, 1, "40.00", 1],  # P7 (its cancelled order: no sale)
        ["2024-04-04", "2024-04-04", 6, 0, "0.00", 0],
        ["2024-04-05", "2024-04-05", 6, 0, "100.00", 1],  # P1
        ["2024-04-06", "2024-04-06", 6, 0, "0.00", 0],
        ["2024-04-07", "2024-04-07", 6, 0, "0.00", 0],
        ["2024-04-08", "2024-04-08", 6, 0, "0.00", 0],  # P6's pending order is no sale
        ["2024-04-09", "2024-04-09", 7, 1, "30.00", 1],  # P3
    ]


def test_timeseries_by_week_cuts_the_first_and_last_weeks_to_the_period(api):
    body = ok(api, "timeseries?period=last_30_days&interval=week")

    assert body["interval"] == "week"
    assert series(body) == [
        ["2024-03-11", "2024-03-17", 5, 0, "0.00", 0],
        ["2024-03-18", "2024-03-24", 5, 0, "30.00", 1],  # P2: 50.00 less 20.00 refunded
        ["2024-03-25", "2024-03-31", 5, 0, "0.00", 0],
        ["2024-04-01", "2024-04-07", 6, 1, "140.00", 2],
        ["2024-04-08", "2024-04-09", 7, 1, "30.00", 1],
    ]


def test_timeseries_by_month_puts_a_new_years_eve_order_in_january_in_warsaw(api):
    body = ok(api, "timeseries?from=2024-01-01&to=2024-03-31&interval=month")

    assert body["period"]["name"] == "custom"
    assert series(body) == [
        ["2024-01-01", "2024-01-31", 4, 2, "175.00", 3],  # P2 and P8 new; P1, P4 before
        ["2024-02-01", "2024-02-29", 5, 1, "140.00", 3],
        ["2024-03-01", "2024-03-31", 5, 0, "150.00", 3],
    ]


@pytest.mark.parametrize(
    ("query", "bounds"),
    [
        ("period=previous_week&interval=week", [("2024-04-01", "2024-04-07")]),
        ("period=last_month&interval=month", [("2024-03-01", "2024-03-31")]),
        (
            "period=last_month&interval=week",
            [
                ("2024-03-01", "2024-03-03"),
                ("2024-03-04", "2024-03-10"),
                ("2024-03-11", "2024-03-17"),
                ("2024-03-18", "2024-03-24"),
                ("2024-03-25", "2024-03-31"),
            ],
        ),
    ],
)
def test_previous_week_and_last_month_are_full_calendar_periods(api, query, bounds):
    body = ok(api, "timeseries?" + query)

    assert [(row["bucket_start"], row["bucket_end"]) for row in body["data"]] == bounds


def test_a_bucket_total_is_the_customers_so_far_and_new_ones_add_up(api):
    body = ok(api, "timeseries?from=2023-06-01&to=2024-04-09&interval=month")
    totals = [row["total_customers"] for row in body["data"]]
    new = [row["new_customers"] for row in body["data"]]

    assert totals[-1] == 7 and sum(new) == 7
    assert all(b - a == n for a, b, n in zip(totals, totals[1:], new[1:], strict=False))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("interval=hour", "interval must be one of day, week, month"),
        ("period=custom&from=2024-01-01", "needs both from and to"),
        ("from=2000-01-01&to=2024-01-01", "more than 1000 day buckets"),
        ("period=fortnight", "period must be one of"),
    ],
)
def test_unusable_timeseries_parameters_are_a_400_naming_the_problem(api, query, message):
    response = get(api, "timeseries?" + query)

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    assert message in response.get_json()["error"]["message"]


@pytest.mark.parametrize(
    "query", ["period=last_7_days", "period=last_30_days&interval=week", "period=last_month"]
)
def test_a_timeseries_csv_has_the_columns_and_rows_of_its_json(api, query):
    as_json = ok(api, "timeseries?" + query)

    as_csv = csv_rows(get(api, "timeseries?format=csv&" + query))

    assert as_csv == json_table(as_json)
    assert len(as_csv) > 1
