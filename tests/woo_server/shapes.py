"""WooCommerce REST bodies, built fast from the fixtures' structure.

Money is handled in integer cents and written as WooCommerce does: totals as strings with
two decimals, line item ``price`` as a JSON number. Dates are ``YYYY-MM-DDTHH:MM:SS``
without offset, the same in the local and ``*_gmt`` fields (a shop on UTC).

Bodies share nothing mutable with each other except per-customer address dicts (an order's
``billing``/``shipping``), which are replaced, never modified in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

from tests.woo_payloads import fixture

API = "/wp-json/wc/v3"
# What current WooCommerce adds to orders (fixtures/woocommerce/SOURCES.md).
_NEWER_ORDER_FIELDS = {
    "payment_url": "",
    "is_editable": False,
    "needs_payment": False,
    "needs_processing": True,
    "currency_symbol": "$",
}


_NO_IMAGE = {"id": "", "src": ""}  # shared by every line item: never modify


@dataclass(frozen=True)
class Sellable:
    """A product or variation an order line can hold."""

    product_id: int
    variation_id: int
    name: str
    sku: str
    unit_cents: int
    parent_name: str | None = None


class Line(NamedTuple):
    item: Sellable
    quantity: int
    subtotal: int  # cents, before discount
    total: int  # cents, after discount
    subtotal_tax: int
    total_tax: int


@lru_cache(maxsize=1 << 16)
def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def stamp(ts: int) -> str:
    """A Unix time as WooCommerce writes dates: ISO 8601 without offset."""
    day, seconds = divmod(ts, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{_day(day)}T{hours:02d}:{minutes:02d}:{seconds:02d}"


@lru_cache(maxsize=4096)
def _day(day: int) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(day * 86_400))


def number(cents: int, quantity: int = 1) -> int | float:
    value = cents / 100 / quantity
    return int(value) if value == int(value) else round(value, 4)


def dates(name: str, ts: int | None) -> dict[str, str | None]:
    value = None if ts is None else stamp(ts)
    return {f"date_{name}": value, f"date_{name}_gmt": value}


def links(site: str, collection: str, item_id: int, **extra: str) -> dict[str, Any]:
    made = {
        "self": [{"href": f"{site}{API}/{collection}/{item_id}"}],
        "collection": [{"href": f"{site}{API}/{collection}"}],
    }
    for rel, path in extra.items():
        made[rel] = [{"href": f"{site}{API}/{path}"}]
    return made


@cache
def _order_template() -> dict[str, Any]:
    body = fixture("order.json") | _NEWER_ORDER_FIELDS
    nested = ("billing", "shipping", "meta_data", "line_items", "tax_lines", "shipping_lines")
    for key in (*nested, "fee_lines", "coupon_lines", "refunds", "_links"):
        body[key] = None  # always replaced per order: nothing nested is shared
    return body


def line_item(line_id: int, line: Line, tax_rate_id: int) -> dict[str, Any]:
    item = line.item
    taxes = []
    if line.subtotal_tax or line.total_tax:
        taxes = [
            {
                "id": tax_rate_id,
                "total": money(line.total_tax),
                "subtotal": money(line.subtotal_tax),
            }
        ]
    return {
        "id": line_id,
        "name": item.name,
        "product_id": item.product_id,
        "variation_id": item.variation_id,
        "quantity": line.quantity,
        "tax_class": "",
        "subtotal": money(line.subtotal),
        "subtotal_tax": money(line.subtotal_tax),
        "total": money(line.total),
        "total_tax": money(line.total_tax),
        "taxes": taxes,
        "meta_data": [],
        "sku": item.sku,
        "price": number(line.total, line.quantity),
        "image": _NO_IMAGE,
        "parent_name": item.parent_name,
    }


def order_money(lines: list[Line], shipping: int) -> dict[str, Any]:
    items = sum(line.total for line in lines)
    tax = sum(line.total_tax for line in lines)
    return {
        "discount_total": money(sum(line.subtotal for line in lines) - items),
        "discount_tax": money(sum(line.subtotal_tax for line in lines) - tax),
        "shipping_total": money(shipping),
        "shipping_tax": "0.00",
        "cart_tax": money(tax),
        "total": money(items + shipping + tax),
        "total_tax": money(tax),
    }


def tax_lines(line_id: int, rate_id: int, rate_bp: int, label: str, tax: int) -> list[dict]:
    if not tax:
        return []
    line = {"id": line_id, "rate_code": f"TAX-{rate_id}", "rate_id": rate_id, "label": label}
    line |= {"compound": False, "tax_total": money(tax), "shipping_tax_total": "0.00"}
    return [line | {"rate_percent": rate_bp / 100, "meta_data": []}]


def shipping_lines(line_id: int, shipping: int) -> list[dict]:
    method = ("flat_rate", "Flat rate") if shipping else ("free_shipping", "Free shipping")
    line = {"id": line_id, "method_title": method[1], "method_id": method[0], "instance_id": "1"}
    return [line | {"total": money(shipping), "total_tax": "0.00", "taxes": [], "meta_data": []}]


def coupon_line(line_id: int, code: str, percent: int, discount: int, tax: int) -> dict:
    line = {"id": line_id, "code": code, "discount": money(discount)}
    line |= {"discount_tax": money(tax), "meta_data": [], "discount_type": "percent"}
    return line | {"nominal_amount": percent, "free_shipping": False}


def order_body(site: str, order_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """An order from the template: ``fields`` must give every nested value (billing,
    shipping, line_items, tax_lines, shipping_lines, coupon_lines, refunds) and the dates."""
    body = _order_template() | fields
    body["id"] = order_id
    body["number"] = str(order_id)
    body["meta_data"] = []
    body["fee_lines"] = []
    extra = {"customer": f"customers/{body['customer_id']}"} if body["customer_id"] else {}
    body["_links"] = links(site, "orders", order_id, **extra)
    return body


def order_refund_entry(refund_id: int, reason: str, cents: int) -> dict[str, Any]:
    return {"id": refund_id, "reason": reason, "total": money(-cents)}


def refund_body(
    site: str, refund_id: int, order_id: int, when: int, cents: int, reason: str
) -> dict[str, Any]:
    body = {"id": refund_id, "parent_id": order_id, **dates("created", when)}
    body |= {"amount": money(cents), "reason": reason, "refunded_by": 1}
    body |= {"refunded_payment": False, "meta_data": [], "line_items": []}
    body["_links"] = links(site, f"orders/{order_id}/refunds", refund_id, up=f"orders/{order_id}")
    return body


def refunded_lines(order: dict[str, Any], first_line_id: int) -> list[dict[str, Any]]:
    """The negative line items of a refund of every line of ``order``."""
    refunded = []
    for offset, line in enumerate(order["line_items"]):
        negative = {key: _negate(line[key]) for key in ("subtotal", "total", "subtotal_tax")}
        refunded.append(
            line
            | negative
            | {
                "id": first_line_id + offset,
                "quantity": -line["quantity"],
                "total_tax": _negate(line["total_tax"]),
                "taxes": [],
                "price": -line["price"],
                "meta_data": [{"id": 0, "key": "_refunded_item_id", "value": str(line["id"])}],
            }
        )
    return refunded


def _negate(amount: str) -> str:
    return amount if amount == "0.00" else amount[1:] if amount.startswith("-") else f"-{amount}"


def customer_body(site: str, customer_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A customer; ``fields`` gives email, names, billing, shipping and the dates."""
    body = _customer_template() | fields
    body["id"] = customer_id
    body["meta_data"] = []
    body["_links"] = links(site, "customers", customer_id)
    return body


@cache
def _customer_template() -> dict[str, Any]:
    body = fixture("customer.json")
    body["billing"] = body["shipping"] = body["meta_data"] = body["_links"] = None
    return body


def product_body(site: str, product_id: int, fields: dict[str, Any]) -> dict[str, Any]:
    """A simple or variable product (a fresh copy of the fixture: there are few)."""
    body = fixture("product.json") | fields
    body["id"] = product_id
    body["permalink"] = f"{site}/product/{body['slug']}/"
    body["related_ids"] = []
    body["images"] = []
    body["price_html"] = f'<span class="amount">&#36;{body["price"]}</span>'
    body["_links"] = links(site, "products", product_id)
    return body


def variation_body(
    site: str, parent_id: int, variation_id: int, fields: dict[str, Any]
) -> dict[str, Any]:
    body = fixture("product_variation.json") | fields
    body["id"] = variation_id
    body["parent_id"] = parent_id
    body["permalink"] = f"{site}/product/p-{parent_id}/?variation={variation_id}"
    body["_links"] = links(
        site, f"products/{parent_id}/variations", variation_id, up=f"products/{parent_id}"
    )
    return body


def coupon_body(site: str, coupon_id: int, code: str, percent: int, ts: int) -> dict[str, Any]:
    body = {"id": coupon_id, "code": code, "amount": money(percent * 100), "status": "publish"}
    body |= dates("created", ts) | dates("modified", ts)
    body |= {"discount_type": "percent", "description": f"{percent}% off"}
    body |= dates("expires", None) | {"usage_count": 0, "individual_use": False}
    body |= {"product_ids": [], "excluded_product_ids": [], "usage_limit": None}
    body |= {"usage_limit_per_user": None, "limit_usage_to_x_items": None}
    body |= {"free_shipping": False, "product_categories": [], "excluded_product_categories": []}
    body |= {"exclude_sale_items": False, "minimum_amount": "0.00", "maximum_amount": "0.00"}
    body |= {"email_restrictions": [], "used_by": [], "meta_data": []}
    body["_links"] = links(site, "coupons", coupon_id)
    return body
