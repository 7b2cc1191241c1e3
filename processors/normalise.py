"""WooCommerce REST bodies -> normalised events (pure).

Unknown fields are ignored, missing optional fields tolerated; a body without what we need
to key it (an integer ``id``) raises UnprocessableEvent, which dead-letters the message.
Dates come from the ``*_gmt`` fields (WooCommerce's local dates carry no offset). Every
value goes through processors/bounds.py: one the state cannot hold raises InvalidValue
naming the field (``line_items[2].quantity: integer out of range``), never the value; so
does an object or list of objects WooCommerce sends that arrives as something else
(``billing: not an object``). Nothing else escapes a normaliser.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from processors.bounds import (
    INTEGER_OUT_OF_RANGE,
    MAX_ID,
    NOT_A_LIST,
    NOT_AN_OBJECT,
    ZERO,
    checked_amount,
    checked_count,
    count,
    customer_identifier,
    gmt,
    identifier,
    money,
    optional_money,
    parse_gmt,
    text,
)
from processors.errors import InvalidValue, UnprocessableEvent
from processors.normalise_meta import meta_json
from schemas.events import (
    STOCK_STATUSES,
    CouponChanged,
    CustomerChanged,
    LineItem,
    OrderChanged,
    ProductChanged,
    Refund,
    RefundChanged,
    RefundItem,
    Version,
)
from schemas.shop import DEFAULT_COST_KEYS, CostKeys

__all__ = [  # parse_gmt and text are bounds' own, for handlers and reconciliation
    "consent_meta",
    "normalise_coupon",
    "normalise_customer",
    "normalise_email",
    "normalise_order",
    "normalise_product",
    "normalise_refund",
    "parse_gmt",
    "resource_id",
    "text",
    "version_of",
]

T = TypeVar("T")
LINE_SUBTOTALS = "sum of line_items[].subtotal"
LINE_QUANTITIES = "sum of line_items[].quantity"
REFUND_TOTALS = "sum of refunds[].total"


def normalise_email(value: Any) -> str:
    return text(value).lower()


def resource_id(body: Any) -> int:
    rid = body.get("id") if isinstance(body, dict) else None
    if type(rid) is not int or rid <= 0:
        raise UnprocessableEvent("body has no integer id")
    if rid > MAX_ID:
        raise InvalidValue("id", INTEGER_OUT_OF_RANGE)
    return rid


def version_of(body: dict[str, Any], body_sha256: str, fallback: datetime) -> Version:
    at = gmt(body.get("date_modified_gmt"), "date_modified_gmt") or gmt(
        body.get("date_created_gmt"), "date_created_gmt"
    )
    return Version(at=at or fallback, body_hash=body_sha256)


def _section(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The object ``body[key]``: missing, null or empty -> {}; anything else is refused."""
    value = body.get(key)
    if isinstance(value, dict):
        return value
    if value is None or value == []:  # PHP writes an empty array as []
        return {}
    raise InvalidValue(key, NOT_AN_OBJECT)


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The list of objects ``body[key]``: missing, null or empty -> []; a list holding
    anything but objects, or anything but a list, is refused."""
    value = body.get(key)
    if not isinstance(value, list):
        if value is None or value == {}:
            return []
        raise InvalidValue(key, NOT_A_LIST)
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise InvalidValue(f"{key}[{index}]", NOT_AN_OBJECT)
    return value


def _each(body: dict[str, Any], key: str, build: Callable[[dict[str, Any]], T]) -> tuple[T, ...]:
    """``build`` of every object in the list ``body[key]``; a bad value names its element
    by its position in the list (``line_items[2].quantity``)."""
    built = []
    for index, item in enumerate(_list(body, key)):
        try:
            built.append(build(item))
        except InvalidValue as exc:
            raise exc.within(f"{key}[{index}]") from None
    return tuple(built)


def _total(amounts: Iterable[Decimal], field: str) -> Decimal:
    return checked_amount(sum(amounts, ZERO), field)


def _line_item(item: dict[str, Any]) -> LineItem:
    return LineItem(
        line_id=identifier(item.get("id"), "id"),
        product_id=identifier(item.get("product_id"), "product_id"),
        variation_id=identifier(item.get("variation_id"), "variation_id"),
        name=text(item.get("name")),
        sku=text(item.get("sku")),
        quantity=count(item.get("quantity"), "quantity"),
        subtotal=money(item.get("subtotal"), "subtotal"),
        total=money(item.get("total"), "total"),
        price=money(item.get("price"), "price"),
    )


def _refund(item: dict[str, Any]) -> Refund:
    reason = item.get("reason", item.get("refund"))
    return Refund(
        identifier(item.get("id"), "id"), abs(money(item.get("total"), "total")), text(reason)
    )


def _coupon_line(item: dict[str, Any]) -> tuple[str, Decimal]:
    """A coupon line's code and discount (before tax)."""
    return text(item.get("code")), money(item.get("discount"), "discount")


def normalise_order(body: dict[str, Any], body_sha256: str, received_at: datetime) -> OrderChanged:
    order_id = resource_id(body)
    billing = _section(body, "billing")
    items = _each(body, "line_items", _line_item)
    refunds = _each(body, "refunds", _refund)
    coupons = _each(body, "coupon_lines", _coupon_line)
    _total((r.amount for r in refunds), REFUND_TOTALS)  # the state keeps these two sums
    checked_count(sum(i.quantity for i in items), LINE_QUANTITIES)
    consents, tracking = meta_json(_list(body, "meta_data"), tracking=True)
    return OrderChanged(
        order_id=order_id,
        version=version_of(body, body_sha256, received_at),
        number=text(body.get("number")) or str(order_id),
        status=text(body.get("status")) or "pending",
        currency=text(body.get("currency")).upper(),
        customer_id=customer_identifier(body.get("customer_id"), "customer_id"),
        email=normalise_email(billing.get("email")),
        first_name=text(billing.get("first_name")),
        last_name=text(billing.get("last_name")),
        phone=text(billing.get("phone")),
        country=text(billing.get("country")).upper(),
        created_at=gmt(body.get("date_created_gmt"), "date_created_gmt") or received_at,
        paid_at=gmt(body.get("date_paid_gmt"), "date_paid_gmt"),
        completed_at=gmt(body.get("date_completed_gmt"), "date_completed_gmt"),
        total=money(body.get("total"), "total"),
        subtotal=_total((i.subtotal for i in items), LINE_SUBTOTALS),
        shipping=money(body.get("shipping_total"), "shipping_total"),
        tax=money(body.get("total_tax"), "total_tax"),
        discount=money(body.get("discount_total"), "discount_total"),
        payment_method=text(body.get("payment_method")),
        items=items,
        refunds=refunds,
        coupons=tuple(code for code, _ in coupons),
        consents=consents,
        coupon_discounts=tuple(discount for _, discount in coupons),
        tracking=tracking,
    )


def normalise_customer(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> CustomerChanged:
    billing = _section(body, "billing")
    return CustomerChanged(
        customer_id=resource_id(body),
        version=version_of(body, body_sha256, received_at),
        email=normalise_email(body.get("email") or billing.get("email")),
        first_name=text(body.get("first_name")) or text(billing.get("first_name")),
        last_name=text(body.get("last_name")) or text(billing.get("last_name")),
        phone=text(billing.get("phone")),
        country=text(billing.get("country")).upper(),
        created_at=gmt(body.get("date_created_gmt"), "date_created_gmt"),
        role=text(body.get("role")),
        consents=consent_meta(body),
    )


def consent_meta(body: dict[str, Any]) -> str:
    """The scalar meta entries whose key mentions consent (schemas.shop.CONSENT_HINTS), as
    compact JSON sorted by key; "" when there are none."""
    return meta_json(_list(body, "meta_data"), tracking=False)[0]


def _cost(body: dict[str, Any], keys: CostKeys) -> Decimal | None:
    """WooCommerce's own cost of goods (``cost_of_goods_sold.total_value``) when it holds a
    cost, else the value of the first of ``keys`` in ``meta_data`` that is usable (a number,
    not negative; a meta key given twice: its first usable value). Unusable values are passed
    over; an amount the state cannot hold is refused, as everywhere (processors/bounds.py)."""
    cogs = _section(body, "cost_of_goods_sold")
    cost = _usable_cost(cogs.get("total_value"), "cost_of_goods_sold.total_value")
    if cost is not None and (cost or _cogs_defined(cogs)):
        return cost
    metas = _list(body, "meta_data")
    for key in keys:
        for index, meta in enumerate(metas):
            if meta.get("key") == key:
                cost = _usable_cost(meta.get("value"), f"meta_data[{index}].value")
                if cost is not None:
                    return cost
    return None


def _cogs_defined(cogs: dict[str, Any]) -> bool:
    """Whether the shop entered a cost: WooCommerce reports ``total_value`` 0 and a null
    ``values[].defined_value`` for a product without one (so a 0 then is no cost)."""
    values = cogs.get("values")
    return isinstance(values, list) and any(
        isinstance(v, dict) and v.get("defined_value") not in (None, "") for v in values
    )


def _usable_cost(value: Any, field: str) -> Decimal | None:
    """A cost: a JSON number or numeric string, finite and not negative (None otherwise)."""
    if isinstance(value, str):
        try:
            amount = Decimal(value.strip())
        except InvalidOperation:
            return None
    elif type(value) is int:
        amount = Decimal(value)
    elif isinstance(value, float) and math.isfinite(value):
        amount = Decimal(repr(value))
    else:
        return None  # null, bool, list, object, inf, nan
    if not amount.is_finite() or amount < 0:
        return None
    return checked_amount(amount, field)


def _stock_status(value: Any) -> str:
    status = text(value).lower()
    return status if status in STOCK_STATUSES else ""


def _parent_id(body: dict[str, Any], collection: str) -> int:
    """``parent_id``, or for a body without it (a variation, a refund of ``/orders/N/refunds``),
    the id in its ``_links.up`` href under ``/<collection>/``."""
    parent = identifier(body.get("parent_id"), "parent_id")
    if parent:
        return parent
    links = body.get("_links")
    up = links.get("up") if isinstance(links, dict) else None
    href = up[0].get("href", "") if isinstance(up, list) and up and isinstance(up[0], dict) else ""
    marker = f"/{collection}/"
    if not isinstance(href, str) or marker not in href:
        return 0
    return identifier(href.rstrip("/").rsplit(marker, 1)[-1], "_links.up[0].href")


def normalise_product(
    body: dict[str, Any],
    body_sha256: str,
    received_at: datetime,
    cost_keys: CostKeys = DEFAULT_COST_KEYS,
) -> ProductChanged:
    """``cost_keys``: the shop's cost meta keys (``ShopConfig.cost_keys``), in order."""
    stock = body.get("stock_quantity")
    parent_id = _parent_id(body, "products")
    return ProductChanged(
        product_id=resource_id(body),
        version=version_of(body, body_sha256, received_at),
        parent_id=parent_id,
        type=text(body.get("type")) or ("variation" if parent_id else "simple"),
        name=text(body.get("name")),
        sku=text(body.get("sku")),
        status=text(body.get("status")),
        price=optional_money(body.get("price"), "price"),
        regular_price=optional_money(body.get("regular_price"), "regular_price"),
        sale_price=optional_money(body.get("sale_price"), "sale_price"),
        stock_quantity=None if stock is None else count(stock, "stock_quantity"),
        manage_stock=bool(body.get("manage_stock")),
        cost=_cost(body, cost_keys),
        categories=tuple(text(c.get("name")) for c in _list(body, "categories")),
        stock_status=_stock_status(body.get("stock_status")),
    )


def normalise_coupon(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> CouponChanged:
    return CouponChanged(
        coupon_id=resource_id(body),
        version=version_of(body, body_sha256, received_at),
        code=text(body.get("code")).lower(),
        discount_type=text(body.get("discount_type")),
        amount=money(body.get("amount"), "amount"),
        usage_count=count(body.get("usage_count"), "usage_count"),
    )


def _refund_item(item: dict[str, Any]) -> RefundItem:
    return RefundItem(
        product_id=identifier(item.get("product_id"), "product_id"),
        variation_id=identifier(item.get("variation_id"), "variation_id"),
        quantity=abs(count(item.get("quantity"), "quantity")),
        total=abs(money(item.get("total"), "total")),
    )


def normalise_refund(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> RefundChanged:
    """A refund of ``GET /wc/v3/refunds`` (or ``/orders/N/refunds``, order id from its links).

    Refunds are immutable, so the version is ``date_created_gmt`` and the body hash; the
    negative quantities and totals WooCommerce sends become positive."""
    refund_id = resource_id(body)
    created = gmt(body.get("date_created_gmt"), "date_created_gmt") or received_at
    return RefundChanged(
        refund_id=refund_id,
        version=Version(at=created, body_hash=body_sha256),
        order_id=_parent_id(body, "orders"),
        amount=abs(money(body.get("amount"), "amount")),
        reason=text(body.get("reason")),
        created_at=created,
        items=_each(body, "line_items", _refund_item),
    )
