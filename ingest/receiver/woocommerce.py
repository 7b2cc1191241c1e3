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

``WebhookReceiver.receive`` answers a delivery from its WSGI environ. Where the receiver is
mounted with ``mount_woocommerce`` (both of wcpulse's web apps), the fast path in front of
Flask (``fast_path.py``) calls it directly; the blueprint's view calls the same method when
Flask dispatches a delivery, so there is one receiver whichever way a delivery comes in.
"""

from __future__ import annotations

import logging
from typing import Any

import structlog
from flask import Blueprint, Flask, Response, request

from ingest.receiver.delivery import (
    RECEIVE,
    Answer,
    Publisher,
    Receiver,
    Rejected,
    ShopDirectory,
    WSGIEnviron,
    check_signature,
    json_answer,
    receiver_blueprint,
)
from ingest.receiver.environ import header_pairs
from ingest.receiver.fast_path import install_fast_path
from ingest.receiver.parsing import (
    InvalidPayload,
    WebhookHeaders,
    build_envelope,
    decode_json,
    is_ping,
    parse_headers,
)
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.settings import Settings

_log = structlog.get_logger(__name__)

WEBHOOK_RULE = "/webhooks/woocommerce/<shop_id>"
SIGNATURE_HEADER = "X-WC-Webhook-Signature"


class WebhookReceiver(Receiver):
    """The view behind the blueprint, holding the ports it was given."""

    RETRY = "the event could not be stored right now; nothing was accepted"

    def receive(self, environ: WSGIEnviron, shop_id: str, max_content_length: int | None) -> Answer:
        """The answer to one delivery to ``shop_id``, read from its WSGI ``environ``."""
        headers = self._headers(environ)
        context: dict[str, Any] = {
            "shop_id": shop_id,
            "topic": headers.topic,
            "webhook_id": headers.webhook_id,
            "delivery_id": headers.delivery_id,
        }
        try:
            envelope = self._envelope(environ, shop_id, headers, max_content_length)
            if envelope is None:
                answer = json_answer(200, {"status": "ok"})
            else:
                answer = self._accept(envelope)
        except Rejected as rejected:
            _log_delivery(rejected.level, rejected.code, rejected.status, rejected.logged(context))
            return rejected.answer()
        if envelope is None:
            _log_delivery(logging.INFO, "ping", 200, context)
        else:
            context.update(resource_id=envelope.resource_id, envelope_id=envelope.envelope_id)
            _log_delivery(logging.DEBUG, "accepted", 202, context)
        return answer

    def _headers(self, environ: WSGIEnviron) -> WebhookHeaders:
        return parse_headers(header_pairs(environ))

    def _envelope(
        self,
        environ: WSGIEnviron,
        shop_id: str,
        headers: WebhookHeaders,
        max_content_length: int | None,
    ) -> Envelope | None:
        """The envelope for this delivery, or None for a ping."""
        body, secret = self._body_and_secret(environ, shop_id, max_content_length)
        if is_ping(headers, body):
            return None
        check_signature(body, secret, headers.signature, SIGNATURE_HEADER)
        try:
            return build_envelope(shop_id, headers, decode_json(body), self._clock.now())
        except InvalidPayload as exc:
            raise Rejected(400, exc.code, exc.message) from None


def _log_delivery(level: int, outcome: str, status: int, context: dict[str, Any]) -> None:
    fields = {"resource_id": None, **context}
    _log.log(level, "webhook.delivery", outcome=outcome, status=status, **fields)


def woocommerce_blueprint(
    settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
) -> Blueprint:
    """The blueprint that receives WooCommerce webhooks for every registered shop."""
    return _blueprint(WebhookReceiver(settings, shops, publisher, clock))


def mount_woocommerce(
    app: Flask, settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
) -> None:
    """The blueprint on ``app``, and in front of it the fast path (``fast_path.py``) that
    answers its deliveries with the same receiver, without Flask's per-request work."""
    receiver = WebhookReceiver(settings, shops, publisher, clock)
    blueprint = _blueprint(receiver)
    app.register_blueprint(blueprint)
    install_fast_path(app, WEBHOOK_RULE, f"{blueprint.name}.{RECEIVE}", receiver.receive)


def _blueprint(receiver: WebhookReceiver) -> Blueprint:
    def view(shop_id: str) -> Response:
        return receiver.receive(request.environ, shop_id, request.max_content_length).response()

    return receiver_blueprint("woocommerce", WEBHOOK_RULE, view)
