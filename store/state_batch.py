"""What a batch of events changes in the state, per resource (pure): the newest payload
of each resource id, and the latest trash time of each."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from schemas.events import (
    CouponChanged,
    CustomerChanged,
    Event,
    OrderChanged,
    ProductChanged,
    RefundChanged,
    ResourceTrashed,
    TicketChanged,
)
from store.state_schema import RESOURCE_TABLES

Changed = (
    OrderChanged | CustomerChanged | ProductChanged | CouponChanged | RefundChanged | TicketChanged
)
RESOURCE_OF: dict[type, str] = {
    OrderChanged: "order",
    CustomerChanged: "customer",
    ProductChanged: "product",
    CouponChanged: "coupon",
    RefundChanged: "refund",
    TicketChanged: "ticket",
}


def latest_changes(events: Iterable[Event]) -> dict[str, dict[int, Changed]]:
    """Per resource and id, the change with the greatest version (pure)."""
    best: dict[str, dict[int, Changed]] = {name: {} for name in RESOURCE_TABLES}
    for event in events:
        resource = RESOURCE_OF.get(type(event))
        if resource is None:
            continue
        table = best[resource]
        key = key_of(event)
        current = table.get(key)
        if current is None or event.version > current.version:
            table[key] = event
    return best


def latest_trash(events: Iterable[Event]) -> dict[tuple[str, int], datetime]:
    latest: dict[tuple[str, int], datetime] = {}
    for event in events:
        if isinstance(event, ResourceTrashed) and event.resource in RESOURCE_TABLES:
            key = (event.resource, event.resource_id)
            if key not in latest or event.at > latest[key]:
                latest[key] = event.at
    return latest


def key_of(event: Changed) -> int:
    """The event's id in its resource table's key column (``order_id``, ``refund_id``...)."""
    return int(getattr(event, RESOURCE_TABLES[RESOURCE_OF[type(event)]].key))
