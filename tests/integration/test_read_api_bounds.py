"""The read API never answers 500 for data it published (issue 10).

Views written before predictions were bounded can hold an expected next order past year
9999 (Parquet's date32 reaches year 5,881,580; Python's date stops at 9999) and NaN or
infinite numbers, which JSON cannot carry. Such a value is served as null, in JSON, in CSV
and in the Customer 360. A CSV export is rendered whole before its first byte, so a
failure is an error in the one shape, never a 200 cut off mid-stream. And the predictions
of the real demo shop keep every expected next order within NEXT_ORDER_HORIZON_DAYS.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import httpx
import pyarrow as pa
import pytest
from flask import Flask

from api.render import render_csv
from api.result import Result
from processors.analytics.clv import NEXT_ORDER_HORIZON_DAYS
from tests.integration.customer_shop import P1, P2, P4, ok, publish_customer_shop
from tests.integration.demo_prediction_shop import demo_api
from tests.integration.prediction_shop import prediction_tables, publish_predictions
from tests.integration.read_api_support import csv_rows, get

FAR_DAYS = 5_000_000  # days after 1970-01-01: in the year 15659
MAY_24 = (date(2024, 5, 24) - date(1970, 1, 1)).days


def _column(table: pa.Table, name: str, values: list) -> pa.Table:
    index = table.schema.get_field_index(name)
    return table.set_column(index, table.schema.field(index), pa.array(values, table[name].type))


def _hostile_churn(churn: pa.Table) -> pa.Table:
    """P1 expected back in the year 15659 with a NaN probability, P2 expected on 05-24,
    P4 overdue by infinitely many days."""
    keys = churn["customer_key"].to_pylist()
    next_order = [{P1.key: FAR_DAYS, P2.key: MAY_24}.get(key) for key in keys]
    overdue = [math.inf if key == P4.key else 1.0 for key in keys]
    probability = [
        math.nan if key == P1.key else value
        for key, value in zip(keys, churn["churn_probability"].to_pylist(), strict=True)
    ]
    table = _column(churn, "expected_next_order", next_order)
    table = _column(table, "days_overdue", overdue)
    return _column(table, "churn_probability", probability)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """The customer shop with predictions whose churn view holds unrenderable values."""
    directory = tmp_path_factory.mktemp("hostile-predictions")
    publish_customer_shop(directory)
    tables = prediction_tables()
    tables["churn"] = _hostile_churn(tables["churn"])
    publish_predictions(directory, tables)
    return directory


def _row(body: dict, key: str) -> dict:
    return next(row for row in body["data"] if row["customer_key"] == key)


def test_a_churn_row_expected_past_year_9999_is_served_as_json_with_null(api):
    body = ok(api, "churn?per_page=500")

    assert _row(body, P1.key)["expected_next_order"] is None
    assert _row(body, P2.key)["expected_next_order"] == "2024-05-24"


def test_nan_and_infinite_numbers_are_served_as_null(api):
    body = ok(api, "churn?sort=customer_key")

    assert _row(body, P1.key)["churn_probability"] is None
    assert _row(body, P4.key)["days_overdue"] is None
    assert _row(body, P2.key)["days_overdue"] == 1.0


def test_the_csv_export_with_a_far_date_is_complete_with_empty_cells(api):
    response = get(api, "churn?format=csv")

    assert response.status_code == 200
    header, *rows = csv_rows(response)
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert len(rows) == 7
    assert cells[P1.key]["expected_next_order"] == ""
    assert cells[P1.key]["churn_probability"] == ""
    assert cells[P2.key]["expected_next_order"] == "2024-05-24"
    assert int(response.headers["Content-Length"]) == len(response.get_data())


def test_customer_360_of_a_customer_expected_past_year_9999_has_a_null_next_order(api):
    body = ok(api, "customers/" + P1.key)

    assert body["churn"]["expected_next_order"] is None
    assert body["churn"]["churn_probability"] is None
    assert body["churn"]["days_overdue"] == 1.0
    assert body["profile"]["customer_key"] == P1.key


def _rows_then_a_failure():
    yield ("a", 1)
    raise RuntimeError("the view went away")


def test_a_csv_that_fails_while_rendering_raises_before_any_byte_is_sent():
    with Flask("csv").test_request_context():
        with pytest.raises(RuntimeError, match="went away"):
            render_csv(Result(("name", "n"), _rows_then_a_failure()), "x.csv")


def test_a_csv_is_sent_whole_with_its_length_and_attachment_name():
    rows = [(f"row {n}", n) for n in range(2500)]  # more than one chunk of 1,000 rows
    with Flask("csv").test_request_context():
        response = render_csv(Result(("name", "n"), iter(rows)), "shop-a-churn.csv")
        body = b"".join(response.response)
        response.close()

    assert body.decode().splitlines() == ["name,n", *(f"row {n},{n}" for n in range(2500))]
    assert response.content_length == len(body)
    assert response.headers["Content-Disposition"] == "attachment; filename=shop-a-churn.csv"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with demo_api(tmp_path_factory.mktemp("demo")) as served:
        yield served


def test_the_demo_shops_expected_next_orders_lie_within_the_horizon(demo):
    auth = {"Authorization": "Bearer " + demo.api_token}
    response = httpx.get(demo.url("churn?format=csv"), headers=auth)

    assert response.status_code == 200
    header, *rows = [line.split(",") for line in response.text.splitlines()]
    column = header.index("expected_next_order")
    expected = [date.fromisoformat(row[column]) for row in rows if row[column]]
    limit = date(2025, 3, 1) + timedelta(days=NEXT_ORDER_HORIZON_DAYS)
    assert 0 < len(expected) < len(rows)  # some customers are expected back, some are not
    assert max(expected) <= limit


def test_demo_customers_alive_but_not_back_within_the_horizon_have_no_date(demo):
    """Churn probability under 0.5 yet no expected next order: the median wait lies past
    the horizon (before the bound, centuries for some: the rows that answered 500)."""
    auth = {"Authorization": "Bearer " + demo.api_token}
    body = httpx.get(demo.url("churn?per_page=500&min_probability=0.4"), headers=auth).json()
    alive = [row for row in body["data"] if row["churn_probability"] < 0.5]
    beyond = [row["customer_key"] for row in alive if row["expected_next_order"] is None]

    assert 0 < len(beyond) < len(alive)
    for key in beyond:
        person = httpx.get(demo.url("customers/" + key), headers=auth)
        assert person.status_code == 200
        assert person.json()["churn"]["expected_next_order"] is None
