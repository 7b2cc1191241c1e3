"""Helpdesk tickets at the processor's boundary: the normaliser (fields refused by name, never
by value; the BIGINT key made from any id), the handler's routing, and the pure metrics."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.tickets import WISMO_CATEGORIES, is_wismo, ticket_metrics
from processors.bounds import MAX_ID
from processors.errors import InvalidValue, UnprocessableEvent
from processors.handlers import handle_envelope
from processors.normalise_tickets import normalise_ticket, ticket_key
from schemas.envelope import Envelope
from schemas.events import TicketChanged, Version
from schemas.jsoncodec import dumps_text

RECEIVED = datetime(2024, 6, 3, 12, tzinfo=UTC)
HASH = "ab" * 32
NOT_A_TIME = "not an ISO 8601 date and time with an offset"
TICKET = {
    "id": 812,
    "order_id": 1001,
    "category": "  Where_Is_My_Order ",
    "created_at": "2024-06-01T10:00:00+02:00",
    "status": " Open",
}


def test_a_ticket_body_becomes_its_event_in_utc_with_text_trimmed_and_lower_cased():
    event = normalise_ticket(TICKET, HASH, RECEIVED)
    at = datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert event == TicketChanged(
        ticket_key=812,
        ticket_id="812",
        version=Version(at=at, body_hash=HASH),
        order_id=1001,
        category="where_is_my_order",
        status="open",
        created_at=at,
    )


def test_category_and_status_are_empty_when_missing_or_not_text():
    event = normalise_ticket({k: v for k, v in TICKET.items() if k != "status"}, HASH, RECEIVED)
    assert event.status == ""
    assert normalise_ticket(TICKET | {"category": None}, HASH, RECEIVED).category == ""
    assert normalise_ticket(TICKET | {"category": 5}, HASH, RECEIVED).category == ""


@pytest.mark.parametrize(
    ("ticket_id", "key"),
    [
        (812, 812),
        ("812", 812),
        (" 812 ", 812),
        (0, 0),
        (MAX_ID, MAX_ID),
        (str(MAX_ID), MAX_ID),
    ],
)
def test_an_integer_id_or_its_canonical_digits_is_its_own_key(ticket_id, key):
    event = normalise_ticket(TICKET | {"id": ticket_id}, HASH, RECEIVED)
    assert (event.ticket_key, event.ticket_id) == (key, str(key))


@pytest.mark.parametrize("ticket_id", ["ZD-812", "0812", str(MAX_ID + 1), "٨١٢", "tícket 1"])
def test_any_other_id_is_a_stable_negative_hash_of_its_text(ticket_id):
    digest = hashlib.sha256(ticket_id.encode()).digest()
    expected = -1 - (int.from_bytes(digest[:8], "big") & (2**63 - 1))
    event = normalise_ticket(TICKET | {"id": ticket_id}, HASH, RECEIVED)
    assert event.ticket_key == ticket_key(ticket_id) == expected
    assert -(2**63) <= event.ticket_key < 0 and event.ticket_id == ticket_id


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        ({"id": None}, "id", "missing"),
        ({"id": True}, "id", "not an integer or a non-empty string"),
        ({"id": 8.5}, "id", "not an integer or a non-empty string"),
        ({"id": "   "}, "id", "not an integer or a non-empty string"),
        ({"id": ["secret@example.com"]}, "id", "not an integer or a non-empty string"),
        ({"id": -1}, "id", "integer out of range"),
        ({"id": 2**63}, "id", "integer out of range"),
        ({"id": "x" * 101}, "id", "longer than 100 characters"),
        ({"order_id": None}, "order_id", "missing"),
        ({"order_id": "1001"}, "order_id", "not an integer"),
        ({"order_id": False}, "order_id", "not an integer"),
        ({"order_id": 1001.0}, "order_id", "not an integer"),
        ({"order_id": -5}, "order_id", "integer out of range"),
        ({"order_id": 2**63}, "order_id", "integer out of range"),
        ({"created_at": None}, "created_at", "missing"),
        ({"created_at": 1717228800}, "created_at", NOT_A_TIME),
        ({"created_at": "2024-06-01T10:00:00"}, "created_at", NOT_A_TIME),
        ({"created_at": "secret@example.com"}, "created_at", NOT_A_TIME),
        ({"created_at": "2100-01-02T00:00:00Z"}, "created_at", "date out of range"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at", "date out of range"),
    ],
)
def test_a_bad_field_is_refused_naming_the_field_and_the_problem_never_the_value(
    change, field, problem
):
    body = {k: v for k, v in (TICKET | change).items() if v is not None}
    with pytest.raises(InvalidValue) as caught:
        normalise_ticket(body, HASH, RECEIVED)
    assert (caught.value.field, caught.value.problem) == (field, problem)
    assert str(caught.value) == f"{field}: {problem}"
    assert "secret" not in str(caught.value)


def _envelope(topic: str, body: Any) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope("shop-1", topic, resource, event, None, dumps_text(body), RECEIVED)


def test_the_handler_routes_a_ticket_envelope_to_the_ticket_normaliser():
    envelope = _envelope("ticket.created", TICKET)
    [event] = handle_envelope(envelope)
    assert isinstance(event, TicketChanged)
    assert event.version == Version(datetime(2024, 6, 1, 8, tzinfo=UTC), envelope.body_sha256)
    with pytest.raises(UnprocessableEvent, match="^order_id: missing$"):
        handle_envelope(
            _envelope("ticket.created", {k: v for k, v in TICKET.items() if k != "order_id"})
        )
    with pytest.raises(UnprocessableEvent, match="not a JSON object"):
        handle_envelope(_envelope("ticket.created", [TICKET]))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=5,
)


@given(
    ticket_id=JSON | st.integers(-(2**64), 2**64) | st.from_regex(r"[0-9]{1,25}", fullmatch=True),
    order_id=JSON,
    created_at=JSON | st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
    category=JSON,
)
def test_whatever_a_body_holds_the_normaliser_gives_a_storable_event_or_refuses_it(
    ticket_id, order_id, created_at, category
):
    body = {"id": ticket_id, "order_id": order_id, "created_at": created_at, "category": category}
    try:
        event = normalise_ticket(body, HASH, RECEIVED)
    except UnprocessableEvent:
        return
    assert -(2**63) <= event.ticket_key <= MAX_ID and 0 <= event.order_id <= MAX_ID
    assert event.ticket_key == ticket_key(event.ticket_id)
    assert event.created_at.tzinfo is not None and 1970 <= event.created_at.year <= 2100
    event.ticket_id.encode()  # storable as UTF-8
    event.category.encode()


@pytest.mark.parametrize(
    ("tickets", "wismo", "paid", "per_100", "share"),
    [
        (6, 4, 5, 120.0, 0.6667),
        (1, 0, 3, 33.33, 0.0),
        (2, 2, 0, None, 1.0),
        (0, 0, 7, 0.0, None),
        (0, 0, 0, None, None),
    ],
)
def test_ticket_metrics_per_100_paid_orders_and_the_wismo_share(
    tickets, wismo, paid, per_100, share
):
    metrics = ticket_metrics(tickets, wismo, paid)
    assert (metrics.tickets, metrics.tickets_per_100_orders, metrics.wismo_share) == (
        tickets,
        per_100,
        share,
    )


@pytest.mark.parametrize(("tickets", "wismo", "paid"), [(1, 2, 1), (-1, 0, 1), (1, 0, -1)])
def test_ticket_metrics_refuse_counts_that_cannot_be(tickets, wismo, paid):
    with pytest.raises(ValueError):
        ticket_metrics(tickets, wismo, paid)


@pytest.mark.parametrize("category", [*WISMO_CATEGORIES, " Tracking ", "WISMO"])
def test_the_wismo_categories_match_whole_trimmed_and_in_any_case(category):
    assert is_wismo(category)


@pytest.mark.parametrize("category", ["", "refund", "where is my refund", "shipping address"])
def test_other_categories_are_not_wismo(category):
    assert not is_wismo(category)
