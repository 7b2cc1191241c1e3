import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from processors.errors import UnprocessableEvent
from processors.handlers import handle_envelope
from schemas.envelope import Envelope
from schemas.events import (
    CustomerChanged,
    DeliveryNoted,
    OrderChanged,
    ProductChanged,
    RefundChanged,
    RefundItem,
    ResourceTrashed,
)
from tests.conftest import FIXTURES, load_fixture

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def envelope(topic: str, body: str) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope("shp_test", topic, resource, event, None, body, RECEIVED)


def one_event(topic: str, body: str):
    [event] = handle_envelope(envelope(topic, body))
    return event


def fixture_event(name: str, topic: str):
    return one_event(topic, (FIXTURES / name).read_text())


def test_an_order_fixture_becomes_an_order_with_utc_dates_and_decimal_money():
    order = fixture_event("order.json", "order.created")
    assert isinstance(order, OrderChanged)
    assert order.order_id == 727
    assert order.total == Decimal("29.35")
    assert order.created_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert order.version.at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert order.email == "john.doe@example.com"
    assert [i.quantity for i in order.items] == [2, 1]
    assert order.items[0].price == Decimal("3.00")


def test_refunds_of_an_order_are_summed_as_positive_amounts():
    order = fixture_event("order_refunded.json", "order.updated")
    assert order.refunds_total == Decimal("19.00")
    assert {r.refund_id for r in order.refunds} == {724, 726}


def test_a_customer_and_a_variation_are_normalised():
    customer = fixture_event("customer.json", "customer.created")
    assert isinstance(customer, CustomerChanged)
    assert (customer.customer_id, customer.country) == (25, "US")
    variation = fixture_event("product_variation.json", "product.updated")
    assert isinstance(variation, ProductChanged)
    assert (variation.type, variation.parent_id, variation.price) == (
        "variation",
        22,
        Decimal("9.00"),
    )


def test_a_coupon_is_normalised_with_its_code_lowercased():
    body = (
        '{"id": 720, "code": "FREE10", "amount": "10.00", "discount_type": "percent",'
        ' "usage_count": 3, "date_modified_gmt": "2024-01-02T03:04:05"}'
    )
    coupon = one_event("coupon.updated", body)
    assert (coupon.code, coupon.amount, coupon.usage_count) == ("free10", Decimal("10.00"), 3)
    assert coupon.version.at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_fields_are_ignored_and_missing_optional_fields_tolerated():
    body = '{"id": 5, "status": "processing", "new_field_2030": {"x": 1}, "total": "12.50"}'
    order = one_event("order.updated", body)
    assert order.total == Decimal("12.50")
    assert order.items == () and order.paid_at is None
    assert order.created_at == RECEIVED  # no date at all: the time we received it


def test_deleted_carries_only_the_id_and_becomes_a_trash_event_at_receipt_time():
    event = one_event("order.deleted", '{"id": 727}')
    assert event == ResourceTrashed("order", 727, RECEIVED)


def test_topics_of_plugins_are_kept_as_noted_deliveries_not_dead_lettered():
    event = one_event("subscription.renewed", '{"id": 1}')
    assert isinstance(event, DeliveryNoted)
    assert (event.kind, event.code) == ("unsupported", "subscription")


def test_action_topics_and_rest_error_bodies_are_noted_not_rejected():
    action = one_event("action.woocommerce_new_order", '{"action": "x", "arg": 1}')
    assert isinstance(action, DeliveryNoted) and action.kind == "action"
    error_body = (
        '{"code": "woocommerce_rest_cannot_view", "message": "no", "data": {"status": 401}}'
    )
    error = one_event("order.updated", error_body)
    assert isinstance(error, DeliveryNoted)
    assert (error.kind, error.code) == ("error", "woocommerce_rest_cannot_view")


@pytest.mark.parametrize(
    ("topic", "body", "reason"),
    [
        ("order.updated", "not json", "not JSON"),
        ("order.updated", '{"status": "processing"}', "no integer id"),
        ("order.updated", '{"id": "12"}', "no integer id"),
        ("order.updated", "[1, 2]", "not a JSON object"),
    ],
)
def test_bodies_that_cannot_be_keyed_are_unprocessable_with_a_reason(topic, body, reason):
    with pytest.raises(UnprocessableEvent, match=reason):
        handle_envelope(envelope(topic, body))


def test_refunds_of_a_rest_page_become_refund_events_with_positive_amounts_and_units():
    refunds = handle_envelope(
        envelope("refund.imported", (FIXTURES / "order_refunds.json").read_text())
    )
    assert all(isinstance(r, RefundChanged) for r in refunds)
    by_id = {r.refund_id: r for r in refunds}
    assert set(by_id) == {726, 724}
    line_refund = by_id[724]
    assert (line_refund.order_id, line_refund.amount) == (723, Decimal("9.00"))
    assert line_refund.items == (RefundItem(87, 0, 1, Decimal("9.00")),)
    assert line_refund.created_at == datetime(2017, 3, 21, 19, 55, 37, tzinfo=UTC)
    assert line_refund.version.at == line_refund.created_at  # refunds are immutable
    assert (by_id[726].amount, by_id[726].items) == (Decimal("10.00"), ())


def test_a_refund_of_the_refunds_listing_takes_its_order_from_parent_id():
    body = load_fixture("order_refunds.json")[1]
    body.update(parent_id=9001, amount="-4.50", reason=" damaged ")
    body.pop("_links")
    refund = one_event("refund.updated", json.dumps(body))
    assert (refund.order_id, refund.amount, refund.reason) == (9001, Decimal("4.50"), "damaged")


def test_a_deleted_refund_becomes_a_trash_event():
    assert one_event("refund.deleted", '{"id": 724}') == ResourceTrashed("refund", 724, RECEIVED)


def test_an_imported_page_of_orders_gives_one_event_per_element():
    orders = [load_fixture("order.json") for _ in range(3)]
    for order_id, order in enumerate(orders, start=100):
        order["id"] = order_id
    events = handle_envelope(envelope("order.imported", json.dumps(orders)))
    assert [e.order_id for e in events] == [100, 101, 102]
    assert all(isinstance(e, OrderChanged) and e.total == Decimal("29.35") for e in events)
    assert handle_envelope(envelope("order.imported", "[]")) == []


def test_an_element_gets_the_same_version_whichever_page_brings_it():
    first, second = load_fixture("order.json"), load_fixture("order_refunded.json")
    alone = handle_envelope(envelope("order.imported", json.dumps([second])))
    paged = handle_envelope(envelope("order.imported", json.dumps([first, second], indent=1)))
    assert alone[0] == paged[1]
    assert paged[0].version.body_hash != paged[1].version.body_hash


@pytest.mark.parametrize(
    ("page", "reason"),
    [
        ('[{"id": 1}, {"status": "processing"}]', "page element 1: body has no integer id"),
        ('[{"id": 1}, {"id": 2}, {"id": "3"}]', "page element 2: body has no integer id"),
        ('[{"id": 1}, 7]', "page element 1 is not a JSON object"),
    ],
)
def test_a_page_with_an_element_that_cannot_be_keyed_is_unprocessable_naming_it(page, reason):
    with pytest.raises(UnprocessableEvent, match=reason):
        handle_envelope(envelope("order.imported", page))


def order_with(**fields) -> OrderChanged:
    body = load_fixture("order.json")
    body.update(fields)
    return one_event("order.updated", json.dumps(body))


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("date_paid_gmt", "yesterday", "paid_at", None),
        ("date_paid_gmt", "0000-00-00 00:00:00", "paid_at", None),
        ("date_completed_gmt", ["2017-03-22T19:28:08"], "completed_at", None),
        ("total", "twelve", "total", Decimal("0.00")),
        ("total", "", "total", Decimal("0.00")),
        ("total", {"amount": "12"}, "total", Decimal("0.00")),
        ("shipping_total", True, "shipping", Decimal("0.00")),
        ("customer_id", "someone", "customer_id", 0),
        ("customer_id", -4, "customer_id", 0),
        ("customer_id", "42", "customer_id", 42),
        ("status", 7, "status", "pending"),
        ("billing", [], "email", ""),  # PHP writes an empty array as []
        ("billing", None, "email", ""),
        ("line_items", {}, "items", ()),
        ("refunds", None, "refunds", ()),
    ],
)
def test_a_malformed_value_gets_its_documented_tolerant_default(field, value, attribute, expected):
    assert getattr(order_with(**{field: value}), attribute) == expected


def test_values_at_the_edges_of_the_bounds_are_kept():
    order = order_with(
        id=2**63 - 1,
        total="999999999999.99",
        discount_total="-999999999999.99",
        date_created_gmt="1970-01-01T00:00:00",
        date_completed_gmt="2100-01-01T00:00:00",
        date_paid_gmt="2017-03-22T21:28:08+02:00",
        line_items=[{"quantity": 10**9, "product_id": 2**63 - 1, "price": 3.1}],
    )
    assert (order.order_id, order.total, order.discount) == (
        2**63 - 1,
        Decimal("999999999999.99"),
        Decimal("-999999999999.99"),
    )
    assert order.created_at == datetime(1970, 1, 1, tzinfo=UTC)
    assert order.completed_at == datetime(2100, 1, 1, tzinfo=UTC)
    assert order.paid_at == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    [item] = order.items
    assert (item.quantity, item.product_id, item.price) == (10**9, 2**63 - 1, Decimal("3.10"))


def test_a_lone_surrogate_becomes_a_replacement_character_and_nul_is_kept():
    billing = {"first_name": "Ann\\ud800", "last_name": "O\\u0000Neil", "email": "A@X.PL"}
    body = (FIXTURES / "order.json").read_text()
    start = body.index('"billing"')
    end = body.index("}", start) + 1
    escaped = '"billing": {' + ", ".join(f'"{k}": "{v}"' for k, v in billing.items()) + "}"
    order = one_event("order.updated", body[:start] + escaped + body[end:])
    assert (order.first_name, order.last_name, order.email) == ("Ann\ufffd", "O\x00Neil", "a@x.pl")
    order.first_name.encode("utf-8")  # what DuckDB and Arrow need


def test_a_consent_value_with_a_lone_surrogate_decodes_to_text_that_utf8_can_encode():
    meta = [{"id": 1, "key": "marketing_consent_email", "value": "yes\ud800"}]
    consents = json.loads(order_with(meta_data=meta).consents)
    assert consents == {"marketing_consent_email": "yes\ufffd"}
