"""The fast order decoder (processors/decode_order.py) against the old path it stands in for
(``parse_body``: orjson, ``json`` for what orjson refuses; then ``normalise_order``): for
every body, the same events or the same unprocessable reason, compared by ``repr`` so that a
``Decimal('-0.00')`` for a ``Decimal('0.00')`` would show. And the fast path is really
taken for the bodies WooCommerce sends (a fallback is correct, but as slow as before).

``WCPULSE_DECODE_EXAMPLES`` sets the generated cases per property (default 150).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.orders import order_envelopes
from ingest.demo.phpjson import php_json_encode
from processors import handlers
from processors.decode_order import ENABLED, decode_order
from processors.errors import UnprocessableEvent
from processors.handlers import handle_envelope
from schemas.envelope import Envelope
from tests.conftest import FIXTURES
from tests.unit.order_bodies import (
    CONTAINERS,
    WRONG_SHAPES,
    encoded,
    mangled,
    perturbed_orders,
    styles,
    valid_orders,
)

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
SHA = "0" * 64
EXAMPLES = int(os.environ.get("WCPULSE_DECODE_EXAMPLES", "150"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ORDER_FIXTURES = ["order.json", "order_refunded.json"]


def envelope(body: str, topic: str = "order.updated") -> Envelope:
    """A delivery of ``body``; its hash given, as an envelope read from the wire has it (a
    body with a lone surrogate, which ``json`` reads from an escape, has no UTF-8 to hash)."""
    resource, _, event = topic.partition(".")
    return Envelope("shp_test", topic, resource, event, None, body, RECEIVED, body_sha256=SHA)


def outcome(envelope: Envelope) -> str:
    """What ``handle_envelope`` makes of it, as text: the events' repr or the reason."""
    try:
        return repr(handle_envelope(envelope))
    except UnprocessableEvent as exc:
        return f"{type(exc).__name__}: {exc}"


def outcomes(body: str, topic: str = "order.updated") -> tuple[str, str]:
    """(the handler's outcome, the old path's outcome) for a delivery of ``body``."""
    delivery = envelope(body, topic)
    new = outcome(delivery)
    with mock.patch.object(handlers, "decode_directly", return_value=None):
        old = outcome(delivery)
    return new, old


def fast(body: str) -> Any:
    return decode_order(body, SHA, RECEIVED)


def test_the_fast_path_is_on():
    assert ENABLED, "schemas/events.py changed: update ORDER_FIELDS in decode_order.py"


@pytest.mark.parametrize("name", ORDER_FIXTURES)
@pytest.mark.parametrize("style", ["as stored", "php"])
def test_a_woocommerce_order_fixture_takes_the_fast_path_to_the_same_event(name, style):
    text = (FIXTURES / name).read_text()
    body = text if style == "as stored" else php_json_encode(json.loads(text)).decode()
    new, old = outcomes(body)
    assert new == old
    assert fast(body) is not None


def test_every_other_fixture_sent_as_an_order_is_handled_as_the_old_path_handles_it():
    for path in sorted(FIXTURES.glob("*.json")):
        new, old = outcomes(path.read_text())
        assert new == old, path.name


def test_the_benchmark_orders_take_the_fast_path_to_the_same_events():
    for delivery in order_envelopes(300, "shp_test"):
        body = delivery.body
        assert fast(body) is not None
        new, old = outcomes(body, delivery.topic)
        assert new == old


def test_consents_and_tracking_in_meta_are_read_on_the_fast_path_as_the_old_path_reads_them():
    body = json.loads((FIXTURES / "order.json").read_text())
    item = {"tracking_provider": "ups", "tracking_number": " 1Z999 "}
    body["meta_data"] += [
        {"key": "_newsletter_consent", "value": "yes"},
        {"key": "sms_optin", "value": 12},
        {"key": "_wc_shipment_tracking_items", "value": [item]},
        {"key": "_tracking_number", "value": {"0": {"tracking_number": 7301}}},
        {"key": "sms_optin", "value": "no"},  # a key given twice: its last value
    ]
    text = php_json_encode(body).decode()
    event = fast(text)
    assert event.consents == '{"_newsletter_consent":"yes","sms_optin":"no"}'
    assert event.tracking == '{"_tracking_number":"7301","_wc_shipment_tracking_items":"1Z999"}'
    assert outcomes(text)[0] == outcomes(text)[1]


@pytest.mark.parametrize(
    "value",
    ["1.5", "18446744073709551616", "[2e400]", '{"tracking_number": 1e1}', "-9223372036854775809"],
)
def test_a_kept_meta_value_orjson_and_json_could_read_apart_is_left_to_the_old_path(value):
    body = (FIXTURES / "order.json").read_text()
    meta = f'"meta_data": [{{"key": "_tracking_number", "value": {value}}}, {{"key": "x"'
    text = body.replace('"meta_data": [\n    {', meta + "},{", 1)
    assert fast(text) is None
    new, old = outcomes(text)
    assert new == old


@pytest.mark.parametrize("depth", [900, 990, 995, 1000, 1030, 5000])
@pytest.mark.parametrize("number", ["1", "1e400"])
def test_deep_nesting_and_numbers_beyond_a_double_elsewhere_change_nothing(depth, number):
    body = (FIXTURES / "order.json").read_text()
    deep = "[" * depth + number + "]" * depth
    new, old = outcomes(body.replace('"parent_id": 0', f'"parent_id": 0, "x": {deep}', 1))
    assert new == old


@pytest.mark.parametrize("shape", WRONG_SHAPES + [[], {}, None])
@pytest.mark.parametrize("field", CONTAINERS)
def test_an_object_or_list_sent_as_something_else_gives_the_same_outcome(field, shape):
    body = json.loads((FIXTURES / "order_refunded.json").read_text()) | {field: shape}
    new, old = outcomes(json.dumps(body))
    assert new == old


@pytest.mark.parametrize(
    ("field", "values", "reason"),
    [
        ("refunds", [{"id": 1, "total": "-999999999999.99"}] * 2, "sum of refunds[].total"),
        ("line_items", [{"id": 1, "quantity": 10**9}] * 2, "sum of line_items[].quantity"),
        ("line_items", [{"id": 1, "subtotal": "999999999999"}] * 2, "sum of line_items[]."),
    ],
)
def test_sums_out_of_range_though_each_part_fits_give_the_same_reason(field, values, reason):
    body = json.loads((FIXTURES / "order.json").read_text()) | {field: values}
    new, old = outcomes(json.dumps(body))
    assert new == old
    assert old.startswith(f"InvalidValue: {reason}")


@PROPERTY
@given(body=valid_orders, style=styles)
def test_a_valid_order_takes_the_fast_path_to_the_event_the_old_path_makes(body, style):
    text = encoded(body, style)
    new, old = outcomes(text)
    assert new == old
    assert fast(text) is not None, "a valid body left the fast path"


@PROPERTY
@given(body=perturbed_orders(), style=styles)
def test_a_perturbed_order_gives_the_same_event_or_the_same_reason(body, style):
    text = encoded(body, style)
    if text is not None:
        new, old = outcomes(text)
        assert new == old


@PROPERTY
@given(data=st.data(), body=valid_orders, style=styles)
def test_text_that_is_barely_json_or_not_json_gives_the_same_outcome(data, body, style):
    text = data.draw(mangled(encoded(body, style)))
    new, old = outcomes(text)
    assert new == old


NUMBER = r"-?(0|[1-9][0-9]{0,25})(\.[0-9]{1,30})?([eE][-+]?[0-9]{1,3})?"


@PROPERTY
@given(number=st.from_regex(NUMBER, fullmatch=True), field=st.sampled_from(["price", "quantity"]))
def test_a_json_number_of_any_spelling_reads_as_the_old_path_reads_it(number, field):
    place = {"price": '"price": 12\n', "quantity": '"quantity": 1,'}[field]
    spelled = f'"{field}": {number}{place[-1]}'
    text = (FIXTURES / "order.json").read_text().replace(place, spelled)
    assert spelled in text
    new, old = outcomes(text)
    assert new == old


@pytest.mark.parametrize("topic", ["order.deleted", "order.imported", "customer.updated"])
def test_deliveries_the_fast_path_does_not_take_are_handled_as_before(topic):
    body = (FIXTURES / "order.json").read_text()
    for text in (body, f"[{body}]"):
        new, old = outcomes(text, topic)
        assert new == old
