"""The helpdesk ticket receiver: ``POST /webhooks/tickets/<shop_id>`` (SPEC §4 support metrics).

Signed as WooCommerce signs its webhooks, with the shop's webhook secret:
``X-Wcpulse-Signature`` (or ``X-WC-Webhook-Signature``; the first wins when both are sent)
= base64(HMAC-SHA256(raw body, secret)), checked on the raw bytes in constant time.

The body is one JSON object: ``id`` (integer or string), ``order_id`` (integer), ``category``
(string), ``created_at`` (ISO 8601 with an offset), optionally ``status`` (string or null).
Order of checks, as for WooCommerce deliveries: declared length (413), shop (404), bounded
read (413), signature (401), JSON (400 ``invalid_json``), the ticket's fields (400
``invalid_ticket``, the message names the field: ``order_id: missing``). The fields are
checked by the processor's own normaliser (processors/normalise_tickets.py), so a ticket
answered 202 is one the processor applies. A valid ticket becomes one envelope (topic
``ticket.created``, resource ``ticket``, source ``webhook``), answered 202 only after the
publisher made it durable, 503 otherwise. Nothing is published on a 4xx. One log event per
delivery, never with the body, the secret or the signature.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ingest.errors import PublishError
from ingest.receiver.parsing import (
    BodyTooLarge,
    InvalidPayload,
    JsonBody,
    decode_json,
    read_limited,
    resource_id_of,
)
from ingest.receiver.verify import signature_matches
from ingest.receiver.woocommerce import Publisher, ShopDirectory
from processors.errors import UnprocessableEvent
from processors.normalise_tickets import MISSING, normalise_ticket
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.web import error_response

_log = structlog.get_logger(__name__)

TICKET_RULE = "/webhooks/tickets/<shop_id>"
TICKET_TOPIC = "ticket.created"
TICKET_RESOURCE, _, TICKET_EVENT = TICKET_TOPIC.partition(".")
SIGNATURE_HEADERS = ("x-wcpulse-signature", "x-wc-webhook-signature")  # first found wins
INVALID_TICKET = "invalid_ticket"
NOT_A_STRING = "not a string"
_RETRY = "the ticket could not be stored right now; nothing was accepted"


class _Rejected(Exception):
    """A delivery answered with an error; ``code`` is also the logged outcome."""

    def __init__(self, status: int, code: str, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.error = status, code, message, error


def _refused(rejected: _Rejected, context: dict[str, Any]) -> Response:
    level = logging.ERROR if rejected.status >= 500 else logging.WARNING
    if rejected.error is not None:
        context["error"] = rejected.error
    _log.log(level, "ticket.delivery", outcome=rejected.code, status=rejected.status, **context)
    return error_response(rejected.status, rejected.code, rejected.message)


def signature_header(pairs: Any) -> str | None:
    """The signature a request carries: the first non-blank value of ``SIGNATURE_HEADERS``,
    in that order of preference, names compared case-insensitively."""
    found: dict[str, str] = {}
    for name, value in pairs:
        key = name.strip().lower()
        if key in SIGNATURE_HEADERS and key not in found and value.strip():
            found[key] = value.strip()
    return next((found[name] for name in SIGNATURE_HEADERS if name in found), None)


def ticket_problem(value: Any) -> str | None:
    """Why a signed JSON body is not a ticket (the field and the problem), or None.

    ``category`` must be a string here (the processor tolerates its absence, for bodies
    that reach it otherwise); ``status`` may be left out or null."""
    if not isinstance(value, dict):
        return "body is not a JSON object"
    category = value.get("category")
    if category is None:
        return f"category: {MISSING}"
    if not isinstance(category, str):
        return f"category: {NOT_A_STRING}"
    if not isinstance(value.get("status", ""), str | None):
        return f"status: {NOT_A_STRING}"
    return None


class TicketReceiver:
    """The view behind the blueprint, holding the ports it was given."""

    def __init__(
        self, settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
    ) -> None:
        self._max_body = settings.max_body_bytes
        self._shops = shops
        self._publisher = publisher
        self._clock = clock

    def receive(self, shop_id: str) -> Response:
        context: dict[str, Any] = {"shop_id": shop_id, "topic": TICKET_TOPIC, "resource_id": None}
        try:
            envelope = self._accept(shop_id)
        except _Rejected as rejected:
            return _refused(rejected, context)
        context.update(resource_id=envelope.resource_id, envelope_id=envelope.envelope_id)
        _log.debug("ticket.delivery", outcome="accepted", status=202, **context)
        response = jsonify({"status": "accepted", "envelope_id": envelope.envelope_id})
        response.status_code = 202
        return response

    def _accept(self, shop_id: str) -> Envelope:
        declared = request.content_length
        if declared is not None and declared > self._max_body:
            raise self._too_large()
        secret = self._secret(shop_id)
        body = self._read_body()
        signature = signature_header(request.headers.items())
        if signature is None:
            raise _Rejected(401, "missing_signature", "X-Wcpulse-Signature header is missing")
        if not signature_matches(body, secret, signature):
            raise _Rejected(401, "invalid_signature", "signature does not match the body")
        envelope = self._envelope(shop_id, self._ticket(body))
        try:
            self._publisher.publish([envelope])
        except PublishError as exc:
            raise _Rejected(503, "unavailable", _RETRY, type(exc).__name__) from None
        return envelope

    def _secret(self, shop_id: str) -> str:
        try:
            secret = self._shops.webhook_secret(shop_id)
        except Exception as exc:  # edge: whatever the directory raises becomes a 503
            raise _Rejected(503, "unavailable", _RETRY, type(exc).__name__) from None
        if secret is None:
            raise _Rejected(404, "unknown_shop", "no shop with this id")
        return secret

    def _read_body(self) -> bytes:
        try:
            return read_limited(request.stream, self._max_body)
        except (BodyTooLarge, RequestEntityTooLarge):
            raise self._too_large() from None

    def _too_large(self) -> _Rejected:
        return _Rejected(413, "payload_too_large", f"body is larger than {self._max_body} bytes")

    def _ticket(self, body: bytes) -> JsonBody:
        """The signed body as JSON that the processor will normalise, or a 400."""
        try:
            parsed = decode_json(body)
        except InvalidPayload as exc:
            raise _Rejected(400, exc.code, exc.message) from None
        problem = ticket_problem(parsed.value)
        if problem is None:
            try:
                normalise_ticket(parsed.value, "", self._clock.now())
            except UnprocessableEvent as exc:
                problem = str(exc)
        if problem is not None:
            raise _Rejected(400, INVALID_TICKET, problem)
        return parsed

    def _envelope(self, shop_id: str, ticket: JsonBody) -> Envelope:
        return Envelope(
            shop_id=shop_id,
            topic=TICKET_TOPIC,
            resource=TICKET_RESOURCE,
            event=TICKET_EVENT,
            resource_id=resource_id_of(ticket.value),
            body=ticket.text,
            received_at=self._clock.now(),
            source="webhook",
        )


def tickets_blueprint(
    settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
) -> Blueprint:
    """The blueprint that receives signed helpdesk tickets for every registered shop."""
    blueprint = Blueprint("tickets", __name__)
    receiver = TicketReceiver(settings, shops, publisher, clock)
    blueprint.add_url_rule(TICKET_RULE, "receive", receiver.receive, methods=["POST"])
    return blueprint
