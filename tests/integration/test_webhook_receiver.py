"""The webhook receiver through a real Flask app, real HMAC and PHP-shaped bodies."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs
from werkzeug.test import TestResponse

from ingest.demo.phpjson import php_json_encode
from ingest.errors import BrokerUnavailable
from ingest.receiver.app import create_app
from ingest.receiver.shops import CachedShopDirectory
from ingest.receiver.verify import sign
from ingest.receiver.woocommerce import woocommerce_blueprint
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import JOB_NAMES, PROCESSOR_JOBS
from schemas.settings import Settings
from tests.conftest import FIXTURES, load_fixture
from tests.shop_directories import CountingShops, DictShops

SHOP = "shop-1"
SECRET = "s3cr3t-wc-key"
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
URL = f"/webhooks/woocommerce/{SHOP}"
FIXTURE_TOPICS = {
    "order": "order.updated",
    "customer": "customer.updated",
    "product": "product.updated",
}
ERROR_KEYS = {"error"}


class RecordingPublisher:
    def __init__(self, fail: bool = False) -> None:
        self.published: list[Envelope] = []
        self.fail = fail

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        if self.fail:
            raise BrokerUnavailable("broker did not confirm")
        self.published.extend(envelopes)


def make_app(publisher: RecordingPublisher, max_body_bytes: int = 2 * 1024 * 1024) -> Flask:
    settings = Settings(max_body_bytes=max_body_bytes)
    return create_app(settings, DictShops({SHOP: SECRET}), publisher, FixedClock(NOW))


@pytest.fixture
def publisher() -> RecordingPublisher:
    return RecordingPublisher()


@pytest.fixture
def client(publisher: RecordingPublisher) -> FlaskClient:
    return make_app(publisher).test_client()


def wc_headers(body: bytes, topic: str = "order.updated", **extra: str) -> dict[str, str]:
    """The headers WooCommerce's WC_Webhook::deliver() sends, signed with SECRET."""
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)",
        "X-WC-Webhook-Source": "https://shop.example/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, SECRET),
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "5f1c0e8d",
    }
    headers.update(extra)
    return headers


def deliver(client: FlaskClient, body: bytes, topic: str = "order.updated", **extra: str) -> Any:
    return client.post(URL, data=body, headers=wc_headers(body, topic, **extra))


def assert_error(response: TestResponse, status: int, code: str) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert set(document) == ERROR_KEYS
    assert document["error"]["code"] == code
    assert isinstance(document["error"]["message"], str) and document["error"]["message"]


def flip_signature_char(signature: str) -> str:
    first = "B" if signature[0] != "B" else "C"
    return first + signature[1:]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_real_payload_signed_as_php_would_is_accepted_and_published_raw(
    client: FlaskClient, publisher: RecordingPublisher, path: Path
) -> None:
    value = load_fixture(path.name)
    body = php_json_encode(value)
    topic = FIXTURE_TOPICS[path.stem.split("_")[0]]
    response = deliver(client, body, topic)
    assert response.status_code == 202
    assert response.get_json() == {
        "status": "accepted",
        "envelope_id": publisher.published[0].envelope_id,
    }
    [envelope] = publisher.published
    assert envelope.body.encode("utf-8") == body
    assert envelope.body_sha256 == hashlib.sha256(body).hexdigest()
    assert (envelope.shop_id, envelope.topic, envelope.source) == (SHOP, topic, "webhook")
    assert (envelope.resource, envelope.event) == tuple(topic.split("."))
    assert envelope.resource_id == (value["id"] if isinstance(value, dict) else None)
    assert (envelope.received_at, envelope.webhook_id, envelope.delivery_id) == (
        NOW,
        "12",
        "5f1c0e8d",
    )
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_a_flipped_signature_character_is_rejected_and_nothing_is_published(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = php_json_encode(load_fixture("order.json"))
    bad = flip_signature_char(sign(body, SECRET))
    assert_error(deliver(client, body, **{"X-WC-Webhook-Signature": bad}), 401, "invalid_signature")
    assert publisher.published == []


def test_a_signature_made_with_another_secret_is_rejected(client: FlaskClient) -> None:
    body = php_json_encode({"id": 1})
    response = deliver(client, body, **{"X-WC-Webhook-Signature": sign(body, "other")})
    assert_error(response, 401, "invalid_signature")


def test_an_unsigned_json_delivery_is_missing_signature(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = php_json_encode({"id": 1})
    headers = wc_headers(body)
    del headers["X-WC-Webhook-Signature"]
    assert_error(client.post(URL, data=body, headers=headers), 401, "missing_signature")
    assert publisher.published == []


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded; charset=UTF-8"])
def test_the_form_encoded_ping_gets_exactly_200_and_publishes_nothing(
    client: FlaskClient, publisher: RecordingPublisher, content_type: str | None
) -> None:
    headers = {"User-Agent": "WooCommerce/8.9.1 Hookshot (WordPress/6.5.3)"}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(URL, data=b"webhook_id=12", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert publisher.published == []


def test_a_ping_for_an_unknown_shop_is_404(client: FlaskClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    response = client.post("/webhooks/woocommerce/nope", data=b"webhook_id=1", headers=form)
    assert_error(response, 404, "unknown_shop")


def test_an_unknown_shop_is_404_and_nothing_is_published(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = php_json_encode({"id": 1})
    response = client.post("/webhooks/woocommerce/other", data=body, headers=wc_headers(body))
    assert_error(response, 404, "unknown_shop")
    assert publisher.published == []


def test_a_body_over_the_limit_is_413_by_content_length(publisher: RecordingPublisher) -> None:
    client = make_app(publisher, max_body_bytes=64).test_client()
    body = php_json_encode({"id": 1, "pad": "x" * 64})
    assert_error(deliver(client, body), 413, "payload_too_large")
    assert publisher.published == []


def test_a_body_of_exactly_the_limit_is_accepted(publisher: RecordingPublisher) -> None:
    body = php_json_encode({"id": 1, "pad": ""})
    client = make_app(publisher, max_body_bytes=len(body)).test_client()
    assert deliver(client, body).status_code == 202


class EndlessStream(io.RawIOBase):
    """A chunked upload that never ends; counts the bytes the server pulled."""

    read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        buffer[:] = b"x" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def bare_app(publisher: RecordingPublisher, max_body_bytes: int) -> Flask:
    """The blueprint alone on another app (as when it shares one with the read API)."""
    app = Flask("bare")
    settings = Settings(max_body_bytes=max_body_bytes)
    shops = DictShops({SHOP: SECRET})
    app.register_blueprint(woocommerce_blueprint(settings, shops, publisher, FixedClock(NOW)))
    return app


@pytest.mark.parametrize("factory", [make_app, bare_app], ids=["create_app", "blueprint_only"])
def test_a_chunked_body_without_length_is_cut_off_at_the_limit(
    publisher: RecordingPublisher, factory: Any
) -> None:
    client = factory(publisher, max_body_bytes=1000).test_client()
    stream = EndlessStream()
    environ = {"wsgi.input": stream, "wsgi.input_terminated": True}
    headers = wc_headers(b"", **{"Transfer-Encoding": "chunked"})
    response = client.post(URL, headers=headers, environ_overrides=environ)
    assert_error(response, 413, "payload_too_large")
    assert stream.read_bytes <= 1001
    assert publisher.published == []


@pytest.mark.parametrize("body", [b"<html>nope</html>", b'{"id": 1', b'{"name": "Jo\xe3o"}', b""])
def test_a_signed_body_that_is_not_utf8_json_is_400(
    client: FlaskClient, publisher: RecordingPublisher, body: bytes
) -> None:
    assert_error(deliver(client, body), 400, "invalid_json")
    assert publisher.published == []


def test_a_signed_delivery_without_a_topic_is_400(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = php_json_encode({"id": 1})
    headers = wc_headers(body)
    del headers["X-WC-Webhook-Topic"]
    assert_error(client.post(URL, data=body, headers=headers), 400, "missing_topic")
    assert publisher.published == []


def test_header_names_in_odd_case_are_accepted(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = php_json_encode(load_fixture("customer.json"))
    headers = {
        "content-TYPE": "application/json",
        "x-wc-webhook-topic": "customer.created",
        "X-WC-WEBHOOK-SIGNATURE": sign(body, SECRET),
        "x-Wc-wEbHoOk-Id": "99",
        "X-wc-webhook-delivery-id": "abc",
    }
    assert client.post(URL, data=body, headers=headers).status_code == 202
    [envelope] = publisher.published
    assert (envelope.topic, envelope.webhook_id, envelope.delivery_id) == (
        "customer.created",
        "99",
        "abc",
    )


@pytest.mark.parametrize(
    ("topic", "value", "resource", "event", "resource_id"),
    [
        ("action.woocommerce_new_order", {"action": "woocommerce_new_order", "arg": 727},
         "action", "woocommerce_new_order", None),
        ("order.updated", {"code": "woocommerce_rest_cannot_view",
         "message": "Sorry, you cannot view this resource.", "data": {"status": 401}},
         "error", "updated", None),
        ("order.deleted", {"id": 727}, "order", "deleted", 727),
        ("coupon.restored", {"id": 5, "code": "10off"}, "coupon", "restored", 5),
        ("product.published", {"id": 794, "type": "simple"}, "product", "published", 794),
    ],
)  # fmt: skip
def test_any_signed_topic_becomes_one_accepted_envelope(
    client: FlaskClient,
    publisher: RecordingPublisher,
    topic: str,
    value: Any,
    resource: str,
    event: str,
    resource_id: int | None,
) -> None:
    body = php_json_encode(value)
    assert deliver(client, body, topic).status_code == 202
    [envelope] = publisher.published
    assert (envelope.resource, envelope.event, envelope.resource_id) == (
        resource,
        event,
        resource_id,
    )
    assert envelope.body.encode() == body


def test_a_publisher_that_cannot_make_it_durable_gives_503(publisher: RecordingPublisher) -> None:
    publisher.fail = True
    client = make_app(publisher).test_client()
    assert_error(deliver(client, php_json_encode({"id": 1})), 503, "unavailable")


def test_a_failing_shop_directory_gives_503() -> None:
    class BrokenShops:
        def webhook_secret(self, shop_id: str) -> str | None:
            raise ConnectionError("database is down")

    app = create_app(Settings(), BrokenShops(), RecordingPublisher(), FixedClock(NOW))
    assert_error(deliver(app.test_client(), b"{}"), 503, "unavailable")


def test_framework_errors_use_the_one_error_shape(client: FlaskClient) -> None:
    assert_error(client.get(URL), 405, "method_not_allowed")
    assert client.get(URL).headers["Allow"]
    assert_error(client.post("/webhooks/woocommerce"), 404, "not_found")
    assert_error(client.get("/nothing/here"), 404, "not_found")


def test_an_unexpected_exception_is_a_500_in_the_one_shape_without_details() -> None:
    class ExplodingPublisher(RecordingPublisher):
        def publish(self, envelopes: Sequence[Envelope]) -> None:
            raise RuntimeError("secret internals")

    client = make_app(ExplodingPublisher()).test_client()
    response = deliver(client, php_json_encode({"id": 1}))
    assert_error(response, 500, "internal_error")
    assert b"secret internals" not in response.data


def test_each_delivery_logs_one_event_without_body_secret_or_signature(client: FlaskClient) -> None:
    body = php_json_encode({"id": 727, "billing": {"email": "joao@example.com"}})
    with capture_logs() as logs:
        deliver(client, body)
        deliver(client, body, **{"X-WC-Webhook-Signature": "AAAA"})
    assert [(e["event"], e["outcome"]) for e in logs] == [
        ("webhook.delivery", "accepted"),
        ("webhook.delivery", "invalid_signature"),
    ]
    assert logs[0]["shop_id"] == SHOP
    assert (logs[0]["topic"], logs[0]["resource_id"]) == ("order.updated", 727)
    text = json.dumps(logs, default=str)
    for forbidden in ("joao@example.com", SECRET, sign(body, SECRET), "AAAA"):
        assert forbidden not in text


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_byte_change_to_the_body_with_the_original_signature_is_401(
    data: st.DataObject,
) -> None:
    publisher = RecordingPublisher()
    client = make_app(publisher).test_client()
    body = php_json_encode(load_fixture("order_refunded.json"))
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    replacement = data.draw(st.integers(0, 255).filter(lambda b: b != body[index]), label="byte")
    mutated = body[:index] + bytes([replacement]) + body[index + 1 :]
    response = client.post(URL, data=mutated, headers=wc_headers(body))
    assert_error(response, 401, "invalid_signature")
    assert publisher.published == []


# --- CachedShopDirectory: the receiver in front of a cached directory -------------------
# (the cache on its own is tested in tests/unit/test_cached_shop_directory.py)


def test_deliveries_within_the_ttl_cost_one_directory_lookup() -> None:
    inner, clock, publisher = CountingShops({SHOP: SECRET}), FixedClock(NOW), RecordingPublisher()
    app = create_app(Settings(), CachedShopDirectory(inner, 5.0, clock), publisher, clock)
    client = app.test_client()
    for _ in range(20):
        assert deliver(client, php_json_encode({"id": 1})).status_code == 202
    assert (inner.calls, len(publisher.published)) == (1, 20)
    clock.advance(timedelta(seconds=5))
    assert deliver(client, php_json_encode({"id": 1})).status_code == 202
    assert inner.calls == 2


# --- hostile bodies and internal topics (issue 10) ---------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"id":1,"total":1e999}', "body holds a number that is not finite"),
        (b'{"id":1,"refunds":[{"total":-1e400}]}', "body holds a number that is not finite"),
        (b'{"id":1,"total":NaN}', "body is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "body nests deeper than 64 levels"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "body nests deeper than 64 levels"),
        (b'{"id":1,"first_name":"\\ud800"}', "body holds a lone UTF-16 surrogate escape"),
    ],
    ids=["1e999", "-1e400", "NaN", "100000-brackets", "65-objects", "lone-surrogate"],
)
def test_a_signed_hostile_body_is_400_invalid_json_saying_what_and_nothing_is_published(
    client: FlaskClient, publisher: RecordingPublisher, body: bytes, message: str
) -> None:
    response = deliver(client, body)
    assert_error(response, 400, "invalid_json")
    assert response.get_json()["error"]["message"] == message
    assert publisher.published == []


def test_a_body_nested_exactly_64_levels_is_accepted(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    body = b'{"id":5,"meta":' + b"[" * 63 + b"]" * 63 + b"}"
    assert deliver(client, body).status_code == 202
    assert publisher.published[0].body.encode() == body


@pytest.mark.parametrize(
    ("id_text", "resource_id"),
    [
        (str(2**63 - 1), 2**63 - 1),
        (str(-(2**63)), -(2**63)),
        (str(2**63), None),
        (str(2**64), None),
        ("1" + "0" * 400, None),
    ],
    ids=["int64-max", "int64-min", "2**63", "2**64", "401-digits"],
)
def test_integers_of_any_size_are_accepted_and_only_an_int64_id_becomes_the_resource_id(
    client: FlaskClient, publisher: RecordingPublisher, id_text: str, resource_id: int | None
) -> None:
    body = f'{{"id":{id_text},"customer_id":{"9" * 30},"quantity":-{"9" * 25}}}'.encode()
    assert deliver(client, body).status_code == 202
    [envelope] = publisher.published
    assert envelope.resource_id == resource_id
    assert envelope.body.encode() == body
    assert Envelope.from_json(envelope.to_json()) == envelope


INTERNAL_TOPICS = sorted(f"job.{name}" for name in {*JOB_NAMES, *PROCESSOR_JOBS})


@pytest.mark.parametrize("topic", INTERNAL_TOPICS)
def test_a_signed_webhook_with_an_internal_topic_is_kept_as_a_webhook_envelope(
    client: FlaskClient, publisher: RecordingPublisher, topic: str
) -> None:
    """202 (a 4xx would count towards WooCommerce disabling the webhook), published as
    inert webhook data: only ``source == "job"`` envelopes run jobs, and no header of the
    delivery can make one."""
    body = php_json_encode({"customer_key": "c:1", "erasure_id": "e1", "as_of": "2024-05-01"})
    headers = {"X-WC-Webhook-Source": "job", "X-WC-Webhook-Resource": "job", "Source": "job"}
    assert deliver(client, body, topic, **headers).status_code == 202
    [envelope] = publisher.published
    assert envelope.source == "webhook"
    assert (envelope.topic, envelope.resource) == (topic, "job")
    assert Envelope.from_json(envelope.to_json()).source == "webhook"
