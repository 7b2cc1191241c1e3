"""WooCommerce REST bodies -> normalised events (pure).

Unknown fields are ignored, missing optional fields tolerated; a body without what we need
to key it (an integer ``id``) raises UnprocessableEvent, which dead-letters the message.
Dates come from the ``*_gmt`` fields (WooCommerce's local dates carry no offset). Every
value goes through processors/bounds.py: one the state cannot hold raises InvalidValue
naming the field (``line_items[2].quantity: integer out of range``), never the value; so
does an object or list of objects WooCommerce sends that arrives as something else
(``billing: not an object``). Nothing else escapes a normaliser.

Products (their cost of goods and stock status) are normalised in
processors/normalise_product.py, with the helpers here (``section``, ``object_list``,
``parent_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal
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
    parse_gmt,
    text,
)
from processors.errors import InvalidValue, UnprocessableEvent
from processors.normalise_meta import meta_json
from schemas.events import (
    CouponChanged,
    CustomerChanged,
    LineItem,
    OrderChanged,
    Refund,
    RefundChanged,
    RefundItem,
    Version,
)

__all__ = [  # parse_gmt and text are bounds' own, for handlers and reconciliation
    "consent_meta",
    "normalise_coupon",
    "normalise_customer",
    "normalise_email",
    "normalise_order",
    "normalise_refund",
    "object_list",
    "parent_of",
    "parse_gmt",
    "resource_id",
    "section",
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


def section(body: dict[str, Any], key: str) -> dict[str, Any]:
    """The object ``body[key]``: missing, null or empty -> {}; anything else is refused."""
    value = body.get(key)
    if isinstance(value, dict):
        return value
    if value is None or value == []:  # PHP writes an empty array as []
        return {}
    raise InvalidValue(key, NOT_AN_OBJECT)


def object_list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
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
    for index, item in enumerate(object_list(body, key)):
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
    billing = section(body, "billing")
    items = _each(body, "line_items", _line_item)
    refunds = _each(body, "refunds", _refund)
    coupons = _each(body, "coupon_lines", _coupon_line)
    _total((r.amount for r in refunds), REFUND_TOTALS)  # the state keeps these two sums
    checked_count(sum(i.quantity for i in items), LINE_QUANTITIES)
    consents, tracking = meta_json(object_list(body, "meta_data"), tracking=True)
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
    billing = section(body, "billing")
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
    return meta_json(object_list(body, "meta_data"), tracking=False)[0]


def parent_of(body: dict[str, Any], collection: str) -> int:
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
        order_id=parent_of(body, "orders"),
        amount=abs(money(body.get("amount"), "amount")),
        reason=text(body.get("reason")),
        created_at=created,
        items=_each(body, "line_items", _refund_item),
    )
