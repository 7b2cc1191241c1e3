"""Generate a shop's history: orders over two years, their customers, guests and refunds.

Deterministic for a seed. Orders get increasing ids in creation order; refunds take ids
from the same sequence (WooCommerce stores both as orders) after every order, in refund
date order. Statuses: mostly completed (processing for the last three days), some
pending, failed, cancelled and on-hold, ~3% partially refunded (status stays completed),
~1% fully refunded (status refunded), ~0.5% in the trash.
"""

from __future__ import annotations

import gc
import random
from bisect import bisect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any

from tests.woo_server.catalog import DAY, Catalog, build_catalog
from tests.woo_server.people import Person, administrator, customer_from, make_person
from tests.woo_server.shapes import (
    Line,
    coupon_line,
    line_item,
    order_body,
    order_money,
    order_refund_entry,
    refund_body,
    refunded_lines,
    shipping_lines,
    stamp,
    tax_lines,
)

HISTORY = 730 * DAY
FIRST_ORDER_ID = 1000
PAID = ("processing", "completed", "on-hold")
_KINDS = ("completed", "processing", "on-hold", "pending", "failed", "cancelled", "partial")
_KINDS += ("refunded", "trash")
# cumulative weights (per cent) of the kinds above, for orders older or newer than 3 days
_OLD = tuple(accumulate((80, 1, 1.5, 2.5, 3, 4.5, 3, 1, 0.5)))
_RECENT = tuple(accumulate((20, 55, 6, 8, 5, 4, 1, 0.5, 0.5)))
_LINE_COUNTS = (60, 90, 100)
_QUANTITIES = (75, 95, 100)
_PAYMENT = (("stripe", "Credit Card (Stripe)"), ("ppcp-gateway", "PayPal"), ("cod", "Cash"))
_BANK = ("bacs", "Direct bank transfer")


@dataclass
class History:
    catalog: Catalog
    orders: dict[int, dict[str, Any]] = field(default_factory=dict)
    customers: dict[int, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = FIRST_ORDER_ID
    next_line_id: int = 1
    sold: Counter[int] = field(default_factory=Counter)  # product id -> units in paid orders
    _pending_refunds: list[tuple[int, int, int, bool]] = field(default_factory=list)


def generate_history(orders: int, seed: int, now: int, site: str) -> History:
    """The history of a shop at ``now`` (Unix time). Runs with the garbage collector off:
    it only allocates, and collecting a million young dicts over and over triples the time."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(orders, seed, now, site)
    finally:
        if collecting:
            gc.enable()


def _generate(orders: int, seed: int, now: int, site: str) -> History:
    rng = random.Random(seed)
    start = now - HISTORY
    history = History(build_catalog(rng, site, start, now))
    history.next_id = max(FIRST_ORDER_ID, history.catalog.next_id)
    people = [make_person(rng, n, "customer") for n in range(max(1, orders // 3))]
    guests = [make_person(rng, n, "guest") for n in range(max(1, orders // 10))]
    seen: dict[int, tuple[int, int]] = {}  # customer index -> first and last order time
    for number in range(orders):
        created = start + int((number + rng.random()) * HISTORY / orders)
        who, person = _buyer(rng, people, guests)
        if who >= 0:
            first, _ = seen.get(who, (created, created))
            seen[who] = (first, created)
        _add_order(history, rng, site, (who + 2 if who >= 0 else 0, person), (created, now))
    _add_refunds(history, site)
    _add_customers(history, rng, site, people, seen, start)
    for product_id, units in history.sold.items():
        history.catalog.products[product_id]["total_sales"] = units
    return history


def _buyer(rng: random.Random, people: list[Person], guests: list[Person]) -> tuple[int, Person]:
    """(customer index or -1 for a guest, person). Some customers buy far more than others;
    1% of guest orders use a registered customer's e-mail (in capitals)."""
    if rng.random() < 0.75:
        who = int(len(people) * rng.random() ** 2)
        return who, people[who]
    if rng.random() < 0.01:
        known = rng.choice(people)
        billing = known.billing | {"email": known.email.upper()}
        return -1, replace(known, email=known.email.upper(), billing=billing)
    return -1, guests[int(len(guests) * rng.random() ** 1.5)]


def _add_order(
    history: History,
    rng: random.Random,
    site: str,
    buyer: tuple[int, Person],
    times: tuple[int, int],
) -> None:
    customer_id, person = buyer
    created, now = times
    kind = _pick(rng, _KINDS, _RECENT if now - created < 3 * DAY else _OLD)
    status, stamps, refund_at = _lifecycle(rng.random, kind, created, now)
    lines, coupon = _lines(rng, history.catalog, person.tax_bp)
    method = _BANK if kind == "on-hold" else _PAYMENT[int(rng.random() * len(_PAYMENT))]
    fields = {
        "status": status,
        "customer_id": customer_id,
        "billing": person.billing,
        "shipping": person.shipping,
        "payment_method": method[0],
        "payment_method_title": method[1],
        "order_key": f"wc_order_{rng.getrandbits(52):013x}",
        "created_via": "checkout",
        "needs_payment": kind in ("pending", "failed", "on-hold"),
        "cart_hash": "",
        "refunds": [],
        **stamps,
        **_money_fields(history, lines, coupon, person, 0 if rng.random() < 0.3 else 599),
    }
    order_id = history.next_id
    history.next_id += 1
    history.orders[order_id] = order_body(site, order_id, fields)
    if refund_at is not None:
        history._pending_refunds.append((refund_at, order_id, _refund_cents(rng, fields), kind))
    if status in PAID or kind == "partial":
        for line in lines:
            history.sold[line.item.product_id] += line.quantity


def _lifecycle(
    random: Callable[[], float], kind: str, created: int, now: int
) -> tuple[str, dict[str, str | None], int | None]:
    """Status and dates of an order of ``kind``; and when it is refunded, if it is."""
    paid = completed = refunded = None
    modified = min(now, created + 1 + int(random() * 300))
    if kind in ("processing", "completed", "partial", "refunded"):
        paid = modified
    if kind in ("completed", "partial", "refunded"):
        completed = modified = min(now, created + 3600 + int(random() * 3 * DAY))
    if kind in ("partial", "refunded"):
        refunded = modified = min(now, modified + 3600 + int(random() * 20 * DAY))
    if kind in ("cancelled", "trash"):
        modified = min(now, created + 3600 + int(random() * 30 * DAY))
    made, changed = stamp(created), stamp(modified)
    paid_at = None if paid is None else stamp(paid)
    completed_at = None if completed is None else stamp(completed)
    stamps = {"date_created": made, "date_created_gmt": made}
    stamps |= {"date_modified": changed, "date_modified_gmt": changed}
    stamps |= {"date_paid": paid_at, "date_paid_gmt": paid_at}
    stamps |= {"date_completed": completed_at, "date_completed_gmt": completed_at}
    return ("completed" if kind == "partial" else kind), stamps, refunded


def _lines(rng: random.Random, catalog: Catalog, tax_bp: int) -> tuple[list[Line], Any]:
    """Priced lines (after the coupon's percentage, if any) and the coupon."""
    random, sellables = rng.random, catalog.sellables
    coupon = None
    if random() < 0.12:
        coupon = catalog.coupon_list[int(random() * len(catalog.coupon_list))]
    percent = int(float(coupon["amount"])) if coupon else 0
    lines = []
    for _ in range(_pick(rng, (1, 2, 3), _LINE_COUNTS)):
        item = sellables[int(len(sellables) * random() ** 1.7)]
        quantity = _pick(rng, (1, 2, 3), _QUANTITIES)
        subtotal = item.unit_cents * quantity
        total = subtotal - subtotal * percent // 100
        lines.append(
            Line(item, quantity, subtotal, total, _tax(subtotal, tax_bp), _tax(total, tax_bp))
        )
    return lines, coupon


def _money_fields(
    history: History, lines: list[Line], coupon: Any, person: Person, shipping: int
) -> dict[str, Any]:
    first = history.next_line_id
    history.next_line_id += len(lines) + 3
    rate_id = person.tax_rate_id
    fields = order_money(lines, shipping)
    fields["line_items"] = [line_item(first + n, line, rate_id) for n, line in enumerate(lines)]
    tax = sum(line.total_tax for line in lines)
    after = first + len(lines)
    fields["tax_lines"] = tax_lines(after, rate_id, person.tax_bp, person.tax_label, tax)
    fields["shipping_lines"] = shipping_lines(after + 1, shipping)
    fields["coupon_lines"] = []
    if coupon:
        discount = sum(line.subtotal - line.total for line in lines)
        discount_tax = sum(line.subtotal_tax - line.total_tax for line in lines)
        percent = int(float(coupon["amount"]))
        fields["coupon_lines"] = [
            coupon_line(after + 2, coupon["code"], percent, discount, discount_tax)
        ]
        coupon["usage_count"] += 1
    return fields


def _pick(rng: random.Random, options: tuple, cumulative: tuple) -> Any:
    return options[bisect(cumulative, rng.random() * cumulative[-1])]


def _tax(cents: int, basis_points: int) -> int:
    return (cents * basis_points + 5000) // 10000


def _refund_cents(rng: random.Random, fields: dict[str, Any]) -> int:
    total = int(fields["total"].replace(".", ""))
    if fields["status"] == "refunded":
        return total
    return max(1, min(total, total * rng.randrange(10, 60) // 100))


def _add_refunds(history: History, site: str) -> None:
    for when, order_id, cents, kind in sorted(history._pending_refunds):
        refund_id = history.next_id
        history.next_id += 1
        order = history.orders[order_id]
        reason = "Returned" if kind == "refunded" else "Damaged item"
        refund = refund_body(site, refund_id, order_id, when, cents, reason)
        if kind == "refunded":
            refund["line_items"] = refunded_lines(order, history.next_line_id)
            history.next_line_id += len(order["line_items"])
        history.refunds[refund_id] = refund
        order["refunds"] = [order_refund_entry(refund_id, reason, cents)]
    history._pending_refunds.clear()


def _add_customers(
    history: History,
    rng: random.Random,
    site: str,
    people: list[Person],
    seen: dict[int, tuple[int, int]],
    start: int,
) -> None:
    history.customers[1] = administrator(site, start - 400 * DAY)
    for index, person in enumerate(people):
        first, last = seen.get(index, (0, 0))
        created = (
            first - rng.randrange(0, 30 * DAY) if first else rng.randrange(start, start + HISTORY)
        )
        history.customers[index + 2] = customer_from(
            site, index + 2, person, (created, max(created, last))
        )
    paying = {o["customer_id"] for o in history.orders.values() if o["status"] in PAID}
    for customer_id in paying - {0}:
        history.customers[customer_id]["is_paying_customer"] = True
