"""The shop behind the local WooCommerce server: bodies in REST shapes, mutations for tests,
and the totals tests compare an import against.

Every mutation takes ``lock``, bumps ``version`` (the server's query cache key) and, where
WooCommerce would, stamps ``date_modified(_gmt)``: with ``at`` when given, else with a
clock that never goes back and is always after ``now`` (so ``modified_after=<now>`` finds
every change, even within the same second).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tests.woo_server.generate import FIRST_ORDER_ID, generate_history
from tests.woo_server.people import make_person
from tests.woo_server.shapes import (
    Line,
    Sellable,
    dates,
    line_item,
    order_body,
    order_money,
    order_refund_entry,
    refund_body,
    shipping_lines,
)

CENT = Decimal("0.01")
_FALLBACK_ITEM = Sellable(93, 0, "Woo Single #1", "", 1000)


class WooShopData:
    def __init__(self, *, now: datetime, site_url: str = "https://example.com") -> None:
        self.now = now.astimezone(UTC)
        self.site_url = site_url
        self.orders: dict[int, dict[str, Any]] = {}
        self.customers: dict[int, dict[str, Any]] = {}  # id 1 is the administrator
        self.products: dict[int, dict[str, Any]] = {}  # simple and variable
        self.variations: dict[int, dict[int, dict[str, Any]]] = {}  # by parent product id
        self.coupons: dict[int, dict[str, Any]] = {}
        self.refunds: dict[int, dict[str, Any]] = {}  # refund objects, with parent_id
        self.webhooks: dict[int, dict[str, Any]] = {}  # with their secret
        self.lock = threading.RLock()
        self.version = 0
        self._sellables: list[Sellable] = []
        self._next_id = FIRST_ORDER_ID
        self._next_line_id = 1
        self._next_webhook_id = 1
        self._last_stamp = int(self.now.timestamp())

    @classmethod
    def generate(
        cls, *, orders: int, seed: int, now: datetime, site_url: str = "https://example.com"
    ) -> WooShopData:
        """About ``orders / 3`` customers (and guests), ~50 products, 10 coupons."""
        data = cls(now=now, site_url=site_url)
        history = generate_history(orders, seed, int(data.now.timestamp()), site_url)
        data.orders, data.customers, data.refunds = (
            history.orders,
            history.customers,
            history.refunds,
        )
        data.products = history.catalog.products
        data.variations = history.catalog.variations
        data.coupons = history.catalog.coupons
        data._sellables = history.catalog.sellables
        data._next_id, data._next_line_id = history.next_id, history.next_line_id
        return data

    # -- mutations ------------------------------------------------------------------------

    def update_order(self, order_id: int, *, at: datetime | None = None, **fields: Any) -> dict:
        with self.lock:
            order = self.orders[order_id]
            order.update(fields)
            order.update(dates("modified", self._stamp(at)))
            self.version += 1
            return order

    def add_order(
        self,
        *,
        status: str = "processing",
        customer_id: int = 0,
        email: str | None = None,
        total: str | Decimal = "10.00",
        at: datetime | None = None,
    ) -> dict:
        """A new order with one line item (the most popular product) worth ``total``."""
        with self.lock:
            ts = self._stamp(at)
            order_id = self._take_id()
            fields = self._new_order_fields(status, customer_id, email, _cents(total))
            fields |= dates("created", ts) | dates("modified", ts)
            paid = ts if status in ("processing", "completed") else None
            fields |= dates("paid", paid) | dates(
                "completed", ts if status == "completed" else None
            )
            self.orders[order_id] = order_body(self.site_url, order_id, fields)
            self.version += 1
            return self.orders[order_id]

    def trash_order(self, order_id: int, *, at: datetime | None = None) -> dict:
        return self.update_order(order_id, at=at, status="trash")

    def hard_delete_order(self, order_id: int) -> None:
        """Gone for good, with its refunds (WooCommerce sends no webhook for this)."""
        with self.lock:
            del self.orders[order_id]
            for refund_id in [r["id"] for r in self.refunds_of(order_id)]:
                del self.refunds[refund_id]
            self.version += 1

    def update_customer(
        self, customer_id: int, *, at: datetime | None = None, **fields: Any
    ) -> dict:
        with self.lock:
            customer = self.customers[customer_id]
            customer.update(fields)
            customer.update(dates("modified", self._stamp(at)))
            self.version += 1
            return customer

    def hard_delete_customer(self, customer_id: int) -> None:
        """The user is deleted; their orders keep their ``customer_id``."""
        with self.lock:
            del self.customers[customer_id]
            self.version += 1

    def update_product(self, product_id: int, *, at: datetime | None = None, **fields: Any) -> dict:
        with self.lock:
            product = self.products[product_id]
            product.update(fields)
            product.update(dates("modified", self._stamp(at)))
            self.version += 1
            return product

    def add_refund(
        self, order_id: int, amount: str | Decimal, *, at: datetime | None = None, reason: str = ""
    ) -> dict:
        """An amount-only refund; the order lists it first in ``refunds`` and turns
        ``refunded`` once refunds reach its total, as WooCommerce does."""
        with self.lock:
            order, ts, cents = self.orders[order_id], self._stamp(at), _cents(amount)
            refund_id = self._take_id()
            refund = refund_body(self.site_url, refund_id, order_id, ts, cents, reason)
            self.refunds[refund_id] = refund
            entries = [order_refund_entry(refund_id, reason, cents), *order["refunds"]]
            refunded = sum(_cents(entry["total"].lstrip("-")) for entry in entries)
            status = "refunded" if refunded >= _cents(order["total"]) else order["status"]
            order.update({"refunds": entries, "status": status} | dates("modified", ts))
            self.version += 1
            return refund

    def add_line_refund(
        self, order_id: int, line_id: int, quantity: int, *, at: datetime | None = None
    ) -> dict:
        """A refund of ``quantity`` units of one line of an order (at the line's unit
        total), with the line item WooCommerce writes: negative quantity and amounts and the
        ``_refunded_item_id`` meta naming the line."""
        order = self.orders[order_id]
        (line,) = [item for item in order["line_items"] if item["id"] == line_id]
        unit_cents = _cents(line["total"]) // line["quantity"]
        refund = self.add_refund(order_id, Decimal(unit_cents * quantity) / 100, at=at)
        with self.lock:
            item = {key: line[key] for key in ("name", "product_id", "variation_id", "sku")}
            item |= {"id": self._take_id(), "quantity": -quantity, "taxes": []}
            item |= {"subtotal": f"-{unit_cents * quantity / 100:.2f}", "total_tax": "0.00"}
            item |= {"total": f"-{unit_cents * quantity / 100:.2f}", "subtotal_tax": "0.00"}
            item |= {"price": -unit_cents / 100}
            item["meta_data"] = [{"id": 0, "key": "_refunded_item_id", "value": str(line_id)}]
            refund["line_items"] = [item]
            self.version += 1
        return refund

    def save_webhook(
        self, webhook_id: int | None, fields: dict, *, at: datetime | None = None
    ) -> dict:
        """Create (``webhook_id`` None) or update a webhook; the stored body keeps its secret."""
        with self.lock:
            ts = self._stamp(at)
            if webhook_id is None:
                webhook_id, self._next_webhook_id = self._next_webhook_id, self._next_webhook_id + 1
                self.webhooks[webhook_id] = {"id": webhook_id} | dates("created", ts)
            self.webhooks[webhook_id] |= fields | dates("modified", ts)
            self.version += 1
            return self.webhooks[webhook_id]

    def delete_webhook(self, webhook_id: int) -> dict:
        with self.lock:
            self.version += 1
            return self.webhooks.pop(webhook_id)

    # -- reading ----------------------------------------------------------------------------

    def refunds_of(self, order_id: int) -> list[dict]:
        with self.lock:
            mine = [r for r in self.refunds.values() if r["parent_id"] == order_id]
        return sorted(mine, key=lambda refund: refund["id"], reverse=True)

    def expected_totals(
        self, paid_statuses: Iterable[str] = ("processing", "completed", "on-hold")
    ) -> dict[str, Any]:
        """What an import must arrive at. ``orders``: all but trash; ``sale_orders``: in
        ``paid_statuses``; ``gross``: sum of ``total`` of sale and refunded orders;
        ``refunds``: their refunds; ``net`` = gross - refunds; ``customers``: distinct
        buyers with a sale order (customer id, or the lower-cased billing e-mail of a guest,
        which is a registered customer's id when the e-mail is theirs)."""
        paid = set(paid_statuses)
        with self.lock:
            orders = list(self.orders.values())
            by_email = {c["email"].strip().lower(): i for i, c in self.customers.items() if i != 1}
            counts = self._record_counts()
        revenue = [o for o in orders if o["status"] in paid or o["status"] == "refunded"]
        gross = sum((Decimal(o["total"]) for o in revenue), Decimal(0))
        refunds = sum((-Decimal(r["total"]) for o in revenue for r in o["refunds"]), Decimal(0))
        buyers = {_identity(o, by_email) for o in orders if o["status"] in paid}
        by_status = Counter(o["status"] for o in orders)
        return counts | {
            "orders": len(orders) - by_status["trash"],
            "orders_by_status": dict(sorted(by_status.items())),
            "sale_orders": sum(by_status[status] for status in paid),
            "refunded_orders": by_status["refunded"],
            "gross": gross.quantize(CENT),
            "refunds": refunds.quantize(CENT),
            "net": (gross - refunds).quantize(CENT),
            "customers": len(buyers),
        }

    def _record_counts(self) -> dict[str, int]:
        return {
            "customer_accounts": sum(1 for c in self.customers.values() if c["role"] == "customer"),
            "products": len(self.products),
            "variations": sum(len(v) for v in self.variations.values()),
            "coupons": len(self.coupons),
            "refund_records": len(self.refunds),
        }

    def _new_order_fields(
        self, status: str, customer_id: int, email: str | None, cents: int
    ) -> dict[str, Any]:
        item = self._sellables[0] if self._sellables else _FALLBACK_ITEM
        line = Line(item, 1, cents, cents, 0, 0)
        if customer_id:
            buyer = self.customers[customer_id]
            billing, shipping = dict(buyer["billing"]), buyer["shipping"]
        else:
            guest = make_person(random.Random(cents), self._next_id, "guest")
            billing, shipping = dict(guest.billing), guest.shipping
        billing["email"] = email if email is not None else billing["email"]
        line_id, self._next_line_id = self._next_line_id, self._next_line_id + 2
        fields = order_money([line], 0) | {"status": status, "customer_id": customer_id}
        fields |= {"billing": billing, "shipping": shipping, "refunds": [], "tax_lines": []}
        fields |= {"line_items": [line_item(line_id, line, 0)], "coupon_lines": []}
        return fields | {"shipping_lines": shipping_lines(line_id + 1, 0)}

    def _take_id(self) -> int:
        taken, self._next_id = self._next_id, self._next_id + 1
        return taken

    def _stamp(self, at: datetime | None) -> int:
        ts = int(at.timestamp()) if at is not None else max(int(time.time()), self._last_stamp + 1)
        self._last_stamp = max(self._last_stamp, ts)
        return ts


def _identity(order: dict[str, Any], by_email: dict[str, int]) -> int | str:
    if order["customer_id"]:
        return order["customer_id"]
    email = str(order["billing"].get("email") or "").strip().lower()
    return by_email.get(email, email)


def _cents(amount: str | Decimal) -> int:
    return int((Decimal(amount) * 100).to_integral_value())
