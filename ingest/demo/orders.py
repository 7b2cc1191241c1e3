"""Demo orders as WooCommerce's REST API shows them, one body per lifecycle step."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from ingest.demo.catalog import Catalog, IdSequence, slugify
from ingest.demo.lifecycle import OrderPlan, Step
from ingest.demo.money import (
    CARRIERS,
    TAX_CODE,
    TAX_LABEL,
    TAX_RATE_ID,
    OrderMoney,
    price_order,
)
from ingest.demo.render import API_URL, SHOP_URL, address, links, money
from ingest.demo.shop_calendar import ShopCalendar

METHOD_TITLES = {
    "przelewy24": "Przelewy24",
    "stripe": "Karta płatnicza",
    "ppcp-gateway": "PayPal",
    "bacs": "Przelew bankowy",
    "cod": "Płatność przy odbiorze",
}
CURRENCY, CURRENCY_SYMBOL = "PLN", "zł"
LINE_COUNTS, LINE_WEIGHTS = (1, 2, 3, 4), (0.6, 0.28, 0.09, 0.03)
SOURCES = (("typein", "(direct)"), ("organic", "google"), ("utm", "newsletter"), ("referral", ""))


@dataclass
class PlacedOrder:
    """An order as placed at checkout: its ids and money never change afterwards."""

    plan: OrderPlan
    id: int
    customer_id: int
    email: str
    money: OrderMoney
    item_ids: tuple[int, ...]  # line items, shipping line, tax line, coupon line
    meta_ids: tuple[int, ...]
    order_key: str
    cart_hash: str
    transaction_id: str
    source: tuple[str, str]


def place_order(
    rng: random.Random, plan: OrderPlan, catalog: Catalog, ids: dict[str, IdSequence]
) -> PlacedOrder:
    """What the customer put in the cart at ``plan.created``, priced at that moment."""
    person = plan.person
    customer_id = person.customer_id_at(plan.created)
    picks = catalog.pick(rng, plan.created, rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0])
    coupon = _coupon(rng, catalog.cal, plan, first=customer_id > 0 and not person.orders)
    person.orders += 1
    carrier = rng.choices(("locker", "courier", "pickup"), (0.64, 0.33, 0.03))[0]
    money_ = price_order(picks, person.details["country"], coupon, carrier)
    item_count = len(money_.lines) + 3
    return PlacedOrder(
        plan=plan,
        id=ids["posts"].take(rng),
        customer_id=customer_id,
        email=_typed_email(rng, person.email, guest=not customer_id),
        money=money_,
        item_ids=tuple(ids["items"].take(rng) for _ in range(item_count)),
        meta_ids=tuple(ids["meta"].take(rng) for _ in range(3 + len(money_.lines))),
        order_key="wc_order_" + _token(rng, string.ascii_letters + string.digits, 13),
        cart_hash=f"{rng.getrandbits(128):032x}",
        transaction_id=_transaction_id(rng, plan.method),
        source=rng.choice(SOURCES),
    )


def settle_refunds(order: PlacedOrder) -> None:
    """Refund amounts in cents: a share of the total, the last full one takes the rest."""
    left = order.money.total
    for refund in order.plan.refunds:
        cents = left if refund.share >= 1.0 else min(round(order.money.total * refund.share), left)
        refund.cents, left = cents, left - cents


def order_body(cal: ShopCalendar, order: PlacedOrder, step: Step) -> dict:
    """The order as ``GET /orders/<id>`` returns it right after ``step``."""
    plan, m = order.plan, order.money
    paid = plan.paid_at is not None and plan.paid_at <= step.ts
    completed = plan.completed_at is not None and plan.completed_at <= step.ts
    body: dict = {"id": order.id, "parent_id": 0, "status": step.status, "currency": CURRENCY}
    body |= {"version": "9.4.2", "prices_include_tax": True}
    body |= _date(cal, "created", plan.created) | _date(cal, "modified", step.ts)
    body |= {
        "discount_total": money(m.discount),
        "discount_tax": money(m.discount_tax),
        "shipping_total": money(m.shipping),
        "shipping_tax": money(m.shipping_tax),
        "cart_tax": money(m.cart_tax),
        "total": money(m.total),
        "total_tax": money(m.cart_tax + m.shipping_tax),
        "customer_id": order.customer_id,
        "order_key": order.order_key,
        "billing": address(plan.person.details | {"email": order.email}, with_email=True),
        "shipping": address(plan.person.details, with_email=False),
        "payment_method": plan.method,
        "payment_method_title": METHOD_TITLES[plan.method],
        "transaction_id": order.transaction_id if paid else "",
        "customer_ip_address": plan.person.ip,
        "customer_user_agent": plan.person.user_agent,
        "created_via": "checkout",
        "customer_note": "",
    }
    body |= _date(cal, "completed", plan.completed_at if completed else None)
    body |= _date(cal, "paid", plan.paid_at if paid else None)
    body |= {"cart_hash": order.cart_hash, "number": str(order.id)}
    body |= _lines(order) | {"refunds": _refunds(order, step.ts)}
    body |= _flags(order, step.status)
    return body


def _date(cal: ShopCalendar, name: str, ts: int | None) -> dict:
    local, gmt = cal.wc_dates(ts) if ts is not None else (None, None)
    return {f"date_{name}": local, f"date_{name}_gmt": gmt}


def _lines(order: PlacedOrder) -> dict:
    m, ids = order.money, order.item_ids
    taxed = m.cart_tax + m.shipping_tax > 0
    rate = TAX_RATE_ID if taxed else None
    line_items = [_line_item(order, index, rate) for index in range(len(m.lines))]
    shipping_id, tax_id, coupon_id = ids[-3:]
    return {
        "meta_data": _order_meta(order),
        "line_items": line_items,
        "tax_lines": _tax_lines(tax_id, m) if taxed else [],
        "shipping_lines": [_shipping_line(shipping_id, m)],
        "fee_lines": [],
        "coupon_lines": _coupon_lines(coupon_id, m) if m.coupon else [],
    }


def _line_item(order: PlacedOrder, index: int, rate_id: int | None) -> dict:
    line = order.money.lines[index]
    item, parent = line.item, line.item.parent
    price = line.total / 100 / line.quantity  # a float, as PHP divides
    meta = []
    if parent is not None:
        meta = [_variation_meta(order.meta_ids[3 + index], parent.attribute, item.option)]
    taxes = [{"id": rate_id, "total": money(line.total_tax), "subtotal": money(line.subtotal_tax)}]
    return {
        "id": order.item_ids[index],
        "name": item.name,
        "product_id": parent.id if parent is not None else item.id,
        "variation_id": item.id if parent is not None else 0,
        "quantity": line.quantity,
        "tax_class": "",
        "subtotal": money(line.subtotal),
        "subtotal_tax": money(line.subtotal_tax),
        "total": money(line.total),
        "total_tax": money(line.total_tax),
        "taxes": taxes if rate_id is not None else [],
        "meta_data": meta,
        "sku": item.sku,
        "price": int(price) if price.is_integer() else price,
        "image": {"id": item.image_id, "src": f"{SHOP_URL}wp-content/uploads/demo/{item.slug}.jpg"},
        "parent_name": parent.name if parent is not None else None,
    }


def _shipping_line(line_id: int, m: OrderMoney) -> dict:
    method_id, title, _ = CARRIERS[m.carrier]
    taxes = [{"id": TAX_RATE_ID, "total": money(m.shipping_tax), "subtotal": ""}]
    return {
        "id": line_id,
        "method_title": title,
        "method_id": method_id,
        "instance_id": str(list(CARRIERS).index(m.carrier) + 1),
        "total": money(m.shipping),
        "total_tax": money(m.shipping_tax),
        "taxes": taxes if m.shipping_tax else [],
        "meta_data": [],
    }


def _variation_meta(meta_id: int, attribute: str, option: str) -> dict:
    return {
        "id": meta_id,
        "key": "pa_" + slugify(attribute),
        "value": slugify(option),
        "display_key": attribute,
        "display_value": option,
    }


def _tax_lines(line_id: int, m: OrderMoney) -> list[dict]:
    return [
        {
            "id": line_id,
            "rate_code": TAX_CODE,
            "rate_id": TAX_RATE_ID,
            "label": TAX_LABEL,
            "compound": False,
            "tax_total": money(m.cart_tax),
            "shipping_tax_total": money(m.shipping_tax),
            "rate_percent": 23,
            "meta_data": [],
        }
    ]


def _coupon_lines(line_id: int, m: OrderMoney) -> list[dict]:
    return [
        {
            "id": line_id,
            "code": m.coupon,
            "discount": money(m.discount),
            "discount_tax": money(m.discount_tax),
            "meta_data": [],
        }
    ]


def _order_meta(order: PlacedOrder) -> list[dict]:
    source_type, source = order.source
    return [
        {"id": order.meta_ids[0], "key": "_wc_order_attribution_source_type", "value": source_type},
        {"id": order.meta_ids[1], "key": "_wc_order_attribution_utm_source", "value": source},
        {"id": order.meta_ids[2], "key": "is_vat_exempt", "value": "no"},
    ]


def _refunds(order: PlacedOrder, upto: int) -> list[dict]:
    done = [r for r in order.plan.refunds if r.ts <= upto]
    return [{"id": r.id, "reason": r.reason, "total": money(-r.cents)} for r in reversed(done)]


def _flags(order: PlacedOrder, status: str) -> dict:
    key = order.order_key
    return {
        "payment_url": f"{SHOP_URL}checkout/order-pay/{order.id}/?pay_for_order=true&key={key}",
        "is_editable": status in ("pending", "on-hold", "auto-draft"),
        "needs_payment": status in ("pending", "failed"),
        "needs_processing": True,
        "currency_symbol": CURRENCY_SYMBOL,
        "_links": _order_links(order),
    }


def _order_links(order: PlacedOrder) -> dict:
    found = links(f"orders/{order.id}", "orders")
    if order.customer_id:
        found["customer"] = [{"href": f"{API_URL}customers/{order.customer_id}"}]
    return found


def _coupon(rng: random.Random, cal: ShopCalendar, plan: OrderPlan, *, first: bool) -> str:
    if any(begin <= plan.created <= end for begin, end in cal.sales):
        return "blackweek" if rng.random() < 0.4 else ""
    if first and rng.random() < 0.15:
        return "witaj10"
    return "rabat20" if rng.random() < 0.04 else ""


def _typed_email(rng: random.Random, email: str, *, guest: bool) -> str:
    """Guests type their address at each checkout, now and then capitalised."""
    if not guest or rng.random() >= 0.08:
        return email
    return email[0].upper() + email[1:]


def _token(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choices(alphabet, k=length))


def _transaction_id(rng: random.Random, method: str) -> str:
    if method == "przelewy24":
        return str(rng.randrange(3_000_000_000, 4_000_000_000))
    if method == "stripe":
        return "pi_3" + _token(rng, string.ascii_letters + string.digits, 23)
    if method == "ppcp-gateway":
        return _token(rng, string.ascii_uppercase + string.digits, 17)
    return ""
