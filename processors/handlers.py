"""From an envelope to a normalised event: one handler per resource, a literal map between them."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from processors.errors import UnprocessableEvent
from processors.normalise import (
    normalise_coupon,
    normalise_customer,
    normalise_order,
    normalise_product,
    resource_id,
    text,
)
from schemas.envelope import Envelope
from schemas.events import DeliveryNoted, Event, ResourceTrashed

Normaliser = Callable[[dict[str, Any], str, datetime], Event]

HANDLERS: dict[str, Normaliser] = {
    "order": normalise_order,
    "customer": normalise_customer,
    "product": normalise_product,
    "coupon": normalise_coupon,
}
TRASH_EVENTS = frozenset({"deleted", "trashed"})


def parse_body(envelope: Envelope) -> Any:
    try:
        return json.loads(envelope.body)
    except ValueError as exc:
        raise UnprocessableEvent(f"body is not JSON: {exc}") from None


def handle_envelope(envelope: Envelope) -> Event:
    """The event an envelope stands for; raises UnprocessableEvent when there is none."""
    if envelope.resource == "action":
        return DeliveryNoted("action", envelope.topic, envelope.event, envelope.received_at)
    body = parse_body(envelope)
    if envelope.resource == "error" or _is_rest_error(body):
        code = text(body.get("code")) if isinstance(body, dict) else ""
        return DeliveryNoted("error", envelope.topic, code, envelope.received_at)
    handler = HANDLERS.get(envelope.resource)
    if handler is None:  # a plugin's topic (subscription.*, booking.*): kept, not analysed
        return DeliveryNoted("unsupported", envelope.topic, envelope.resource, envelope.received_at)
    if envelope.event in TRASH_EVENTS:
        return ResourceTrashed(envelope.resource, resource_id(body), envelope.received_at)
    if not isinstance(body, dict):
        raise UnprocessableEvent("body is not a JSON object")
    return handler(body, envelope.body_sha256, envelope.received_at)


def _is_rest_error(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and "message" in body and "id" not in body
