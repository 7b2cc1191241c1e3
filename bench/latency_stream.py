"""What ``bench latency`` sends: signed webhooks, and which order each one should show.

``Stream.probes`` say how to see each event in the read API: a ``Probe`` is one
``/orders`` listing (``bench.latency_watch.Watcher``) and the order ids it should come to
show, each with the index of the request that should make it appear.

- a new shop (``new_orders``): only new orders, ids from FIRST_ID up, one per request;
- a big shop (``shop_stream``): ``bench publish``'s realistic traffic continuing the
  shop's history (``bench.publish_batch.BatchSource``: new orders of existing customers,
  new customers and guests with their first order, recent orders completed, a refund,
  profile updates). New orders are seen in the listing of all orders; updated orders in
  the listing of completed and refunded ones. Customer events are sent but not watched
  (a customer's row is not an order; its orders are).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.orders import Delivery, order_body
from bench.publish_batch import BatchSource
from bench.shop_history import History
from bench.webhooks import signed_request
from ingest.demo.phpjson import php_json_encode
from schemas.envelope import Envelope

FIRST_ID = 10_000_000  # a new shop's orders
UPDATED_STATUSES = "completed,refunded"
DAY_MAX = "9999-12-31"


@dataclass
class Probe:
    label: str
    topic: str  # the deliveries it watches
    statuses: str = ""  # the listing's status filter, if any
    expected: dict[int, int] = field(default_factory=dict)  # order id -> request index
    first_day: str = ""  # the earliest revenue day of its orders, when known

    @property
    def query(self) -> str:
        """Of the /orders listing that shows the probe's orders. ``from`` keeps the listing
        to their days: sorting a 1M-order view by id costs the API about a second, so
        polling it unfiltered would load the service and lag behind its publishes."""
        parts = [f"status={self.statuses}"] if self.statuses else []
        return "&".join(parts + ([f"from={self.first_day}"] if self.first_day else []))


@dataclass
class Stream:
    requests: list[bytes]
    probes: list[Probe]
    kinds: dict[str, int] = field(default_factory=dict)  # topic -> requests


def new_orders(port: int, shop: dict[str, Any], count: int) -> Stream:
    """``count`` new orders (distinct, increasing ids) of a few hundred customers."""
    now = datetime.now(UTC)
    probe = Probe("new orders", "order.created")
    requests = []
    for n in range(count):
        order_id = FIRST_ID + n
        body = order_body(order_id, n % 997, now - timedelta(minutes=5), random.Random(order_id))
        delivery = Delivery("order.created", order_id, php_json_encode(body))
        requests.append(signed_request(port, shop["shop_id"], shop["webhook_secret"], delivery))
        probe.expected[order_id] = n
    return Stream(requests, [probe], {"order.created": count})


def shop_stream(port: int, shop: dict[str, Any], history: History, seed: int, count: int) -> Stream:
    """``count`` deliveries continuing ``history`` (which moves on with them)."""
    source = BatchSource(history, shop["shop_id"], seed)
    created = Probe("new orders", "order.created")
    updated = Probe("order updates", "order.updated", UPDATED_STATUSES)
    stream = Stream([], [created, updated])
    while len(stream.requests) < count:
        for envelope in source.next_batch(datetime.now(UTC))[: count - len(stream.requests)]:
            _add(stream, port, shop, envelope)
    return stream


def _add(stream: Stream, port: int, shop: dict[str, Any], envelope: Envelope) -> None:
    """One delivery as WooCommerce would send it (PHP-encoded body, signed)."""
    fields = json.loads(envelope.body)
    delivery = Delivery(envelope.topic, envelope.resource_id or 0, php_json_encode(fields))
    index = len(stream.requests)
    stream.requests.append(signed_request(port, shop["shop_id"], shop["webhook_secret"], delivery))
    stream.kinds[envelope.topic] = stream.kinds.get(envelope.topic, 0) + 1
    for probe in stream.probes:
        if probe.topic == envelope.topic:  # an order updated twice: seen from the first
            probe.expected.setdefault(delivery.order_id, index)
            probe.first_day = min(probe.first_day or DAY_MAX, _revenue_day(fields))


def _revenue_day(order: dict[str, Any]) -> str:
    """The day an order's revenue is dated by in ``bench publish``'s shop (its creation
    in UTC), a day early: a margin, should the shop date revenue otherwise."""
    created = datetime.fromisoformat(order["date_created_gmt"]).date()
    return (created - timedelta(days=1)).isoformat()
