"""From an envelope to normalised events: one handler per resource, a literal map between them.

A webhook or sync envelope carries one resource; an import envelope (``<resource>.imported``)
carries a REST page, a JSON array of resources, and yields one event per element through the
same normaliser. A page with an element that cannot be keyed is unprocessable as a whole (the
reason names the element's index; the importer fetches the page again).

An order delivery first tries the fast path (``decode_directly``: processors/decode_order.py
reads the body's text straight into the event); a body it does not fully understand goes
the way above, which decides every result and every reason the fast path does not give.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from processors.decode_order import decode_order
from processors.errors import UnprocessableEvent
from processors.jobs import JOBS
from processors.normalise import (
    normalise_coupon,
    normalise_customer,
    normalise_order,
    normalise_refund,
    resource_id,
    text,
)
from processors.normalise_product import normalise_product
from processors.normalise_tickets import normalise_ticket
from schemas.control_events import ErasureRequested
from schemas.envelope import Envelope, body_hash
from schemas.events import DeliveryNoted, Event, ResourceTrashed
from schemas.jsoncodec import loads
from schemas.shop import DEFAULT_COST_KEYS, CostKeys

Normaliser = Callable[[dict[str, Any], str, datetime], Event]

HANDLERS: dict[str, Normaliser] = {
    "order": normalise_order,
    "customer": normalise_customer,
    "product": normalise_product,
    "coupon": normalise_coupon,
    "refund": normalise_refund,
    "ticket": normalise_ticket,  # POST /webhooks/tickets/<shop> (ingest/receiver/tickets.py)
}
TRASH_EVENTS = frozenset({"deleted", "trashed"})
JOB_SOURCE = "job"
JOB_RESOURCE = "job"
PAGE_EVENTS = frozenset({"imported"})
DIRECT_SKIPS = TRASH_EVENTS | PAGE_EVENTS  # events whose bodies decode_directly leaves alone


def parse_body(envelope: Envelope) -> Any:
    try:
        return loads(envelope.body)
    except ValueError as exc:
        raise UnprocessableEvent(f"body is not JSON: {exc}") from None
    except RecursionError:
        raise UnprocessableEvent("body is not JSON we read: nested too deeply") from None


def handle_envelope(envelope: Envelope, cost_keys: CostKeys = DEFAULT_COST_KEYS) -> list[Event]:
    """The events an envelope stands for; raises UnprocessableEvent when there are none.

    Only our own envelopes (``source == "job"``: the CLI, the admin API, the scheduler) run
    jobs; a webhook, import or sync with a job's topic is kept as inert data. ``cost_keys``:
    the shop's product cost meta keys (``ShopConfig.cost_keys``)."""
    if envelope.source == JOB_SOURCE:
        return [handle_job(envelope)]
    if envelope.resource == JOB_RESOURCE:  # a job's topic from outside: noted, never run
        noted = DeliveryNoted("unsupported", envelope.topic, JOB_RESOURCE, envelope.received_at)
        return [noted]
    if envelope.resource == "action":
        return [DeliveryNoted("action", envelope.topic, envelope.event, envelope.received_at)]
    decoded = decode_directly(envelope)
    if decoded is not None:
        return [decoded]
    body = parse_body(envelope)
    if envelope.resource == "error" or _is_rest_error(body):
        code = text(body.get("code")) if isinstance(body, dict) else ""
        return [DeliveryNoted("error", envelope.topic, code, envelope.received_at)]
    handler = _handler(envelope.resource, cost_keys)
    if handler is None:  # a plugin's topic (subscription.*, booking.*): kept, not analysed
        noted = DeliveryNoted(
            "unsupported", envelope.topic, envelope.resource, envelope.received_at
        )
        return [noted]
    if envelope.event in TRASH_EVENTS:
        return handle_trash(envelope, resource_id(body))
    if envelope.event in PAGE_EVENTS and isinstance(body, list):
        return handle_page(handler, body, envelope.received_at)
    if not isinstance(body, dict):
        raise UnprocessableEvent("body is not a JSON object")
    return [handler(body, envelope.body_sha256, envelope.received_at)]


def decode_directly(envelope: Envelope) -> Event | None:
    """The event of an order delivery decoded straight from its body (processors/
    decode_order.py), exactly what ``parse_body`` and ``normalise_order`` make of it, for a
    third of the work; None when the body is left to them (a body the fast path does not
    fully understand, any other resource, a trashed order, an imported page)."""
    if envelope.resource != "order" or envelope.event in DIRECT_SKIPS:
        return None
    return decode_order(envelope.body, envelope.body_sha256, envelope.received_at)


def _handler(resource: str, cost_keys: CostKeys) -> Normaliser | None:
    """The resource's normaliser; products' with the shop's cost meta keys."""
    if resource == "product" and cost_keys != DEFAULT_COST_KEYS:
        return partial(normalise_product, cost_keys=cost_keys)
    return HANDLERS.get(resource)


def handle_trash(envelope: Envelope, rid: int) -> list[Event]:
    """``*.deleted``: the resource is trashed; a deleted customer (WordPress deletes users
    for good) is also erased, as GDPR asks."""
    trashed = ResourceTrashed(envelope.resource, rid, envelope.received_at)
    if envelope.resource != "customer":
        return [trashed]
    erasure = ErasureRequested(str(rid), envelope.envelope_id[:16], envelope.received_at)
    return [trashed, erasure]


def handle_job(envelope: Envelope) -> Event:
    """A job envelope's event, as its entry in the jobs registry reads the body."""
    spec = JOBS.get(envelope.event)
    if spec is None:
        raise UnprocessableEvent(f"job.{envelope.event}: unknown job")
    body = parse_body(envelope)
    if not isinstance(body, dict):
        raise UnprocessableEvent("job body is not a JSON object")
    try:
        return spec.parse(body, envelope.received_at)
    except (KeyError, TypeError, ValueError) as exc:
        raise UnprocessableEvent(f"job.{envelope.event}: bad parameters ({exc})") from None


def handle_page(handler: Normaliser, page: list[Any], received_at: datetime) -> list[Event]:
    """One event per element of an imported REST page, each versioned by its own content."""
    events: list[Event] = []
    for index, element in enumerate(page):
        if not isinstance(element, dict):
            raise UnprocessableEvent(f"page element {index} is not a JSON object")
        try:
            events.append(handler(element, element_hash(element), received_at))
        except UnprocessableEvent as exc:
            raise UnprocessableEvent(f"page element {index}: {exc}") from None
    return events


def element_hash(element: dict[str, Any]) -> str:
    """Hash of a page element's canonical JSON: the same resource content gets the same
    version whichever page (or page split) brought it."""
    canonical = json.dumps(element, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return body_hash(canonical)


def _is_rest_error(body: Any) -> bool:
    return isinstance(body, dict) and "code" in body and "message" in body and "id" not in body
