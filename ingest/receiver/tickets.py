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

from typing import Any

import structlog
from flask import Blueprint, Response, request

from ingest.receiver.delivery import (
    Answer,
    Publisher,
    Receiver,
    Rejected,
    ShopDirectory,
    check_signature,
    receiver_blueprint,
)
from ingest.receiver.parsing import InvalidPayload, JsonBody, decode_json, resource_id_of
from processors.errors import UnprocessableEvent
from processors.normalise_tickets import MISSING, normalise_ticket
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.settings import Settings

_log = structlog.get_logger(__name__)

TICKET_RULE = "/webhooks/tickets/<shop_id>"
TICKET_TOPIC = "ticket.created"
TICKET_RESOURCE, _, TICKET_EVENT = TICKET_TOPIC.partition(".")
SIGNATURE_HEADER = "X-Wcpulse-Signature"  # named in the 401 when no signature is sent
SIGNATURE_HEADERS = ("x-wcpulse-signature", "x-wc-webhook-signature")  # first found wins
INVALID_TICKET = "invalid_ticket"
NOT_A_STRING = "not a string"


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


class TicketReceiver(Receiver):
    """The view behind the blueprint, holding the ports it was given."""

    RETRY = "the ticket could not be stored right now; nothing was accepted"

    def receive(self, shop_id: str) -> Response:
        return self._answer(shop_id).response()

    def _answer(self, shop_id: str) -> Answer:
        context: dict[str, Any] = {"shop_id": shop_id, "topic": TICKET_TOPIC, "resource_id": None}
        try:
            envelope = self._envelope(shop_id, self._ticket(self._signed_body(shop_id)))
            answer = self._accept(envelope)
        except Rejected as rejected:
            fields = rejected.logged(context)
            _log.log(
                rejected.level,
                "ticket.delivery",
                outcome=rejected.code,
                status=rejected.status,
                **fields,
            )
            return rejected.answer()
        context.update(resource_id=envelope.resource_id, envelope_id=envelope.envelope_id)
        _log.debug("ticket.delivery", outcome="accepted", status=202, **context)
        return answer

    def _signed_body(self, shop_id: str) -> bytes:
        """The body, once its length and its signature with the shop's secret are checked."""
        body, secret = self._body_and_secret(request.environ, shop_id, request.max_content_length)
        signature = signature_header(request.headers.items())
        check_signature(body, secret, signature, SIGNATURE_HEADER)
        return body

    def _ticket(self, body: bytes) -> JsonBody:
        """The signed body as JSON that the processor will normalise, or a 400."""
        try:
            parsed = decode_json(body)
        except InvalidPayload as exc:
            raise Rejected(400, exc.code, exc.message) from None
        problem = ticket_problem(parsed.value)
        if problem is None:
            try:
                normalise_ticket(parsed.value, "", self._clock.now())
            except UnprocessableEvent as exc:
                problem = str(exc)
        if problem is not None:
            raise Rejected(400, INVALID_TICKET, problem)
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
    receiver = TicketReceiver(settings, shops, publisher, clock)
    return receiver_blueprint("tickets", TICKET_RULE, receiver.receive)
