"""Fresh 100-event batches for ``bench publish``, continuing a shop's history.

Each batch is a realistic minute of a busy shop (MIX): new orders of existing customers,
new registered customers with their first order, orders of new guests, updates of recent
orders (processing -> completed), a full refund and customer profile updates. Every batch
brings new order ids and new customers, so every publish has something to show.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from bench.orders import Delivery, envelope_of
from bench.shop_history import (
    History,
    PlacedOrder,
    customer_delivery,
    is_guest,
    order_delivery,
    refunded_fields,
)
from schemas.envelope import Envelope

# events per batch, by kind (a new registered customer is two: the customer, their order)
MIX = {
    "orders of existing customers": 45,
    "new customers (customer + order)": 16,
    "orders of new guests": 8,
    "updates of recent orders": 28,
    "refund": 1,
    "customer updates": 2,
}
BATCH_EVENTS = sum(MIX.values())


class BatchSource:
    """Makes batch after batch for one shop from where its history left off."""

    def __init__(self, history: History, shop_id: str, seed: int) -> None:
        self._history = history
        self._recent = list(history.recent or [])
        self._shop_id = shop_id
        self._rng = random.Random(seed)
        # customers of the history (each has ordered); a batch's new ones skip indices
        self._known = history.customers

    def next_batch(self, now: datetime) -> list[Envelope]:
        """BATCH_EVENTS envelopes received over the second before ``now``."""
        deliveries = self._updates(now)  # first: orders placed by this batch stay as placed
        deliveries += self._new_customers(now) + self._new_guests(now)
        deliveries += self._customer_updates(now)
        deliveries += self._new_orders(now, BATCH_EVENTS - len(deliveries))
        self._rng.shuffle(deliveries)
        start = now - timedelta(seconds=1)
        step = timedelta(seconds=1) / len(deliveries)
        return [
            envelope_of(delivery, self._shop_id, start + step * n)
            for n, delivery in enumerate(deliveries)
        ]

    def _place(self, customer: int, now: datetime) -> Delivery:
        order = PlacedOrder(self._history.next_order_id, customer, now - timedelta(seconds=30))
        self._history.next_order_id += 1
        self._recent.append(order)
        return order_delivery("order.created", order, "processing", order.created)

    def _new_customer(self, guest: bool) -> int:
        """The next customer index that is (or is not) a guest."""
        while is_guest(self._history.customers) != guest:
            self._history.customers += 1
        self._history.customers += 1
        return self._history.customers - 1

    def _new_orders(self, now: datetime, count: int) -> list[Delivery]:
        """``count`` orders of existing customers (more than MIX says when the shop had
        fewer recent orders to update)."""
        return [self._place(self._rng.randrange(self._known), now) for _ in range(count)]

    def _new_customers(self, now: datetime) -> list[Delivery]:
        deliveries = []
        for _ in range(MIX["new customers (customer + order)"] // 2):
            customer = self._new_customer(guest=False)
            at = now - timedelta(minutes=1)
            deliveries += [
                customer_delivery("customer.created", customer, at, at),
                self._place(customer, now),
            ]
        return deliveries

    def _new_guests(self, now: datetime) -> list[Delivery]:
        count = MIX["orders of new guests"]
        return [self._place(self._new_customer(guest=True), now) for _ in range(count)]

    def _updates(self, now: datetime) -> list[Delivery]:
        """Recent orders move on, oldest first: completed, and one refunded in full."""
        count = MIX["updates of recent orders"] + MIX["refund"]
        taken, self._recent = self._recent[:count], self._recent[count:]
        deliveries = [
            order_delivery("order.updated", order, "completed", now) for order in taken[1:]
        ]
        if taken:
            refund = refunded_fields(taken[0])
            deliveries.append(order_delivery("order.updated", taken[0], "refunded", now, **refund))
        return deliveries

    def _customer_updates(self, now: datetime) -> list[Delivery]:
        """Profile updates of distinct registered customers (indices 4k+1 .. 4k+3)."""
        blocks = range(max(1, self._known // 4 - 1))
        count = min(MIX["customer updates"], len(blocks))
        deliveries = []
        for block in self._rng.sample(blocks, count):
            customer = 4 * block + self._rng.randint(1, 3)
            created = now - timedelta(days=1 + customer % 700)
            deliveries.append(customer_delivery("customer.updated", customer, created, now))
        return deliveries
