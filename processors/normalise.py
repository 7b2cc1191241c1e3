"""WooCommerce REST bodies -> normalised events (pure).

Unknown fields are ignored, missing optional fields tolerated; a body without what we need
to key it (an integer ``id``) raises UnprocessableEvent, which dead-letters the message.
Dates come from the ``*_gmt`` fields (WooCommerce's local dates carry no offset).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from processors.errors import UnprocessableEvent
from schemas.events import (
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
from schemas.shop import is_consent_key

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def parse_gmt(value: Any) -> datetime | None:
    """``2017-03-22T19:28:08`` (UTC without offset) -> aware datetime; empty -> None."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def money(value: Any) -> Decimal:
    """Money strings (and numbers) -> Decimal with 2 places; empty or invalid -> 0."""
    if value is None or value == "":
        return ZERO
    try:
        return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return ZERO


def optional_money(value: Any) -> Decimal | None:
    return None if value in (None, "") else money(value)


def integer(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def normalise_email(value: Any) -> str:
    return text(value).lower()


def resource_id(body: Any) -> int:
    if not isinstance(body, dict) or isinstance(body.get("id"), bool):
        raise UnprocessableEvent("body has no integer id")
    rid = body.get("id")
    if not isinstance(rid, int) or rid <= 0:
        raise UnprocessableEvent("body has no integer id")
    return rid


def version_of(body: dict[str, Any], body_sha256: str, fallback: datetime) -> Version:
    at = parse_gmt(body.get("date_modified_gmt")) or parse_gmt(body.get("date_created_gmt"))
    return Version(at=at or fallback, body_hash=body_sha256)


def _section(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _list(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = body.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _line_item(item: dict[str, Any]) -> LineItem:
    return LineItem(
        line_id=integer(item.get("id")),
        product_id=integer(item.get("product_id")),
        variation_id=integer(item.get("variation_id")),
        name=text(item.get("name")),
        sku=text(item.get("sku")),
        quantity=integer(item.get("quantity")),
        subtotal=money(item.get("subtotal")),
        total=money(item.get("total")),
        price=money(item.get("price")),
    )


def _refund(item: dict[str, Any]) -> Refund:
    reason = item.get("reason", item.get("refund"))
    return Refund(integer(item.get("id")), abs(money(item.get("total"))), text(reason))


def normalise_order(body: dict[str, Any], body_sha256: str, received_at: datetime) -> OrderChanged:
    order_id = resource_id(body)
    billing = _section(body, "billing")
    created = parse_gmt(body.get("date_created_gmt")) or received_at
    return OrderChanged(
        order_id=order_id,
        version=version_of(body, body_sha256, received_at),
        number=text(body.get("number")) or str(order_id),
        status=text(body.get("status")) or "pending",
        currency=text(body.get("currency")).upper(),
        customer_id=integer(body.get("customer_id")),
        email=normalise_email(billing.get("email")),
        first_name=text(billing.get("first_name")),
        last_name=text(billing.get("last_name")),
        phone=text(billing.get("phone")),
        country=text(billing.get("country")).upper(),
        created_at=created,
        paid_at=parse_gmt(body.get("date_paid_gmt")),
        completed_at=parse_gmt(body.get("date_completed_gmt")),
        total=money(body.get("total")),
        subtotal=sum((money(i.get("subtotal")) for i in _list(body, "line_items")), ZERO),
        shipping=money(body.get("shipping_total")),
        tax=money(body.get("total_tax")),
        discount=money(body.get("discount_total")),
        payment_method=text(body.get("payment_method")),
        items=tuple(_line_item(i) for i in _list(body, "line_items")),
        refunds=tuple(_refund(r) for r in _list(body, "refunds")),
        coupons=tuple(text(c.get("code")) for c in _list(body, "coupon_lines")),
        consents=consent_meta(body),
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
        created_at=parse_gmt(body.get("date_created_gmt")),
        role=text(body.get("role")),
        consents=consent_meta(body),
    )


def consent_meta(body: dict[str, Any]) -> str:
    """The scalar meta entries whose key mentions consent (schemas.shop.CONSENT_HINTS), as
    compact JSON sorted by key; "" when there are none."""
    kept: dict[str, str] = {}
    for meta in _list(body, "meta_data"):
        key, value = meta.get("key"), meta.get("value")
        if isinstance(key, str) and is_consent_key(key) and isinstance(value, str | int | float):
            kept[key[:100]] = str(value)[:100]
    return json.dumps(kept, sort_keys=True, separators=(",", ":")) if kept else ""


def _cost(body: dict[str, Any]) -> Decimal | None:
    cogs = body.get("cost_of_goods_sold")
    if isinstance(cogs, dict) and cogs.get("total_value") not in (None, ""):
        return money(cogs.get("total_value"))
    for meta in _list(body, "meta_data"):
        if meta.get("key") == "_wc_cog_cost" and meta.get("value") not in (None, ""):
            return money(meta.get("value"))
    return None


def _parent_id(body: dict[str, Any], collection: str) -> int:
    """``parent_id``, or for a body without it (a variation, a refund of ``/orders/N/refunds``),
    the id in its ``_links.up`` href under ``/<collection>/``."""
    parent = integer(body.get("parent_id"))
    if parent:
        return parent
    links = body.get("_links")
    up = links.get("up") if isinstance(links, dict) else None
    href = up[0].get("href", "") if isinstance(up, list) and up and isinstance(up[0], dict) else ""
    marker = f"/{collection}/"
    tail = href.rstrip("/").rsplit(marker, 1)[-1] if marker in href else ""
    return integer(tail)


def normalise_product(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> ProductChanged:
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
        price=optional_money(body.get("price")),
        regular_price=optional_money(body.get("regular_price")),
        sale_price=optional_money(body.get("sale_price")),
        stock_quantity=None if stock is None else integer(stock),
        manage_stock=bool(body.get("manage_stock")),
        cost=_cost(body),
        categories=tuple(text(c.get("name")) for c in _list(body, "categories")),
    )


def normalise_coupon(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> CouponChanged:
    return CouponChanged(
        coupon_id=resource_id(body),
        version=version_of(body, body_sha256, received_at),
        code=text(body.get("code")).lower(),
        discount_type=text(body.get("discount_type")),
        amount=money(body.get("amount")),
        usage_count=integer(body.get("usage_count")),
    )


def _refund_item(item: dict[str, Any]) -> RefundItem:
    return RefundItem(
        product_id=integer(item.get("product_id")),
        variation_id=integer(item.get("variation_id")),
        quantity=abs(integer(item.get("quantity"))),
        total=abs(money(item.get("total"))),
    )


def normalise_refund(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> RefundChanged:
    """A refund of ``GET /wc/v3/refunds`` (or ``/orders/N/refunds``, order id from its links).

    Refunds are immutable, so the version is ``date_created_gmt`` and the body hash; the
    negative quantities and totals WooCommerce sends become positive."""
    refund_id = resource_id(body)
    created = parse_gmt(body.get("date_created_gmt")) or received_at
    return RefundChanged(
        refund_id=refund_id,
        version=Version(at=created, body_hash=body_sha256),
        order_id=_parent_id(body, "orders"),
        amount=abs(money(body.get("amount"))),
        reason=text(body.get("reason")),
        created_at=created,
        items=tuple(_refund_item(i) for i in _list(body, "line_items")),
    )
