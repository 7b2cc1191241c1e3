"""The WooCommerce webhook receiver: ``POST /webhooks/woocommerce/<shop_id>``.

Order of checks (SPEC section 2): declared length (413), shop (404), bounded read (413),
ping (200, nothing stored), signature on the raw bytes (401), JSON (400), topic (400).
A correctly signed delivery of any topic becomes one envelope and is answered 202 only
after the publisher says it is durable; if it cannot be made durable the answer is 503.
Exactly one log event per delivery, never with the body, the secret or the signature.

The JSON check (``ingest.receiver.strict_json``) refuses what PHP's ``json_encode`` never writes
(non-finite numbers, lone surrogate escapes) and nesting past ``MAX_JSON_DEPTH``: no
WooCommerce delivery is refused by it, so no webhook is disabled over it.

Internal topics (``job.erase``, ``job.rfm``, ...) are answered like any other signed topic:
202, and the envelope is marked ``source="webhook"`` here, whatever the delivery's headers
say. Only ``source == "job"`` envelopes (the CLI, the scheduler, the admin API) run jobs;
the processor keeps a webhook with a job's topic as inert data. Not a 4xx, because
WooCommerce disables a webhook after 7 consecutive failures, and a plugin may register
its own resource called ``job``: refusing would cost a shop its webhook, accepting costs
nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

import structlog
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ingest.errors import PublishError
from ingest.receiver.parsing import (
    BodyTooLarge,
    InvalidPayload,
    WebhookHeaders,
    build_envelope,
    decode_json,
    is_ping,
    parse_headers,
    read_limited,
)
from ingest.receiver.verify import signature_matches
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.web import error_response

_log = structlog.get_logger(__name__)

WEBHOOK_RULE = "/webhooks/woocommerce/<shop_id>"
_RETRY = "the event could not be stored right now; nothing was accepted"


class ShopDirectory(Protocol):
    def webhook_secret(self, shop_id: str) -> str | None:
        """The shop's webhook secret; None when there is no such shop."""
        ...


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns only once the envelopes are durable; raises ``PublishError`` otherwise."""
        ...


class _Rejected(Exception):
    """A delivery we answer with an error; ``code`` is also the logged outcome."""

    def __init__(self, status: int, code: str, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.error = error  # the exception type behind a 5xx (never its text: it may hold a URL)


class WebhookReceiver:
    """The view behind the blueprint, holding the ports it was given."""

    def __init__(
        self, settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
    ) -> None:
        self._max_body = settings.max_body_bytes
        self._shops = shops
        self._publisher = publisher
        self._clock = clock

    def receive(self, shop_id: str) -> Response:
        headers = parse_headers(request.headers.items())
        context: dict[str, Any] = {
            "shop_id": shop_id,
            "topic": headers.topic,
            "webhook_id": headers.webhook_id,
            "delivery_id": headers.delivery_id,
        }
        try:
            envelope = self._accept(shop_id, headers)
        except _Rejected as rejected:
            level = logging.ERROR if rejected.status >= 500 else logging.WARNING
            if rejected.error is not None:
                context["error"] = rejected.error
            _log_delivery(level, rejected.code, rejected.status, context)
            return error_response(rejected.status, rejected.code, rejected.message)
        if envelope is None:
            _log_delivery(logging.INFO, "ping", 200, context)
            return _json(200, {"status": "ok"})
        context.update(resource_id=envelope.resource_id, envelope_id=envelope.envelope_id)
        _log_delivery(logging.DEBUG, "accepted", 202, context)
        return _json(202, {"status": "accepted", "envelope_id": envelope.envelope_id})

    def _accept(self, shop_id: str, headers: WebhookHeaders) -> Envelope | None:
        """The envelope published for this delivery, or None for a ping."""
        self._check_declared_length()
        secret = self._secret(shop_id)
        body = self._read_body()
        if is_ping(headers, body):
            return None
        _verify(body, secret, headers.signature)
        try:
            envelope = build_envelope(shop_id, headers, decode_json(body), self._clock.now())
        except InvalidPayload as exc:
            raise _Rejected(400, exc.code, exc.message) from None
        self._publish(envelope)
        return envelope

    def _secret(self, shop_id: str) -> str:
        try:
            secret = self._shops.webhook_secret(shop_id)
        except Exception as exc:  # edge: whatever the directory raises becomes a 503
            raise _Rejected(503, "unavailable", _RETRY, type(exc).__name__) from None
        if secret is None:
            raise _Rejected(404, "unknown_shop", "no shop with this id")
        return secret

    def _check_declared_length(self) -> None:
        declared = request.content_length
        if declared is not None and declared > self._max_body:
            raise _too_large(self._max_body)

    def _read_body(self) -> bytes:
        try:
            return read_limited(request.stream, self._max_body)
        except (BodyTooLarge, RequestEntityTooLarge):
            raise _too_large(self._max_body) from None

    def _publish(self, envelope: Envelope) -> None:
        try:
            self._publisher.publish([envelope])
        except PublishError as exc:
            raise _Rejected(503, "unavailable", _RETRY, type(exc).__name__) from None


def _log_delivery(level: int, outcome: str, status: int, context: dict[str, Any]) -> None:
    fields = {"resource_id": None, **context}
    _log.log(level, "webhook.delivery", outcome=outcome, status=status, **fields)


def _verify(body: bytes, secret: str, signature: str | None) -> None:
    if signature is None:
        raise _Rejected(401, "missing_signature", "X-WC-Webhook-Signature header is missing")
    if not signature_matches(body, secret, signature):
        raise _Rejected(401, "invalid_signature", "signature does not match the body")


def _too_large(limit: int) -> _Rejected:
    return _Rejected(413, "payload_too_large", f"body is larger than {limit} bytes")


def _json(status: int, payload: dict[str, str]) -> Response:
    response = jsonify(payload)
    response.status_code = status
    return response


def woocommerce_blueprint(
    settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
) -> Blueprint:
    """The blueprint that receives WooCommerce webhooks for every registered shop."""
    blueprint = Blueprint("woocommerce", __name__)
    receiver = WebhookReceiver(settings, shops, publisher, clock)
    blueprint.add_url_rule(WEBHOOK_RULE, "receive", receiver.receive, methods=["POST"])
    return blueprint
