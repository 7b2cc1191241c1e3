"""Builders of WooCommerce-shaped webhook bodies for tests.

Each builder starts from a real payload in ``tests/fixtures/woocommerce/`` and overrides only
what a test cares about, so every field a test does not mention stays as WooCommerce sends
it. Dates are written to both the local and the ``*_gmt`` fields (a shop on UTC). Money
always adds up: ``total = items + shipping + tax - discount``.

``signed(topic, body, secret)`` gives the exact bytes and headers of a delivery, encoded the
way PHP's ``json_encode`` does it (escaped ``/``, ``\\uXXXX``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from ingest.demo.phpjson import php_json_encode
from ingest.demo.webhook_sender import webhook_headers

FIXTURES = Path(__file__).parent / "fixtures" / "woocommerce"
DEFAULT_TOTAL = "10.00"


@cache
def _fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text()


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of a fixture payload (``"order.json"``), safe to modify."""
    return json.loads(_fixture_text(name))


def order(
    id: int,
    *,
    status: str = "processing",
    customer_id: int = 0,
    email: str = "a@example.com",
    total: str | None = None,
    created: str = "2024-01-05T10:00:00",
    modified: str | None = None,
    refunds: Sequence[str | Mapping[str, Any]] = (),
    items: Sequence[Mapping[str, Any]] | None = None,
    currency: str = "USD",
    paid: str | None = None,
    completed: str | None = None,
) -> dict[str, Any]:
    """An order. ``total`` defaults to ``"10.00"`` (one line item of that amount) or, with
    ``items``, to their sum; a ``total`` above the items' sum is shipping. ``items`` are
    mappings with ``product_id``, ``total`` and optionally ``quantity``, ``variation_id``,
    ``name``, ``sku``, ``subtotal``, ``price``. ``refunds`` are amounts (``"5.00"``) or
    refund mappings. ``paid``/``completed`` are dates or None (null in the body)."""
    body = fixture("order.json")
    lines = [dict(item) for item in items] if items is not None else None
    if lines is None:
        lines = [{"product_id": 93, "total": total or DEFAULT_TOTAL}]
    line_items = [_line_item(body["line_items"][0], 900 + n, line) for n, line in enumerate(lines)]
    body |= _order_money(line_items, total)
    body |= {
        "id": id,
        "number": str(id),
        "status": status,
        "currency": currency,
        "customer_id": customer_id,
        "line_items": line_items,
        "refunds": [_refund(id, n, refund) for n, refund in enumerate(refunds)],
    }
    body["billing"]["email"] = email
    body |= _dates("created", created) | _dates("modified", modified or created)
    body |= _dates("paid", paid) | _dates("completed", completed)
    body["_links"]["self"][0]["href"] = f"https://example.com/wp-json/wc/v3/orders/{id}"
    return body


def customer(
    id: int,
    *,
    email: str,
    first_name: str = "Ada",
    last_name: str = "Lovelace",
    created: str = "2024-01-01T09:00:00",
    modified: str = "2024-01-01T09:00:00",
    is_paying_customer: bool = False,
) -> dict[str, Any]:
    body = fixture("customer.json")
    body |= {
        "id": id,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "username": email.split("@", 1)[0],
        "is_paying_customer": is_paying_customer,
    }
    body["billing"] |= {"email": email, "first_name": first_name, "last_name": last_name}
    body["shipping"] |= {"first_name": first_name, "last_name": last_name}
    body |= _dates("created", created) | _dates("modified", modified)
    body["_links"]["self"][0]["href"] = f"https://example.com/wp-json/wc/v3/customers/{id}"
    return body


def product(
    id: int,
    *,
    price: str,
    type: str = "simple",
    parent_id: int = 0,
    modified: str = "2024-01-01T09:00:00",
    name: str | None = None,
    stock_quantity: int | None = None,
    cost: str | None = None,
) -> dict[str, Any]:
    """A product (``type="variation"`` with ``parent_id`` for a variation). ``cost`` adds
    the ``_wc_cog_cost`` meta; ``stock_quantity`` turns on stock management."""
    body = fixture("product.json")
    body |= {
        "id": id,
        "name": name or f"Product {id}",
        "type": type,
        "parent_id": parent_id,
        "price": price,
        "regular_price": price,
        "sale_price": "",
        "manage_stock": stock_quantity is not None,
        "stock_quantity": stock_quantity,
        "meta_data": [{"id": 5000 + id, "key": "_wc_cog_cost", "value": cost}] if cost else [],
    }
    body |= _dates("created", "2024-01-01T09:00:00") | _dates("modified", modified)
    body["_links"]["self"][0]["href"] = f"https://example.com/wp-json/wc/v3/products/{id}"
    return body


def signed(
    topic: str,
    body: Mapping[str, Any],
    secret: str,
    *,
    source_url: str = "https://example.com/",
    webhook_id: int = 1,
) -> tuple[bytes, dict[str, str]]:
    """The raw body bytes and the headers WooCommerce would send them with."""
    raw = php_json_encode(body)
    headers = webhook_headers(
        topic, raw, secret, source_url=source_url, webhook_id=webhook_id, delivery_id="0" * 32
    )
    return raw, headers


def _line_item(template: dict[str, Any], line_id: int, spec: Mapping[str, Any]) -> dict[str, Any]:
    line = copy.deepcopy(template)
    quantity = int(spec.get("quantity", 1))
    total = Decimal(spec["total"])
    line |= {
        "id": line_id,
        "name": spec.get("name", f"Product {spec['product_id']}"),
        "product_id": spec["product_id"],
        "variation_id": spec.get("variation_id", 0),
        "quantity": quantity,
        "subtotal": spec.get("subtotal", _money(total)),
        "subtotal_tax": "0.00",
        "total": _money(total),
        "total_tax": "0.00",
        "taxes": [],
        "meta_data": [],
        "sku": spec.get("sku", ""),
        "price": spec.get("price", _number(total / quantity)),
    }
    return line


def _order_money(line_items: list[dict[str, Any]], total: str | None) -> dict[str, Any]:
    subtotal = sum(Decimal(line["subtotal"]) for line in line_items)
    items = sum(Decimal(line["total"]) for line in line_items)
    shipping = Decimal(total) - items if total is not None else Decimal(0)
    if shipping < 0:
        raise ValueError(f"order total {total} is below its items' total {items}")
    shipping_lines = []
    if shipping:
        shipping_lines = [{"id": 899, "method_title": "Flat Rate", "method_id": "flat_rate"}]
        shipping_lines[0] |= {"total": _money(shipping), "total_tax": "0.00", "taxes": []}
        shipping_lines[0]["meta_data"] = []
    return {
        "discount_total": _money(subtotal - items),
        "discount_tax": "0.00",
        "shipping_total": _money(shipping),
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total_tax": "0.00",
        "total": _money(items + shipping),
        "tax_lines": [],
        "shipping_lines": shipping_lines,
    }


def _refund(order_id: int, index: int, refund: str | Mapping[str, Any]) -> dict[str, Any]:
    if isinstance(refund, Mapping):
        made = {"id": order_id * 100 + index + 1, "reason": ""} | dict(refund)
        made["total"] = _money(-abs(Decimal(made["total"])))
        return made
    return {"id": order_id * 100 + index + 1, "reason": "", "total": _money(-abs(Decimal(refund)))}


def _dates(name: str, value: str | None) -> dict[str, str | None]:
    return {f"date_{name}": value, f"date_{name}_gmt": value}


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01'))}"


def _number(amount: Decimal) -> int | float:
    return int(amount) if amount == amount.to_integral_value() else float(amount)
