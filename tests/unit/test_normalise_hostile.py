"""Hostile values at the boundary: each trigger of issue 10 is refused naming its field and
not its value, and (property) whatever a signed body holds, a normaliser returns an event
the state can store or raises UnprocessableEvent; nothing else escapes."""

from __future__ import annotations

import copy
import json
import math
from datetime import UTC, datetime, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from processors.bounds import EARLIEST, LATEST, MAX_AMOUNT, gmt
from processors.errors import UnprocessableEvent
from processors.handlers import handle_envelope
from processors.normalise import (
    normalise_coupon,
    normalise_customer,
    normalise_order,
    normalise_refund,
)
from processors.normalise_product import normalise_product
from schemas.events import (
    CouponChanged,
    CustomerChanged,
    OrderChanged,
    ProductChanged,
    RefundChanged,
)
from tests.conftest import FIXTURES, load_fixture
from tests.hostile_bodies import (
    COUPON,
    OFFSETS,
    Kind,
    any_time,
    hostile_cases,
    set_at,
    spellings,
)
from tests.unit.test_normalise import envelope

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EVENT_OF = {
    "order": OrderChanged,
    "customer": CustomerChanged,
    "product": ProductChanged,
    "coupon": CouponChanged,
    "refund": RefundChanged,
}


def unstorable(value: Any, where: str = "event") -> list[str]:
    """Where a normalised value would not fit the state's BIGINT, DECIMAL(18,2) (below
    MAX_AMOUNT), timestamp (EARLIEST..LATEST) or UTF-8 columns."""
    if isinstance(value, msgspec.Struct):  # an event, or a part of one (schemas/events.py)
        fields = [(name, getattr(value, name)) for name in value.__struct_fields__]
        return [p for name, v in fields for p in unstorable(v, f"{where}.{name}")]
    if isinstance(value, tuple):
        return [p for i, v in enumerate(value) for p in unstorable(v, f"{where}[{i}]")]
    if isinstance(value, int) and not -(2**63) <= value < 2**63:
        return [where]
    if isinstance(value, Decimal) and not (value.is_finite() and abs(value) < MAX_AMOUNT):
        return [where]
    if isinstance(value, datetime) and not EARLIEST <= value <= LATEST:
        return [where]
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return [where]
    return []


def shown(message: str, values: list[Any]) -> list[Any]:
    """The put-in values (long enough to tell apart from the message's own words) that the
    message repeats."""
    texts = [str(v) for v in values if type(v) is int and abs(v) >= 1000]
    texts += [v for v in values if isinstance(v, str) and len(v) >= 12]
    return [t for t in texts if t in message]


ORDER, REFUNDED, PRODUCT, VARIATION = (
    "order.json",
    "order_refunded.json",
    "product.json",
    "product_variation.json",
)
NORMALISERS = {
    ORDER: normalise_order,
    REFUNDED: normalise_order,
    PRODUCT: normalise_product,
    VARIATION: normalise_product,
    "customer.json": normalise_customer,
    "coupon": normalise_coupon,
    "refund": normalise_refund,
}
HALF_TRILLION = "600000000000"
TRIGGERS = [
    (ORDER, ("id",), 2**64, "id: integer out of range"),
    (ORDER, ("customer_id",), 2**64, "customer_id: integer out of range"),
    (ORDER, ("line_items", 1, "quantity"), 2**64, "line_items[1].quantity: integer out of range"),
    (
        ORDER,
        ("line_items", 0, "product_id"),
        2**63,
        "line_items[0].product_id: integer out of range",
    ),
    (
        ORDER,
        ("line_items", 1, "variation_id"),
        -7,
        "line_items[1].variation_id: integer out of range",
    ),
    (ORDER, ("total",), "1e20", "total: amount out of range"),
    (ORDER, ("total",), "99999999999999999.99", "total: amount out of range"),
    (ORDER, ("shipping_total",), "-1e16", "shipping_total: amount out of range"),
    (ORDER, ("total",), 1e308, "total: amount out of range"),
    (ORDER, ("discount_total",), math.inf, "discount_total: not a finite number"),
    (ORDER, ("total_tax",), "NaN", "total_tax: not a finite number"),
    (ORDER, ("total",), "-Infinity", "total: not a finite number"),
    (ORDER, ("line_items", 1, "price"), 1e20, "line_items[1].price: amount out of range"),
    (ORDER, ("line_items", 0, "subtotal"), math.nan, "line_items[0].subtotal: not a finite number"),
    (
        ORDER,
        ("date_created_gmt",),
        "0001-01-01T00:00:00+01:00",
        "date_created_gmt: date out of range",
    ),
    (
        ORDER,
        ("date_modified_gmt",),
        "9999-12-31T23:59:59-05:00",
        "date_modified_gmt: date out of range",
    ),
    (ORDER, ("date_paid_gmt",), "1969-12-31T23:59:59", "date_paid_gmt: date out of range"),
    (
        ORDER,
        ("date_completed_gmt",),
        "2100-01-01T00:00:01",
        "date_completed_gmt: date out of range",
    ),
    (REFUNDED, ("refunds", 0, "total"), "-1e20", "refunds[0].total: amount out of range"),
    (REFUNDED, ("refunds", 1, "id"), 2**64, "refunds[1].id: integer out of range"),
    (PRODUCT, ("stock_quantity",), 2**64, "stock_quantity: integer out of range"),
    (PRODUCT, ("stock_quantity",), 10**9 + 1, "stock_quantity: integer out of range"),
    (PRODUCT, ("stock_quantity",), math.nan, "stock_quantity: not a finite number"),
    (PRODUCT, ("price",), 1e20, "price: amount out of range"),
    (PRODUCT, ("regular_price",), "1e999", "regular_price: amount out of range"),
    (
        PRODUCT,
        ("cost_of_goods_sold",),
        {"total_value": "1e20"},
        "cost_of_goods_sold.total_value: amount out of range",
    ),
    (VARIATION, ("parent_id",), 2**64, "parent_id: integer out of range"),
    (
        "customer.json",
        ("date_created_gmt",),
        "9999-12-31T23:59:59-05:00",
        "date_created_gmt: date out of range",
    ),
    ("coupon", ("amount",), 1e20, "amount: amount out of range"),
    ("coupon", ("usage_count",), -(2**64), "usage_count: integer out of range"),
    ("refund", ("amount",), "-1e20", "amount: amount out of range"),
    (
        "refund",
        ("line_items", 0, "quantity"),
        -(2**64),
        "line_items[0].quantity: integer out of range",
    ),
    ("refund", ("line_items", 0, "total"), -math.inf, "line_items[0].total: not a finite number"),
    (ORDER, ("billing",), ["mallory@example.com"], "billing: not an object"),
    (ORDER, ("line_items",), {"0": {"product_id": 93}}, "line_items: not a list"),
    (ORDER, ("line_items", 1), "one more", "line_items[1]: not an object"),
    (REFUNDED, ("refunds",), "all of it", "refunds: not a list"),
    (ORDER, ("coupon_lines",), 10, "coupon_lines: not a list"),
    (ORDER, ("meta_data",), {"marketing_consent": "yes"}, "meta_data: not a list"),
    ("customer.json", ("billing",), "somewhere", "billing: not an object"),
    (PRODUCT, ("categories", 0), [{"name": "Clothing"}], "categories[0]: not an object"),
    (PRODUCT, ("cost_of_goods_sold",), "12.00", "cost_of_goods_sold: not an object"),
    ("refund", ("line_items",), {"product_id": 87}, "line_items: not a list"),
]


def body_of(name: str) -> dict[str, Any]:
    if name == "coupon":
        return copy.deepcopy(COUPON)
    return load_fixture("order_refunds.json")[1] if name == "refund" else load_fixture(name)


def refusal(name: str, body: dict[str, Any]) -> str:
    with pytest.raises(UnprocessableEvent) as caught:
        NORMALISERS[name](body, "0" * 64, RECEIVED)
    return str(caught.value)


@pytest.mark.parametrize(("name", "path", "value", "message"), TRIGGERS)
def test_a_value_the_state_cannot_hold_is_refused_naming_its_field_and_not_the_value(
    name, path, value, message
):
    body = body_of(name)
    set_at(body, path, value)
    reason = refusal(name, body)
    assert reason == message
    assert str(value) not in reason and repr(value) not in reason


@pytest.mark.parametrize(
    ("name", "field", "values", "message"),
    [
        (
            ORDER,
            "subtotal",
            [HALF_TRILLION] * 2,
            "sum of line_items[].subtotal: amount out of range",
        ),
        (
            ORDER,
            "quantity",
            [600_000_000] * 2,
            "sum of line_items[].quantity: integer out of range",
        ),
        (
            REFUNDED,
            "total",
            ["-" + HALF_TRILLION] * 2,
            "sum of refunds[].total: amount out of range",
        ),
    ],
)
def test_sums_an_order_carries_are_refused_when_they_leave_the_range_though_each_part_fits(
    name, field, values, message
):
    body = body_of(name)
    key = "refunds" if name == REFUNDED else "line_items"
    for entry, value in zip(body[key], values, strict=True):
        entry[field] = value
    assert refusal(name, body) == message


def test_a_bad_value_in_json_text_is_refused_by_its_field_through_the_handler():
    order = (FIXTURES / ORDER).read_text().replace('"total": "29.35"', '"total": 1e999')
    with pytest.raises(UnprocessableEvent, match="^total: not a finite number$"):
        handle_envelope(envelope("order.updated", order))
    page = json.dumps([{"id": 1}, {"id": 2, "line_items": [{"quantity": 2**64}]}])
    with pytest.raises(UnprocessableEvent) as caught:
        handle_envelope(envelope("order.imported", page))
    assert str(caught.value) == "page element 1: line_items[0].quantity: integer out of range"
    with pytest.raises(UnprocessableEvent, match="^id: integer out of range$"):
        handle_envelope(envelope("order.deleted", json.dumps({"id": 2**63})))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=hostile_cases())
def test_a_hostile_body_becomes_a_storable_event_or_an_unprocessable_event_and_nothing_else(
    case: tuple[Kind, dict[str, Any], list[Any]],
):
    kind, body, values = case
    try:
        event = kind.normalise(body, "0" * 64, RECEIVED)
    except UnprocessableEvent as exc:
        assert str(exc)
        assert shown(str(exc), values) == []
    else:
        assert isinstance(event, EVENT_OF[kind.name])
        assert unstorable(event) == []


@given(
    at=st.datetimes(datetime(1970, 1, 2), datetime(2099, 12, 31)),
    offset=st.none() | OFFSETS,
    separator=st.sampled_from("T "),
)
def test_a_date_in_range_reads_as_the_same_instant_in_utc_with_or_without_an_offset(
    at, offset, separator
):
    local = at.replace(tzinfo=UTC if offset is None else timezone(offset))
    text = (at if offset is None else local).isoformat(sep=separator)
    parsed = gmt(text, "date_created_gmt")
    assert parsed == local and parsed.tzinfo is UTC


def reference_gmt(value: str) -> datetime | str | None:
    """Parse, then UTC: what ``gmt`` must agree with ("out of range" for what it refuses)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    try:
        at = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except OverflowError:
        return "out of range"
    return at if EARLIEST <= at <= LATEST else "out of range"


DATE_LIKE = st.text("0123456789-:T +Z.", min_size=8, max_size=32) | any_time.flatmap(
    lambda at: st.sampled_from(spellings(at))
)


@settings(max_examples=300)
@given(value=DATE_LIKE | st.sampled_from(["2024-01-02", "2017-03-22T19:28+01", "20240102T000000"]))
def test_any_date_text_reads_as_parsing_it_and_converting_to_utc_would(value):
    try:
        parsed: datetime | str | None = gmt(value, "date_created_gmt")
    except UnprocessableEvent as exc:
        assert str(exc) == "date_created_gmt: date out of range"
        parsed = "out of range"
    assert parsed == reference_gmt(value)
    assert parsed is None or parsed == "out of range" or parsed.tzinfo is UTC
