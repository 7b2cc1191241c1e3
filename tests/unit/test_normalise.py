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
    ResourceTrashed,
)
from tests.conftest import FIXTURES

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def envelope(topic: str, body: str) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope("shp_test", topic, resource, event, None, body, RECEIVED)


def fixture_event(name: str, topic: str):
    return handle_envelope(envelope(topic, (FIXTURES / name).read_text()))


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
    coupon = handle_envelope(envelope("coupon.updated", body))
    assert (coupon.code, coupon.amount, coupon.usage_count) == ("free10", Decimal("10.00"), 3)
    assert coupon.version.at == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_fields_are_ignored_and_missing_optional_fields_tolerated():
    body = '{"id": 5, "status": "processing", "new_field_2030": {"x": 1}, "total": "12.50"}'
    order = handle_envelope(envelope("order.updated", body))
    assert order.total == Decimal("12.50")
    assert order.items == () and order.paid_at is None
    assert order.created_at == RECEIVED  # no date at all: the time we received it


def test_deleted_carries_only_the_id_and_becomes_a_trash_event_at_receipt_time():
    event = handle_envelope(envelope("order.deleted", '{"id": 727}'))
    assert event == ResourceTrashed("order", 727, RECEIVED)


def test_topics_of_plugins_are_kept_as_noted_deliveries_not_dead_lettered():
    event = handle_envelope(envelope("subscription.renewed", '{"id": 1}'))
    assert isinstance(event, DeliveryNoted)
    assert (event.kind, event.code) == ("unsupported", "subscription")


def test_action_topics_and_rest_error_bodies_are_noted_not_rejected():
    action = handle_envelope(envelope("action.woocommerce_new_order", '{"action": "x", "arg": 1}'))
    assert isinstance(action, DeliveryNoted) and action.kind == "action"
    error_body = (
        '{"code": "woocommerce_rest_cannot_view", "message": "no", "data": {"status": 401}}'
    )
    error = handle_envelope(envelope("order.updated", error_body))
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
