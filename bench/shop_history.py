"""A shop's order history for ``bench publish``: customers who come back or not, guests.

Orders are spread evenly over HISTORY_DAYS up to ``end``; every fifth order is the first of
a new customer (so ``orders / 5`` customers in all), the others go to returning customers,
drawn among the loyal ones acquired so far (LOYAL_SHARE of them): most buyers order once,
a few many times. Every fourth customer is a guest (``bench.orders.order_body``: known by
e-mail); a registered one gets a ``customer.created`` delivery just before their first
order. Orders older than RECENT_DAYS are completed (a few refunded or cancelled); recent
ones are still processing, for a later batch to update.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from bench.orders import FIXTURE, Delivery, order_body

HISTORY_DAYS = 730
RECENT_DAYS = 3
NEW_CUSTOMER_EVERY = 5
LOYAL_SHARE = 0.35
REFUNDED_SHARE = 0.02
CANCELLED_SHARE = 0.01
FIRST_ORDER_ID = 1000
REFUND_ID_BASE = 500_000_000  # refund ids stay clear of order and line item ids
CUSTOMER_FIXTURE = FIXTURE.with_name("customer.json")
PRODUCT_FIXTURE = FIXTURE.with_name("product.json")
PRODUCTS = range(10, 130)  # bench.orders' line items name these product ids
_GMT = "%Y-%m-%dT%H:%M:%S"


@dataclass(frozen=True)
class PlacedOrder:
    """What a later update needs to send the same order again: id, customer, creation."""

    order_id: int
    customer: int
    created: datetime


@dataclass
class History:
    """Where a shop's history left off (filled while its deliveries are generated)."""

    orders: int
    customers: int = 0
    next_order_id: int = FIRST_ORDER_ID
    recent: list[PlacedOrder] | None = None  # still processing, oldest first

    def as_json(self) -> dict[str, Any]:
        recent = [(o.order_id, o.customer, o.created.isoformat()) for o in self.recent or []]
        return {
            "orders": self.orders,
            "customers": self.customers,
            "next_order_id": self.next_order_id,
            "recent": recent,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> History:
        recent = [
            PlacedOrder(int(i), int(c), datetime.fromisoformat(at)) for i, c, at in data["recent"]
        ]
        return cls(data["orders"], data["customers"], data["next_order_id"], recent)


def is_guest(customer: int) -> bool:
    """``bench.orders.order_body``'s rule: every fourth customer buys as a guest."""
    return customer % 4 == 0


def customer_id_of(customer: int) -> int:
    return customer + 1


@cache
def _customer_template() -> str:
    return Path(CUSTOMER_FIXTURE).read_text()


def customer_body(customer: int, created: datetime, modified: datetime) -> dict[str, Any]:
    """A registered customer with the billing details their orders carry."""
    body = json.loads(_customer_template())
    billing = order_body(FIRST_ORDER_ID, customer, created, random.Random(0))["billing"]
    customer_id = customer_id_of(customer)
    body |= {
        "id": customer_id,
        "email": billing["email"],
        "first_name": billing["first_name"],
        "last_name": billing["last_name"],
        "username": billing["email"].split("@")[0],
        "date_created": created.strftime(_GMT),
        "date_created_gmt": created.strftime(_GMT),
        "date_modified": modified.strftime(_GMT),
        "date_modified_gmt": modified.strftime(_GMT),
    }
    body["billing"] = body["billing"] | billing
    body["_links"]["self"][0]["href"] = (
        f"https://shop.example/wp-json/wc/v3/customers/{customer_id}"
    )
    return body


def customer_delivery(topic: str, customer: int, created: datetime, modified: datetime) -> Delivery:
    """``customer.created`` or ``customer.updated`` of ``customer`` (resource id in the
    delivery's ``order_id`` field, which ``envelope_of`` uses as the resource id)."""
    body = customer_body(customer, created, modified)
    return Delivery(topic, customer_id_of(customer), json.dumps(body).encode())


def product_delivery(product: int, at: datetime) -> Delivery:
    """``product.created`` of one catalogue product (every third with a cost, every fourth
    with managed stock), as the import brings them before the orders."""
    body = json.loads(Path(PRODUCT_FIXTURE).read_text())
    price = f"{(1299, 2450, 3999, 5900, 8900)[product % 5] / 100:.2f}"
    body |= {
        "id": product,
        "name": f"Product {product}",
        "sku": f"SKU-{product}",
        "type": "simple",
        "price": price,
        "regular_price": price,
        "sale_price": "",
        "manage_stock": product % 4 == 0,
        "stock_quantity": 40 * (product % 7) if product % 4 == 0 else None,
        "meta_data": [{"id": product, "key": "_wc_cog_cost", "value": f"{float(price) * 0.55:.2f}"}]
        if product % 3 == 0
        else [],
        "date_created": at.strftime(_GMT),
        "date_created_gmt": at.strftime(_GMT),
        "date_modified": at.strftime(_GMT),
        "date_modified_gmt": at.strftime(_GMT),
    }
    body["_links"]["self"][0]["href"] = f"https://shop.example/wp-json/wc/v3/products/{product}"
    return Delivery("product.created", product, json.dumps(body).encode())


def order_delivery(
    topic: str, order: PlacedOrder, status: str, modified: datetime, **fields: Any
) -> Delivery:
    """``order`` as a webhook sends it (the same lines and totals every time)."""
    body = order_body(
        order.order_id,
        order.customer,
        order.created,
        random.Random(order.order_id),
        status=status,
        modified=modified,
        **fields,
    )
    return Delivery(topic, order.order_id, json.dumps(body).encode())


def refunded_fields(order: PlacedOrder) -> dict[str, Any]:
    """A full refund of ``order``: ``order_body``'s fields for status ``refunded``."""
    total = order_body(order.order_id, order.customer, order.created, random.Random(order.order_id))
    return {
        "refunds": [
            {"id": REFUND_ID_BASE + order.order_id, "refund": "", "total": "-" + total["total"]}
        ]
    }


def _final_status(rng: random.Random) -> str:
    draw = rng.random()
    if draw < REFUNDED_SHARE:
        return "refunded"
    if draw < REFUNDED_SHARE + CANCELLED_SHARE:
        return "cancelled"
    return "completed"


def _settled(order: PlacedOrder, rng: random.Random) -> Delivery:
    status = _final_status(rng)
    fields = refunded_fields(order) if status == "refunded" else {}
    return order_delivery(
        "order.created", order, status, order.created + timedelta(days=2), **fields
    )


def history_deliveries(
    history: History, end: datetime, seed: int
) -> Iterator[tuple[Delivery, datetime]]:
    """Every delivery of the shop's history with the time it was received, oldest first;
    ``history`` says where it left off once the iterator is exhausted."""
    rng = random.Random(seed)
    step = timedelta(days=HISTORY_DAYS) / max(1, history.orders)
    start, recent_from = end - timedelta(days=HISTORY_DAYS), end - timedelta(days=RECENT_DAYS)
    loyal: list[int] = []
    history.recent = []
    for product in PRODUCTS:  # the catalogue first, as an import brings it
        yield product_delivery(product, start - timedelta(days=1)), start - timedelta(days=1)
    for n in range(history.orders):
        created = start + step * n
        if n % NEW_CUSTOMER_EVERY == 0 or not loyal:
            customer = history.customers
            history.customers += 1
            if rng.random() < LOYAL_SHARE:
                loyal.append(customer)
            if not is_guest(customer):
                at = created - timedelta(minutes=5)
                yield customer_delivery("customer.created", customer, at, at), at
        else:
            customer = loyal[rng.randrange(len(loyal))]
        order = PlacedOrder(history.next_order_id, customer, created)
        history.next_order_id += 1
        if created >= recent_from:
            history.recent.append(order)
            yield order_delivery("order.created", order, "processing", created), created
        else:
            yield _settled(order, rng), created + timedelta(days=2)
