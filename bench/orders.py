"""WooCommerce-shaped order bodies and envelopes for benchmarks (no I/O besides the fixture).

Bodies start from the real payload in ``tests/fixtures/woocommerce/order.json`` and vary what
the pipeline reads: id, status, customer (a quarter are guests known by e-mail), country,
dates, line items and money that adds up. A stream mixes ``order.created`` with later
``order.updated`` deliveries (status moves on, ``date_modified_gmt`` grows), as a shop sends.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from ingest.demo.phpjson import php_json_encode
from schemas.envelope import Envelope

FIXTURE = (
    Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "woocommerce" / "order.json"
)
COUNTRIES = ("PL", "DE", "US", "GB", "FR", "CZ", "NL", "SE")
FIRST_NAMES = ("Anna", "Jan", "Maria", "Piotr", "Ewa", "John", "Ada", "Grace", "Linus", "Olga")
LAST_NAMES = ("Nowak", "Kowalski", "Smith", "Lovelace", "Hopper", "Torvalds", "Meyer", "Dubois")
_GMT = "%Y-%m-%dT%H:%M:%S"


@cache
def _fixture_text() -> str:
    return FIXTURE.read_text()


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery: topic, resource id and the PHP-encoded body bytes."""

    topic: str
    order_id: int
    body: bytes


def order_body(
    order_id: int, customer: int, created: datetime, rng: random.Random, **fields: Any
) -> dict[str, Any]:
    """An order of ``customer`` (a pool index: every fourth one is a guest)."""
    body = json.loads(_fixture_text())
    lines = [_line_item(body["line_items"][0], order_id, n, rng) for n in range(rng.randint(1, 3))]
    items = sum(int(line["total"].replace(".", "")) for line in lines)
    shipping = rng.choice((0, 999, 1500))
    discount = items // 10 if order_id % COUPON_EVERY == 0 else 0  # 10% off every 7th order
    status = fields.pop("status", "processing")
    modified = fields.pop("modified", created)
    body |= {
        "id": order_id,
        "number": str(order_id),
        "order_key": f"wc_order_{order_id:013x}",
        "status": status,
        "customer_id": 0 if customer % 4 == 0 else customer + 1,
        "line_items": lines,
        "shipping_total": _cents(shipping),
        "cart_tax": "0.00",
        "total_tax": "0.00",
        "total": _cents(items - discount + shipping),
        "discount_total": _cents(discount),
        "coupon_lines": _coupon_lines(order_id, discount),
        "tax_lines": [],
    }
    body["billing"] |= _billing(customer)
    paid = created + timedelta(minutes=2) if status in ("processing", "completed") else None
    completed = modified if status == "completed" else None
    body |= _dates("created", created) | _dates("modified", modified)
    body |= _dates("paid", paid) | _dates("completed", completed)
    body["_links"]["self"][0]["href"] = f"https://shop.example/wp-json/wc/v3/orders/{order_id}"
    return body | fields


COUPON_EVERY = 7
COUPON_CODES = tuple(f"promo{n:02d}" for n in range(12))


def _coupon_lines(order_id: int, discount: int) -> list[dict[str, Any]]:
    if not discount:
        return []
    code = COUPON_CODES[order_id // COUPON_EVERY % len(COUPON_CODES)]
    line = {"id": order_id, "code": code, "discount": _cents(discount), "discount_tax": "0.00"}
    return [line | {"meta_data": []}]


def _billing(customer: int) -> dict[str, str]:
    first = FIRST_NAMES[customer % len(FIRST_NAMES)]
    return {
        "first_name": first,
        "last_name": LAST_NAMES[customer % len(LAST_NAMES)],
        "email": f"{first.lower()}.{customer}@example.com",
        "phone": f"+48 600 {customer % 1000:03d} {customer // 1000 % 1000:03d}",
        "country": COUNTRIES[customer % len(COUNTRIES)],
    }


def order_stream(
    count: int, *, seed: int = 7, start: datetime | None = None, update_share: float = 0.35
) -> Iterator[Delivery]:
    """``count`` deliveries: new orders and, for ``update_share`` of them, a later update
    of a recent order (completed). Order ids start at 1000 and grow with creation time."""
    rng = random.Random(seed)
    start = start or datetime(2024, 1, 1, tzinfo=UTC)
    customers = max(10, count // 5)
    created: list[tuple[int, int, datetime]] = []
    next_id = 1000
    for n in range(count):
        at = start + timedelta(seconds=30 * n)
        if created and rng.random() < update_share:
            order_id, customer, made = created.pop(
                rng.randrange(max(0, len(created) - 50), len(created))
            )
            body = order_body(
                order_id, customer, made, random.Random(order_id), status="completed", modified=at
            )
            yield Delivery("order.updated", order_id, php_json_encode(body))
            continue
        customer = rng.randrange(customers)
        body = order_body(next_id, customer, at, random.Random(next_id))
        created.append((next_id, customer, at))
        yield Delivery("order.created", next_id, php_json_encode(body))
        next_id += 1


def envelope_of(delivery: Delivery, shop_id: str, received_at: datetime) -> Envelope:
    """The envelope the receiver would publish for ``delivery``."""
    resource, _, event = delivery.topic.partition(".")
    return Envelope(
        shop_id=shop_id,
        topic=delivery.topic,
        resource=resource,
        event=event,
        resource_id=delivery.order_id,
        body=delivery.body.decode("utf-8"),
        received_at=received_at,
        source="webhook",
        webhook_id="1",
        delivery_id=f"{delivery.order_id:032x}",
    )


def order_envelopes(count: int, shop_id: str, *, seed: int = 7) -> list[Envelope]:
    """``count`` order envelopes of one shop, received one millisecond apart."""
    base = datetime.now(UTC) - timedelta(seconds=count / 1000 + 60)
    return [
        envelope_of(delivery, shop_id, base + timedelta(milliseconds=n))
        for n, delivery in enumerate(order_stream(count, seed=seed))
    ]


def _line_item(
    template: dict[str, Any], order_id: int, n: int, rng: random.Random
) -> dict[str, Any]:
    quantity = rng.randint(1, 4)
    price = rng.choice((1299, 2450, 3999, 5900, 8900))
    product = 10 + rng.randrange(120)
    return template | {
        "id": order_id * 10 + n,
        "name": f"Product {product}",
        "product_id": product,
        "variation_id": 0,
        "quantity": quantity,
        "subtotal": _cents(price * quantity),
        "subtotal_tax": "0.00",
        "total": _cents(price * quantity),
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
        "sku": f"SKU-{product}",
        "price": price / 100,
    }


def _dates(name: str, value: datetime | None) -> dict[str, str | None]:
    text = None if value is None else value.astimezone(UTC).strftime(_GMT)
    return {f"date_{name}": text, f"date_{name}_gmt": text}


def _cents(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"
