"""The helpdesk ticket receiver through the real Flask apps (the ingest app and the one
``wcpulse run`` serves), real HMAC on the raw bytes, and a queue that records what it was
given: a 4xx queues nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ingest.errors import BrokerUnavailable
from ingest.receiver.app import create_app
from ingest.receiver.verify import sign
from processors.handlers import handle_envelope
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.events import TicketChanged
from schemas.settings import Settings
from tests.shop_directories import DictShops
from wcpulse.wiring import build_web_app

SHOP = "shop-1"
SECRET = "s3cr3t-helpdesk"
NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
URL = f"/webhooks/tickets/{SHOP}"
TICKET = {
    "id": 812,
    "order_id": 1001,
    "category": "Where_Is_My_Order",
    "created_at": "2024-06-01T10:00:00+02:00",
    "status": "open",
}


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


def encode(value: object) -> bytes:
    return json.dumps(value).encode()


def post(
    client: FlaskClient,
    body: bytes,
    header: str | None = "X-Wcpulse-Signature",
    secret: str = SECRET,
    url: str = URL,
) -> TestResponse:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers[header] = sign(body, secret)
    return client.post(url, data=body, headers=headers)


def assert_error(response: TestResponse, status: int, code: str) -> str:
    assert response.status_code == status
    document = response.get_json()
    assert set(document) == {"error"} and document["error"]["code"] == code
    return document["error"]["message"]


@pytest.mark.parametrize(
    "header", ["X-Wcpulse-Signature", "X-WC-Webhook-Signature", "x-wcpulse-signature"]
)
def test_a_signed_ticket_is_202_and_exactly_one_ticket_created_envelope_is_queued(
    client: FlaskClient, publisher: RecordingPublisher, header: str
) -> None:
    body = encode(TICKET)
    response = post(client, body, header)
    assert response.status_code == 202
    [envelope] = publisher.published
    assert response.get_json() == {"status": "accepted", "envelope_id": envelope.envelope_id}
    assert (envelope.shop_id, envelope.topic, envelope.resource, envelope.event) == (
        SHOP,
        "ticket.created",
        "ticket",
        "created",
    )
    assert (envelope.source, envelope.resource_id, envelope.received_at) == ("webhook", 812, NOW)
    assert envelope.body.encode() == body
    assert Envelope.from_json(envelope.to_json()) == envelope
    [event] = handle_envelope(envelope)  # what the processor makes of it
    assert isinstance(event, TicketChanged)
    assert (event.ticket_id, event.order_id, event.category) == ("812", 1001, "where_is_my_order")


def test_a_ticket_with_a_string_id_is_queued_without_a_resource_id(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    response = post(client, encode(TICKET | {"id": "ZD-812", "status": None}))
    assert response.status_code == 202
    assert [e.resource_id for e in publisher.published] == [None]


def test_a_wrong_signature_is_401_and_nothing_is_queued(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    assert_error(post(client, encode(TICKET), secret="other"), 401, "invalid_signature")
    body = encode(TICKET)
    tampered = body.replace(b"1001", b"1002")
    response = client.post(URL, data=tampered, headers={"X-Wcpulse-Signature": sign(body, SECRET)})
    assert_error(response, 401, "invalid_signature")
    assert publisher.published == []


def test_a_missing_signature_is_401_and_nothing_is_queued(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    assert_error(post(client, encode(TICKET), header=None), 401, "missing_signature")
    response = client.post(URL, data=encode(TICKET), headers={"X-Wcpulse-Signature": "  "})
    assert_error(response, 401, "missing_signature")
    assert publisher.published == []


def test_an_unknown_shop_is_404_before_the_signature_and_nothing_is_queued(
    client: FlaskClient, publisher: RecordingPublisher
) -> None:
    response = post(client, encode(TICKET), header=None, url="/webhooks/tickets/nope")
    assert_error(response, 404, "unknown_shop")
    assert publisher.published == []


@pytest.mark.parametrize("body", [b"<html>nope</html>", b'{"id": 1', b'{"id": "Jo\xe3o"}', b""])
def test_a_signed_body_that_is_not_json_is_400_and_nothing_is_queued(
    client: FlaskClient, publisher: RecordingPublisher, body: bytes
) -> None:
    assert_error(post(client, body), 400, "invalid_json")
    assert publisher.published == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"order_id": None}, "order_id: missing"),
        ({"order_id": "1001"}, "order_id: not an integer"),
        ({"order_id": True}, "order_id: not an integer"),
        ({"id": None}, "id: missing"),
        ({"id": 1.5}, "id: not an integer or a non-empty string"),
        ({"id": " "}, "id: not an integer or a non-empty string"),
        ({"category": None}, "category: missing"),
        ({"category": 7}, "category: not a string"),
        ({"created_at": None}, "created_at: missing"),
        ({"created_at": "2024-06-01T10:00:00"}, "created_at: not an ISO 8601 date and time"),
        ({"created_at": "yesterday"}, "created_at: not an ISO 8601 date and time"),
        ({"created_at": "2300-01-01T00:00:00Z"}, "created_at: date out of range"),
        ({"status": 3}, "status: not a string"),
    ],
)
def test_a_ticket_missing_a_field_or_with_a_wrong_type_is_400_naming_the_field(
    client: FlaskClient, publisher: RecordingPublisher, change: dict, message: str
) -> None:
    ticket = {k: v for k, v in (TICKET | change).items() if v is not None}  # None: left out
    text = assert_error(post(client, encode(ticket)), 400, "invalid_ticket")
    assert text.startswith(message)
    assert publisher.published == []


@pytest.mark.parametrize("value", [[TICKET], "ticket", 812, None])
def test_a_signed_json_body_that_is_not_an_object_is_400(
    client: FlaskClient, publisher: RecordingPublisher, value: object
) -> None:
    message = assert_error(post(client, encode(value)), 400, "invalid_ticket")
    assert message == "body is not a JSON object"
    assert publisher.published == []


def test_an_oversized_body_is_413_and_nothing_is_queued(publisher: RecordingPublisher) -> None:
    body = encode(TICKET | {"note": "x" * 200})
    client = make_app(publisher, max_body_bytes=len(body) - 1).test_client()
    assert_error(post(client, body), 413, "payload_too_large")
    exact = make_app(publisher, max_body_bytes=len(body)).test_client()
    assert post(exact, body).status_code == 202  # the limit itself is allowed
    assert len(publisher.published) == 1


def test_an_oversized_body_is_413_even_for_an_unknown_shop() -> None:
    publisher = RecordingPublisher()
    client = make_app(publisher, max_body_bytes=16).test_client()
    response = post(client, encode(TICKET), url="/webhooks/tickets/nope")
    assert_error(response, 413, "payload_too_large")
    assert publisher.published == []


def test_a_broker_that_cannot_take_it_is_503() -> None:
    publisher = RecordingPublisher(fail=True)
    response = post(make_app(publisher).test_client(), encode(TICKET))
    assert_error(response, 503, "unavailable")
    assert publisher.published == []


def test_the_web_app_wcpulse_serves_receives_tickets_too(tmp_path: Path) -> None:
    publisher = RecordingPublisher()
    registry = SimpleNamespace(webhook_secret={SHOP: SECRET}.get)
    settings = Settings(data_dir=tmp_path)
    for serve_api in (True, False):
        app = build_web_app(settings, registry, publisher, FixedClock(NOW), {}, serve_api=serve_api)
        assert post(app.test_client(), encode(TICKET)).status_code == 202
    assert [e.topic for e in publisher.published] == ["ticket.created"] * 2
