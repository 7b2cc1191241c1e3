"""Helpdesk tickets through the real pipeline: ticket and order payloads -> envelopes ->
``ShopPipeline`` (raw log, DuckDB state) -> the published ``tickets`` view -> the
``fulfillment`` endpoint's ticket metrics, served by the read API's Flask test client.

Every expected figure is computed here from the raw ticket and order JSON (the winning body
of each ticket id, a ``ticket.deleted`` received after it trashes it, days in the shop's
timezone), not by the code under test. The shop is in Warsaw (UTC+2 in June).
"""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.app import create_app
from processors.pipeline import ShopPipeline
from processors.projections.engine import ViewEngine
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope
from schemas.jsoncodec import dumps_text
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.view_files import read_view
from tests import woo_payloads as woo

SHOP = ShopConfig("shp_tickets", "Tickets", "https://tickets.example", timezone="Europe/Warsaw")
ZONE = ZoneInfo("Europe/Warsaw")
NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
WISMO = {"where_is_my_order", "wismo", "shipping", "delivery", "tracking"}
SALE = {"processing", "completed", "on-hold", "refunded"}
Body = dict[str, Any]

# id: status, paid (UTC; None: not paid)
ORDERS = {
    1001: ("completed", "2024-06-01T08:00:00"),
    1002: ("processing", "2024-06-01T09:00:00"),
    1003: ("on-hold", "2024-06-02T10:00:00"),
    1004: ("completed", "2024-05-31T22:30:00"),  # Warsaw 06-01 00:30
    1005: ("completed", "2024-05-31T21:30:00"),  # Warsaw 05-31 23:30
    1006: ("pending", "2024-06-01T10:00:00"),  # not a sale
    1007: ("processing", None),  # not paid yet
    1008: ("refunded", "2024-06-02T11:00:00"),  # a sale, netted to zero
}


def _ticket(ticket_id: int | str, order_id: int, category: str | None, created: str) -> Body:
    body: Body = {"id": ticket_id, "order_id": order_id, "created_at": created}
    return body | ({"category": category} if category is not None else {"status": "open"})


# the first batch (before a rescoring: the views are built whole)
FIRST_TICKETS = [
    _ticket(801, 1001, "Where_Is_My_Order ", "2024-06-01T10:00:00+02:00"),
    _ticket("ZD-802", 1002, "refund", "2024-06-01T23:30:00+00:00"),  # Warsaw 06-02 01:30
    _ticket(803, 1003, "shipping", "2024-05-31T22:15:00Z"),  # trashed below
    _ticket(804, 1004, "product question", "2024-05-31T21:00:00+00:00"),  # Warsaw 05-31 23:00
    _ticket(805, 1005, None, "2024-06-02T09:00:00-04:00"),  # no category
]
# the second batch (after the rescoring: the view is refreshed for the changed tickets)
SECOND_TICKETS = [
    _ticket(806, 1006, "TRACKING", "2024-06-02T12:00:00+02:00"),
    _ticket("807", 1008, "delivery", "2024-06-02T13:00:00+02:00"),  # one ticket with the
    _ticket(807, 1008, "billing", "2024-06-02T13:00:00+02:00"),  # next: the greater hash wins
    _ticket(808, 1001, "wismo", "2024-05-20T10:00:00+02:00"),
    _ticket(809, 1002, "delivery", "2024-06-02T08:00:00+02:00"),
]
DUPLICATE = FIRST_TICKETS[0]  # delivered again in the second batch
DELETED = [(803, NOW - HOUR)]  # ticket.deleted {"id": 803}, received then
PERIODS = [  # query, first and last day
    ("from=2024-06-01&to=2024-06-02", date(2024, 6, 1), date(2024, 6, 2)),
    ("period=yesterday", date(2024, 6, 2), date(2024, 6, 2)),
    ("from=2024-05-31&to=2024-05-31", date(2024, 5, 31), date(2024, 5, 31)),
    ("from=2024-05-20&to=2024-05-20", date(2024, 5, 20), date(2024, 5, 20)),  # no paid orders
    ("from=2024-01-01&to=2024-01-31", date(2024, 1, 1), date(2024, 1, 31)),  # nothing
]


def _envelope(topic: str, body: Body, received: datetime) -> Envelope:
    resource, _, event = topic.partition(".")
    rid = body["id"] if isinstance(body["id"], int) else None
    return Envelope(SHOP.shop_id, topic, resource, event, rid, dumps_text(body), received)


def _orders() -> list[Body]:
    return [
        woo.order(oid, status=status, created="2024-05-20T09:00:00", paid=paid)
        for oid, (status, paid) in ORDERS.items()
    ]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def expected_tickets() -> dict[str, Body]:
    """The winning body of each ticket id (greatest created_at, then body hash; an integer
    id and its digits are one ticket), without those deleted after their version."""
    best: dict[str, tuple[datetime, str, Body]] = {}
    for body in FIRST_TICKETS + SECOND_TICKETS + [DUPLICATE]:
        version = (_time(body["created_at"]), hashlib.sha256(dumps_text(body).encode()).hexdigest())
        key = str(body["id"])
        if key not in best or version > best[key][:2]:
            best[key] = (*version, body)
    for ticket_id, at in DELETED:
        if at > best[str(ticket_id)][0]:
            del best[str(ticket_id)]
    return {key: body for key, (_, _, body) in best.items()}


def _day(text: str) -> date:
    return _time(text).astimezone(ZONE).date()


def _category(body: Body) -> str:
    return body.get("category", "").strip().lower()


def expected_metrics(first: date, last: date) -> dict[str, Any]:
    tickets = [b for b in expected_tickets().values() if first <= _day(b["created_at"]) <= last]
    wismo = [b for b in tickets if _category(b) in WISMO]
    paid = [
        oid
        for oid, (status, at) in ORDERS.items()
        if status in SALE and at and first <= _day(at + "+00:00") <= last
    ]
    return {
        "tickets": len(tickets),
        "tickets_per_100_orders": round(100 * len(tickets) / len(paid), 2) if paid else None,
        "wismo_share": round(len(wismo) / len(tickets), 4) if tickets else None,
        "paid_orders": len(paid),
    }


def _build(data_dir: Path) -> dict[str, Any]:
    """Two batches through the pipeline, each published; what the refreshed view held and
    what the state builds whole at the end."""
    first = [_envelope("order.created", body, NOW - 48 * HOUR) for body in _orders()]
    first += [_envelope("ticket.created", body, NOW - 24 * HOUR) for body in FIRST_TICKETS]
    first.append(dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 6, 3), NOW - 24 * HOUR))
    second = [_envelope("ticket.created", body, NOW - 2 * HOUR) for body in SECOND_TICKETS]
    second.append(_envelope("ticket.created", DUPLICATE, NOW - 2 * HOUR))
    second += [_envelope("ticket.deleted", {"id": tid}, at) for tid, at in DELETED]
    pipeline = ShopPipeline(data_dir, SHOP)
    try:
        results = []
        for batch in (first, second):
            result, failures = pipeline.apply(batch, NOW)
            assert failures == {}, failures
            results.append(result)
            pipeline.publish(NOW)
        whole = ViewEngine(pipeline.state.connection, SHOP).full_tables()["tickets"]
    finally:
        pipeline.close()
    return {"results": results, "whole": whole}


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> SimpleNamespace:
    data_dir = tmp_path_factory.mktemp("tickets")
    built = _build(data_dir)
    tokens = SimpleNamespace(shop_for_token={"tickets-token": SHOP}.get)
    client = create_app(Settings(data_dir=data_dir), tokens, FixedClock(NOW)).test_client()
    return SimpleNamespace(data_dir=data_dir, client=client, **built)


def _view(data_dir: Path) -> list[Body]:
    table = read_view(data_dir / "shops" / SHOP.shop_id / "views", "tickets")
    assert table is not None
    return table.to_pylist()


def test_the_tickets_view_holds_each_ticket_once_as_its_winning_body(shop):
    rows = {row["ticket_id"]: row for row in _view(shop.data_dir)}
    expected = expected_tickets()
    assert set(rows) == set(expected) and "803" not in rows and len(rows) == 8
    for ticket_id, body in expected.items():
        row = rows[ticket_id]
        assert (row["order_id"], row["category"]) == (body["order_id"], _category(body))
        assert row["created_at"] == _time(body["created_at"])
        assert row["created_day"] == _day(body["created_at"])
        assert row["is_wismo"] == (_category(body) in WISMO)


def test_the_duplicate_delivery_changes_nothing_and_the_refreshed_view_equals_a_whole_build(shop):
    second = shop.results[1]
    # the second batch: its five new tickets count, "807" and 807 are one ticket (one of
    # the two wins), the duplicate does not count again, the deletion does
    assert second.applied == 4 + 1 and second.skipped == 1 + 1
    assert _view(shop.data_dir) == shop.whole.to_pylist()


def _fulfillment(client, query: str) -> Body:
    headers = {"Authorization": "Bearer tickets-token"}
    response = client.get(f"/api/v1/shops/{SHOP.shop_id}/fulfillment?{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


@pytest.mark.parametrize(("query", "first", "last"), PERIODS)
def test_the_fulfillment_metrics_count_the_periods_tickets_per_paid_orders(
    shop, query, first, last
):
    body = _fulfillment(shop.client, query)
    assert (body["period"]["from"], body["period"]["to"]) == (first.isoformat(), last.isoformat())
    metrics, expected = body["metrics"], expected_metrics(first, last)
    names = ["tickets", "tickets_per_100_orders", "wismo_share", "paid_orders"]
    assert {name: metrics[name] for name in names} == expected


def test_the_metrics_cover_every_case_the_periods_were_chosen_for():
    figures = [expected_metrics(first, last) for _, first, last in PERIODS]
    assert figures[0]["tickets"] > figures[0]["paid_orders"] > 0
    assert 0 < figures[0]["wismo_share"] < 1
    assert figures[3]["tickets"] == 1 and figures[3]["tickets_per_100_orders"] is None
    assert figures[4] == {
        "tickets": 0,
        "tickets_per_100_orders": None,
        "wismo_share": None,
        "paid_orders": 0,
    }


def test_a_replay_of_the_raw_log_gives_the_same_tickets_view(shop, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(shop.data_dir, copy)
    before = _view(copy)
    report = replay_shop(copy, SHOP, FixedClock(NOW))
    assert report.unprocessable == 0
    assert _view(copy) == before and len(before) == 8
