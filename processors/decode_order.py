"""An order webhook body straight from its JSON text to ``OrderChanged``: the fast path of
``parse_body`` + ``normalise_order`` (issue 15: 20,000 order events a second per core).

Parsing a whole body into dicts and walking them costs about 40 us an order. msgspec reads
only the fields ``normalise_order`` reads (processors/decode_order_body.py), and each is
bounded as processors/bounds.py does, in fewer Python operations (processors/
decode_values.py): about 21 us an order instead of 40 (``decode_events`` on bench.orders
bodies, the garbage collector's share included).

``decode_order`` gives exactly the event the old path gives, or None: anything it does not
fully understand (a field of another JSON type, a value out of range, an error to report, a
lone surrogate, a meta value ``orjson`` and ``json`` could read differently) is left to the
old path, which stays the definition of every result and every error message.
tests/unit/test_decode_order.py holds the two to that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import orjson

from processors.bounds import (
    ZERO,
    checked_amount,
    checked_count,
    count,
    customer_identifier,
    identifier,
)
from processors.decode_order_body import (
    Billing,
    CouponLineBody,
    LineItemBody,
    MetaBody,
    OrderBody,
    RefundBody,
    decode_order_body,
)
from processors.decode_values import REMEMBERED, date_of, money_of, text_of
from processors.normalise import LINE_QUANTITIES, LINE_SUBTOTALS, REFUND_TOTALS
from processors.normalise_meta import meta_json
from schemas.events import LineItem, OrderChanged, Refund, Version
from schemas.shop import is_consent_key
from schemas.tracking import is_tracking_key

ORDER_FIELDS = (  # of OrderChanged, in its order: _ORDER takes them positionally
    *("order_id", "version", "number", "status", "currency", "customer_id", "email"),
    *("first_name", "last_name", "phone", "country", "created_at", "paid_at"),
    *("completed_at", "total", "subtotal", "shipping", "tax", "discount", "payment_method"),
    *("items", "refunds", "coupons", "consents", "coupon_discounts", "tracking"),
)
LINE_FIELDS = (
    *("line_id", "product_id", "variation_id", "name", "sku", "quantity", "subtotal"),
    *("total", "price"),
)
_ORDER, _LINE, _REFUND, _VERSION = OrderChanged, LineItem, Refund, Version
_POSITIONAL = (
    (OrderChanged, ORDER_FIELDS),
    (LineItem, LINE_FIELDS),
    (Refund, ("refund_id", "amount", "reason")),
    (Version, ("at", "body_hash")),
)
# built positionally (keywords cost a third more): off when schemas/events.py changed them
ENABLED = all(cls.__struct_fields__ == names for cls, names in _POSITIONAL)
_NO_BILLING = Billing()


class _NotUnderstood(Exception):
    """A body the fast path leaves to the old one."""


def decode_order(body: str, body_sha256: str, received_at: datetime) -> OrderChanged | None:
    """``normalise_order(parse_body(body), ...)`` when the fast path understands the body,
    else None (then the caller takes that old path, for the result or the error)."""
    if not ENABLED:
        return None
    try:
        return _order_changed(decode_order_body(body), body_sha256, received_at)
    except Exception:  # noqa: BLE001 - msgspec's, bounds' or ours: the old path decides
        return None


def _order_changed(order: OrderBody, body_sha256: str, received_at: datetime) -> OrderChanged:
    billing = _billing(order.billing)
    items = tuple(map(_line_item, _listed(order.line_items)))
    refunds = tuple(map(_refund, _listed(order.refunds)))
    codes, discounts = _coupons(_listed(order.coupon_lines))
    subtotal = _subtotal(items, refunds)
    consents, tracking = _meta(_listed(order.meta_data))
    created = date_of(order.date_created_gmt)
    modified = date_of(order.date_modified_gmt) or created or received_at
    customer = order.customer_id  # an int comes at most MAX_ID (decode_order_body.py)
    return _ORDER(  # type: ignore[misc]
        order.id,
        _VERSION(modified, body_sha256),  # type: ignore[misc]
        text_of(order.number) or str(order.id),
        text_of(order.status) or "pending",
        text_of(order.currency).upper(),
        customer
        if customer.__class__ is int and customer >= 0
        else customer_identifier(customer, ""),
        text_of(billing.email).lower(),
        text_of(billing.first_name),
        text_of(billing.last_name),
        text_of(billing.phone),
        text_of(billing.country).upper(),
        created or received_at,
        date_of(order.date_paid_gmt),
        date_of(order.date_completed_gmt),
        money_of(order.total),
        subtotal,
        money_of(order.shipping_total),
        money_of(order.total_tax),
        money_of(order.discount_total),
        text_of(order.payment_method),
        items,
        refunds,
        codes,
        consents,
        discounts,
        tracking,
    )


def _billing(billing: Billing | list[Any] | None) -> Billing:
    if billing.__class__ is Billing:
        return billing  # type: ignore[return-value]
    if billing:  # a list that is not empty: "billing: not an object"
        raise _NotUnderstood
    return _NO_BILLING


def _listed(value: list[Any] | dict[str, Any] | None) -> list[Any]:
    if value.__class__ is list:
        return value  # type: ignore[return-value]
    if value:  # an object that is not empty: "not a list"
        raise _NotUnderstood
    return []


def _line_item(item: LineItemBody) -> LineItem:
    line_id, product_id, variation_id = item.id, item.product_id, item.variation_id
    quantity = item.quantity  # ints come bounded (decode_order_body.py); others: bounds'
    return _LINE(  # type: ignore[misc]
        line_id if line_id.__class__ is int else identifier(line_id, ""),
        product_id if product_id.__class__ is int else identifier(product_id, ""),
        variation_id if variation_id.__class__ is int else identifier(variation_id, ""),
        text_of(item.name),
        text_of(item.sku),
        quantity if quantity.__class__ is int else count(quantity, ""),
        money_of(item.subtotal),
        money_of(item.total),
        money_of(item.price),
    )


def _refund(item: RefundBody) -> Refund:
    reason = item.refund if item.reason is msgspec.UNSET else item.reason
    refund_id = item.id if item.id.__class__ is int else identifier(item.id, "")
    return _REFUND(refund_id, abs(money_of(item.total)), text_of(reason))  # type: ignore[misc,arg-type]


def _coupons(coupons: list[CouponLineBody]) -> tuple[tuple[str, ...], tuple[Decimal, ...]]:
    if not coupons:
        return (), ()
    codes = tuple(text_of(c.code) for c in coupons)
    return codes, tuple(money_of(c.discount) for c in coupons)


def _subtotal(items: Sequence[LineItem], refunds: Sequence[Refund]) -> Decimal:
    """The lines' subtotal, once their quantities and the refunds are checked as sums the
    state keeps (``normalise_order``'s checks)."""
    quantity, subtotal = 0, ZERO
    for item in items:
        quantity += item.quantity
        subtotal += item.subtotal
    checked_count(quantity, LINE_QUANTITIES)
    if refunds:
        checked_amount(sum((r.amount for r in refunds), ZERO), REFUND_TOTALS)
    return checked_amount(subtotal, LINE_SUBTOTALS)


def _meta(metas: list[MetaBody]) -> tuple[str, str]:
    """``meta_json`` of the entries whose key mentions consent or tracking (no other entry
    changes its result), their values parsed as the old path parses them."""
    kept = [
        {"key": meta.key, "value": _meta_value(meta.value)}
        for meta in metas
        if meta.key.__class__ is str and _kept_key(meta.key)
    ]
    return meta_json(kept, tracking=True) if kept else ("", "")


_KEPT_KEYS: dict[str, bool] = {}  # meta keys seen: whether meta_json keeps them


def _kept_key(key: str) -> bool:
    kept = _KEPT_KEYS.get(key)
    if kept is None:
        if len(_KEPT_KEYS) >= REMEMBERED:
            _KEPT_KEYS.clear()
        kept = _KEPT_KEYS[key] = is_consent_key(key) or is_tracking_key(key)
    return kept


def _meta_value(raw: msgspec.Raw) -> Any:
    """The value as orjson reads it. The old path reads the body with ``json`` instead when
    orjson refuses it (a number beyond a double in a field nobody reads, say); the two
    differ only on integers beyond 64 bits (orjson makes floats of them), so a value holding
    a float is left to the old path."""
    value = orjson.loads(memoryview(raw))
    if _holds_float(value):
        raise _NotUnderstood
    return value


def _holds_float(value: Any) -> bool:
    if value.__class__ is float:
        return True
    if value.__class__ is list:
        return any(map(_holds_float, value))
    if value.__class__ is dict:
        return any(map(_holds_float, value.values()))
    return False
