"""Pure parsing of deliveries: headers, ping, bounded reads, JSON and the envelope."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from ingest.receiver.parsing import (
    BodyTooLarge,
    InvalidPayload,
    JsonBody,
    WebhookHeaders,
    build_envelope,
    decode_json,
    is_ping,
    is_rest_error,
    media_type,
    parse_headers,
    read_limited,
    resource_id_of,
)
from tests.conftest import load_fixture

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
FORM = "application/x-www-form-urlencoded"


def test_parse_headers_compares_names_case_insensitively() -> None:
    headers = parse_headers(
        [
            ("x-wc-webhook-TOPIC", " order.updated "),
            ("X-WC-WEBHOOK-SIGNATURE", "c2ln"),
            ("x-Wc-Webhook-Id", "12"),
            ("X-Wc-Webhook-Delivery-Id", "abc"),
            ("X-WC-Webhook-Source", "https://shop.example/"),
            ("content-type", "application/json"),
            ("X-Unrelated", "ignored"),
        ]
    )
    assert headers == WebhookHeaders(
        topic="order.updated",
        signature="c2ln",
        webhook_id="12",
        delivery_id="abc",
        source="https://shop.example/",
        content_type="application/json",
    )


def test_parse_headers_treats_blank_values_as_absent_and_keeps_the_first_value() -> None:
    headers = parse_headers(
        [
            ("X-WC-Webhook-Signature", "  "),
            ("X-WC-Webhook-Topic", "a.b"),
            ("x-wc-webhook-topic", "c.d"),
        ]
    )
    assert headers.signature is None
    assert headers.topic == "a.b"
    assert parse_headers([]) == WebhookHeaders()


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        (None, None),
        ("", None),
        ("application/json", "application/json"),
        ("Application/X-WWW-Form-Urlencoded; charset=UTF-8", FORM),
    ],
)
def test_media_type_drops_parameters_and_case(
    content_type: str | None, expected: str | None
) -> None:
    assert media_type(content_type) == expected


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        (WebhookHeaders(content_type=FORM), b"webhook_id=42", True),
        (WebhookHeaders(content_type=FORM + "; charset=UTF-8"), b"webhook_id=7", True),
        (WebhookHeaders(), b"webhook_id=42", True),
        (WebhookHeaders(content_type=FORM, signature="x"), b"webhook_id=42", False),
        (WebhookHeaders(content_type="application/json"), b"webhook_id=42", False),
        (WebhookHeaders(content_type=FORM), b"webhook_id=", False),
        (WebhookHeaders(content_type=FORM), b"webhook_id=42&x=1", False),
        (WebhookHeaders(content_type=FORM), b"webhook_id=42\n", False),
        (WebhookHeaders(content_type=FORM), b'{"webhook_id":42}', False),
        (WebhookHeaders(content_type=FORM), b"", False),
    ],
)
def test_is_ping_recognises_only_the_unsigned_form_encoded_webhook_id(
    headers: WebhookHeaders, body: bytes, expected: bool
) -> None:
    assert is_ping(headers, body) is expected


class _TrickleStream(io.RawIOBase):
    """Hands out at most one byte per read, like a slow socket; counts what was read."""

    def __init__(self, data: bytes | None) -> None:
        self._data = data  # None: endless
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not len(buffer) or (self._data is not None and self.read_bytes >= len(self._data)):
            return 0
        byte = b"x" if self._data is None else self._data[self.read_bytes : self.read_bytes + 1]
        buffer[:1] = byte
        self.read_bytes += 1
        return 1


@pytest.mark.parametrize("size", [0, 1, 99, 100])
def test_read_limited_returns_a_body_up_to_the_limit_even_in_small_reads(size: int) -> None:
    data = bytes(range(size))
    assert read_limited(_TrickleStream(data), 100) == data
    assert read_limited(io.BytesIO(data), 100) == data


def test_read_limited_rejects_one_byte_over_the_limit() -> None:
    with pytest.raises(BodyTooLarge):
        read_limited(io.BytesIO(b"x" * 101), 100)


def test_read_limited_never_reads_more_than_the_limit_plus_one_of_an_endless_stream() -> None:
    stream = _TrickleStream(None)
    with pytest.raises(BodyTooLarge):
        read_limited(stream, 1000)
    assert stream.read_bytes == 1001


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"{",
        b'{"a":1}x',
        b"\xff\xfe{}",
        b'{"a":"\xe3"}',
        b"NaN",
        b'{"a":Infinity}',
    ],
)
def test_decode_json_rejects_what_is_not_strict_utf8_json(body: bytes) -> None:
    with pytest.raises(InvalidPayload) as raised:
        decode_json(body)
    assert raised.value.code == "invalid_json"


def test_decode_json_keeps_the_text_exactly_as_received() -> None:
    raw = b'{ "name" : "Jo\\u00e3o", "url": "https:\\/\\/x", "raw": "\xc3\xa3" }'
    parsed = decode_json(raw)
    assert parsed.text.encode("utf-8") == raw
    assert parsed.value == {"name": "João", "url": "https://x", "raw": "ã"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"code": "woocommerce_rest_cannot_view", "message": "no", "data": {"status": 401}}, True),
        ({"code": "x", "message": "y"}, True),
        ({"id": 5, "code": "x", "message": "y"}, False),
        ({"code": "COUPON10", "amount": "10"}, False),
        ([{"code": "x", "message": "y"}], False),
        ("code", False),
    ],
)
def test_is_rest_error_needs_code_and_message_and_no_id(value: Any, expected: bool) -> None:
    assert is_rest_error(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"id": 727}, 727),
        ({"id": 0}, 0),
        ({"id": "727"}, None),
        ({"id": 7.0}, None),
        ({"id": True}, None),
        ({"id": None}, None),
        ({}, None),
        ([{"id": 1}], None),
        (None, None),
    ],
)
def test_resource_id_is_the_body_id_only_when_it_is_an_integer(value: Any, expected: Any) -> None:
    assert resource_id_of(value) == expected


def _body(value: Any) -> JsonBody:
    return decode_json(php_json_encode(value))


@pytest.mark.parametrize(
    ("topic", "value", "resource", "event", "resource_id"),
    [
        ("order.created", {"id": 1}, "order", "created", 1),
        ("order.restored", {"id": 2}, "order", "restored", 2),
        ("customer.deleted", {"id": 3}, "customer", "deleted", 3),
        ("product.published", {"id": 4, "type": "variation"}, "product", "published", 4),
        ("coupon.updated", {"id": 5, "code": "X"}, "coupon", "updated", 5),
        ("action.woocommerce_new_order", {"action": "woocommerce_new_order", "arg": 9},
         "action", "woocommerce_new_order", None),
        ("order.updated", {"code": "woocommerce_rest_cannot_view", "message": "Sorry.",
         "data": {"status": 401}}, "error", "updated", None),
        ("subscription.renewed", {"id": 6}, "subscription", "renewed", 6),
        ("order.updated", [1, 2], "order", "updated", None),
    ],
)  # fmt: skip
def test_build_envelope_takes_resource_and_event_from_the_topic(
    topic: str, value: Any, resource: str, event: str, resource_id: int | None
) -> None:
    body = _body(value)
    headers = WebhookHeaders(topic=topic, webhook_id="12", delivery_id="d1")
    envelope = build_envelope("shop-1", headers, body, NOW)
    assert (envelope.resource, envelope.event, envelope.resource_id) == (
        resource,
        event,
        resource_id,
    )
    assert (envelope.shop_id, envelope.topic, envelope.source) == ("shop-1", topic, "webhook")
    assert (envelope.webhook_id, envelope.delivery_id, envelope.received_at) == ("12", "d1", NOW)
    assert envelope.body == body.text


def test_build_envelope_without_a_topic_is_missing_topic() -> None:
    with pytest.raises(InvalidPayload) as raised:
        build_envelope("shop-1", WebhookHeaders(signature="s"), _body({"id": 1}), NOW)
    assert raised.value.code == "missing_topic"


def test_build_envelope_keeps_the_php_bytes_of_a_real_order_unchanged() -> None:
    raw = php_json_encode(load_fixture("order_refunded.json"))
    envelope = build_envelope("s", WebhookHeaders(topic="order.updated"), decode_json(raw), NOW)
    assert envelope.body.encode() == raw
    assert envelope.body_sha256 == hashlib.sha256(raw).hexdigest()
    assert envelope.resource_id == 723


# What PHP's json_encode can write: integers are 64-bit (larger ones are floats in PHP) and
# strings are valid UTF-8 (no lone surrogates).
_php_text = st.text(st.characters(exclude_categories=("Cs",)))
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | _php_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_php_text, inner, max_size=4),
    max_leaves=20,
)


@given(value=st.dictionaries(_php_text, _json_values, max_size=6))
def test_any_php_encoded_object_round_trips_into_the_envelope_byte_for_byte(value: Any) -> None:
    raw = php_json_encode(value)
    envelope = build_envelope("s", WebhookHeaders(topic="order.updated"), decode_json(raw), NOW)
    assert envelope.body.encode("utf-8") == raw
    assert decode_json(envelope.body.encode()).value == value
