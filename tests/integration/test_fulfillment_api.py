"""Fulfilment (``fulfillment``) through the read API, against this file's own computation.

Two shops. The demo shop (real pipeline, Parquet, waitress, HTTP at the demo's fixed clock
NOW): every figure is recomputed here from the raw order JSON the simulator delivered
(``date_paid_gmt``, ``date_completed_gmt``, ``status``; the newest payload of each order
wins, a ``order.deleted`` received after it trashes it), with plain-Python percentiles. The
demo has no order overdue at the default 48 hours at NOW (five processing orders were paid
within the last 44 hours), so its overdue list is checked at 1 and 24 hours, and a small
shop of this file's own (through ``ShopPipeline``, served by the app's Flask test client)
holds the overdue cases the demo lacks: on-hold, exactly at the SLA, completed while still
processing, trashed, unpaid, and a completion recorded before the payment.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from api.app import create_app
from api.catalog import ROUTES
from api.openapi import build_openapi
from ingest.demo.shop import DEMO_TIMEZONE, generate_demo_shop
from processors.pipeline import ShopPipeline
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jsoncodec import dumps_text
from schemas.settings import Settings
from schemas.shop import ShopConfig
from tests import woo_payloads as woo
from tests.integration.demo_prediction_shop import CUSTOMERS, NOW, SEED, DemoApi, demo_api
from tests.integration.openapi_check import problems

SALE = {"processing", "completed", "on-hold", "refunded"}
OPEN = {"processing", "on-hold"}
PERIODS = [  # query, first and last paid day
    ("period=custom&from=2024-03-01&to=2025-03-01", date(2024, 3, 1), date(2025, 3, 1)),
    ("from=2025-01-01&to=2025-02-28", date(2025, 1, 1), date(2025, 2, 28)),
    ("", date(2025, 1, 30), date(2025, 2, 28)),  # last_30_days, today excluded
]
COLUMNS = "order_id,number,email,customer_key,paid_at,hours_since_paid,status,total"
DOCUMENT = build_openapi(ROUTES)
HOUR = timedelta(hours=1)
Body = dict[str, Any]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[DemoApi]:
    with demo_api(tmp_path_factory.mktemp("fulfillment")) as api:
        yield api


@pytest.fixture(scope="module")
def orders() -> dict[int, Body]:
    """The winning body of every order (trashed orders left out)."""
    newest: dict[int, Body] = {}
    deleted: dict[int, datetime] = {}
    for d in generate_demo_shop(seed=SEED, now=NOW, customers=CUSTOMERS):
        if d.topic == "order.deleted":
            deleted[d.body["id"]] = max(d.at, deleted.get(d.body["id"], d.at))
        elif d.topic.startswith("order."):
            kept = newest.get(d.body["id"])
            if kept is None or d.body["date_modified_gmt"] >= kept["date_modified_gmt"]:
                newest[d.body["id"]] = d.body
    for order_id, at in deleted.items():
        if order_id in newest and at > _utc(newest[order_id]["date_modified_gmt"]):
            del newest[order_id]
    return newest


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text + "+00:00")


def _percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks: h = (n - 1) q."""
    if not values:
        return None
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def _expected_metrics(orders: dict[int, Body], first: date, last: date) -> dict[str, Any]:
    zone = ZoneInfo(DEMO_TIMEZONE)
    hours: list[float | None] = []
    for order in orders.values():
        paid = _utc(order["date_paid_gmt"])
        if order["status"] in SALE and paid and first <= paid.astimezone(zone).date() <= last:
            completed = _utc(order["date_completed_gmt"])
            hours.append(None if completed is None else max(0.0, (completed - paid) / HOUR))
    done = [h for h in hours if h is not None]
    return {
        "paid_orders": len(hours),
        "completed": len(done),
        "median": _percentile(done, 0.5),
        "p90": _percentile(done, 0.9),
        "within_24h": sum(h <= 24 for h in done) / len(hours) if hours else None,
        "within_48h": sum(h <= 48 for h in done) / len(hours) if hours else None,
    }


def _get(api: DemoApi, tail: str, **headers: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.api_token}"} | headers
    return httpx.get(api.url(tail), headers=headers, timeout=30)


def _json(api: DemoApi, tail: str) -> Body:
    response = _get(api, tail)
    assert response.status_code == 200, response.text
    return response.json()


def _approx(value: float | None, digits: int) -> Any:
    return None if value is None else pytest.approx(value, abs=0.5 * 10**-digits + 1e-9)


@pytest.mark.parametrize(("query", "first", "last"), PERIODS)
def test_the_metrics_equal_the_payloads_paid_and_completed_dates(
    served, orders, query, first, last
):
    body = _json(served, "fulfillment?" + query)
    expected = _expected_metrics(orders, first, last)
    metrics = body["metrics"]
    assert body["period"]["from"] == first.isoformat() and body["period"]["to"] == last.isoformat()
    assert metrics["paid_orders"] == expected["paid_orders"] > 50
    assert metrics["completed"] == expected["completed"] < expected["paid_orders"]
    assert metrics["hours_to_complete_median"] == _approx(expected["median"], 2)
    assert metrics["hours_to_complete_p90"] == _approx(expected["p90"], 2)
    assert metrics["completed_within_24h_share"] == _approx(expected["within_24h"], 4)
    assert metrics["completed_within_48h_share"] == _approx(expected["within_48h"], 4)
    assert problems(DOCUMENT, DOCUMENT["components"]["schemas"]["Fulfillment"], body) == []


def _expected_overdue(orders: dict[int, Body], sla_hours: int) -> list[Body]:
    due = NOW - sla_hours * HOUR
    found = [
        o
        for o in orders.values()
        if o["status"] in OPEN and not o["date_completed_gmt"]
        and o["date_paid_gmt"] and _utc(o["date_paid_gmt"]) < due
    ]  # fmt: skip
    return sorted(found, key=lambda o: (o["date_paid_gmt"], o["id"]))


@pytest.mark.parametrize(("sla_hours", "count"), [(1, 5), (24, 1), (48, 0), (8760, 0)])
def test_the_overdue_orders_are_the_open_ones_paid_longer_ago_than_the_sla(
    served, orders, sla_hours, count
):
    expected = _expected_overdue(orders, sla_hours)
    body = _json(served, f"fulfillment?sla_hours={sla_hours}")
    rows = body["overdue"]["data"]
    assert body["sla_hours"] == sla_hours and body["as_of"] == "2025-03-01T12:00:00Z"
    assert body["metrics"]["overdue_now"] == len(expected) == len(rows) == count
    assert body["pagination"] == {"page": 1, "per_page": 50, "total": count, "pages": min(count, 1)}
    for row, order in zip(rows, expected, strict=True):
        paid = _utc(order["date_paid_gmt"])
        assert (row["order_id"], row["number"], row["status"]) == (
            order["id"], order["number"], order["status"],
        )  # fmt: skip
        assert row["paid_at"] == order["date_paid_gmt"] + "Z" and row["total"] == order["total"]
        assert row["hours_since_paid"] == _approx((NOW - paid) / HOUR, 2)
        email = order["billing"]["email"].strip().lower()
        guest = "guest-" + hashlib.sha256(email.encode()).hexdigest()[:16]
        assert row["email"] == email
        assert row["customer_key"] == (str(order["customer_id"]) if order["customer_id"] else guest)


def test_the_overdue_list_pages_and_the_csv_carries_all_of_it(served, orders):
    pages = [_json(served, f"fulfillment?sla_hours=1&per_page=2&page={n}") for n in (1, 2, 3, 4)]
    assert [len(page["overdue"]["data"]) for page in pages] == [2, 2, 1, 0]
    assert pages[3]["pagination"] == {"page": 4, "per_page": 2, "total": 5, "pages": 3}
    listed = [row for page in pages for row in page["overdue"]["data"]]
    assert [row["order_id"] for row in listed] == [o["id"] for o in _expected_overdue(orders, 1)]
    for tail, headers in [
        ("fulfillment?sla_hours=1&page=2&per_page=1", {"Accept": "text/csv"}),
        ("fulfillment?sla_hours=1&format=csv", {}),
    ]:
        response = _get(served, tail, **headers)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(response.text)))
        assert ",".join(lines[0]) == COLUMNS
        assert [int(line[0]) for line in lines[1:]] == [row["order_id"] for row in listed]
        assert [float(line[5]) for line in lines[1:]] == [r["hours_since_paid"] for r in listed]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("sla_hours=0", "sla_hours must be at least 1"),
        ("sla_hours=8761", "sla_hours must be at most 8760"),
        ("sla_hours=two", "sla_hours must be a whole number"),
        ("sla_hours=", "sla_hours is empty"),
        ("sla_hours=48&format=csv&period=custom&from=2025-02-01", "period=custom needs both"),
    ],
)
def test_a_bad_parameter_is_a_400_in_the_one_error_shape(served, query, words):
    response = _get(served, "fulfillment?" + query)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(response.json()) == {"error"} and set(error) == {"code", "message"}
    assert error["code"] == "invalid_parameter" and error["message"].startswith(words)


# The small shop: Warsaw (UTC+2 in June), clock Monday 2024-06-03 12:00 UTC.
SMALL = ShopConfig("shp_fulfil", "Fulfil", "https://fulfil.example", timezone="Europe/Warsaw")
SMALL_NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
# id: status, paid, completed (UTC; None: null in the payload)
SMALL_ORDERS = {
    1001: ("completed", "2024-06-01T08:00:00", "2024-06-01T20:00:00"),  # 12 h
    1002: ("completed", "2024-06-01T09:00:00", "2024-06-02T21:00:00"),  # 36 h
    1003: ("completed", "2024-06-01T10:00:00", "2024-06-01T09:00:00"),  # before paid: 0 h
    1004: ("processing", "2024-06-01T12:00:00", None),  # exactly 48 h before the clock
    1005: ("processing", "2024-05-31T22:30:00", None),  # Warsaw 06-01 00:30; 61.5 h
    1006: ("on-hold", "2024-05-20T10:00:00", None),  # 338 h
    1007: ("processing", "2024-06-02T11:00:00", "2024-06-02T12:00:00"),  # completed: 1 h
    1008: ("pending", "2024-05-25T10:00:00", None),  # not a sale
    1009: ("processing", None, None),  # cash on delivery: not paid yet
    1010: ("completed", "2024-05-31T21:30:00", "2024-06-01T08:00:00"),  # Warsaw 05-31 23:30
    1011: ("processing", "2024-05-20T11:00:00", None),  # trashed below
    1012: ("cancelled", "2024-05-20T12:00:00", None),  # not a sale
    1013: ("refunded", "2024-06-02T08:00:00", None),  # a sale, never completed, not open
}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small shop's orders through the real pipeline, published, and an app over it."""
    data_dir = tmp_path_factory.mktemp("small-fulfilment")
    bodies = [
        woo.order(oid, status=status, created="2024-05-20T09:00:00", paid=paid, completed=done)
        for oid, (status, paid, done) in SMALL_ORDERS.items()
    ]
    envelopes = [_envelope("order.created", body, SMALL_NOW - 200 * HOUR) for body in bodies]
    envelopes.append(_envelope("order.deleted", {"id": 1011}, SMALL_NOW - HOUR))
    pipeline = ShopPipeline(data_dir, SMALL)
    try:
        _, failures = pipeline.apply(envelopes, SMALL_NOW)
        assert failures == {}, failures
        pipeline.publish(SMALL_NOW)
    finally:
        pipeline.close()
    tokens = SimpleNamespace(shop_for_token={"small-token": SMALL}.get)
    return create_app(Settings(data_dir=data_dir), tokens, FixedClock(SMALL_NOW)).test_client()


def _envelope(topic: str, body: Body, received: datetime) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SMALL.shop_id, topic, resource, event, body["id"], dumps_text(body), received)


def _small(client, query: str) -> Body:
    headers = {"Authorization": "Bearer small-token"}
    response = client.get(f"/api/v1/shops/{SMALL.shop_id}/fulfillment?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize(
    ("query", "expected"),
    [  # paid, completed, median, p90, within 24 h, within 48 h
        ("from=2024-06-01&to=2024-06-02", (7, 4, 6.5, 28.8, 0.4286, 0.5714)),
        ("period=yesterday", (2, 1, 1.0, 1.0, 0.5, 0.5)),
        ("from=2024-05-20&to=2024-05-20", (1, 0, None, None, 0.0, 0.0)),
        ("from=2024-01-01&to=2024-01-31", (0, 0, None, None, None, None)),
    ],
)
def test_the_small_shops_metrics_count_paid_days_in_the_shops_timezone(small, query, expected):
    metrics = _small(small, query)["metrics"]
    names = ["paid_orders", "completed", "hours_to_complete_median", "hours_to_complete_p90"]
    names += ["completed_within_24h_share", "completed_within_48h_share"]
    assert tuple(metrics[name] for name in names) == expected
    assert metrics["overdue_now"] == 2


@pytest.mark.parametrize(
    ("sla_hours", "expected"),
    [(48, [(1006, 338.0), (1005, 61.5)]), (47, [(1006, 338.0), (1005, 61.5), (1004, 48.0)])],
)
def test_the_small_shops_overdue_orders_are_open_paid_and_past_the_sla(small, sla_hours, expected):
    body = _small(small, f"sla_hours={sla_hours}")
    rows = body["overdue"]["data"]
    assert [(row["order_id"], row["hours_since_paid"]) for row in rows] == expected
    assert rows[0]["status"] == "on-hold" and rows[0]["paid_at"] == "2024-05-20T10:00:00Z"
    assert body["metrics"]["overdue_now"] == body["pagination"]["total"] == len(expected)
