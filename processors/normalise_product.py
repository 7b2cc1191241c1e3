"""WooCommerce product bodies (products and variations) -> ``ProductChanged`` (pure).

A product body is read as processors/normalise.py reads every body, with its helpers. A
variation's parent is its ``parent_id``, or the product in its ``_links.up`` href. The cost
of goods is WooCommerce's own (``cost_of_goods_sold``) when the shop entered one, else the
first usable value (a number, not negative) of the shop's cost meta keys
(``ShopConfig.cost_keys``, in order); other values are passed over, but an amount the state
cannot hold is refused. A stock status other than WooCommerce's three
(schemas.events.STOCK_STATUSES) is kept as "".
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from processors.bounds import checked_amount, count, optional_money, text
from processors.normalise import object_list, parent_of, resource_id, section, version_of
from schemas.events import STOCK_STATUSES, ProductChanged
from schemas.shop import DEFAULT_COST_KEYS, CostKeys


def _cost(body: dict[str, Any], keys: CostKeys) -> Decimal | None:
    """WooCommerce's own cost of goods (``cost_of_goods_sold.total_value``) when it holds a
    cost, else the value of the first of ``keys`` in ``meta_data`` that is usable (a number,
    not negative; a meta key given twice: its first usable value). Unusable values are passed
    over; an amount the state cannot hold is refused, as everywhere (processors/bounds.py)."""
    cogs = section(body, "cost_of_goods_sold")
    cost = _usable_cost(cogs.get("total_value"), "cost_of_goods_sold.total_value")
    if cost is not None and (cost or _cogs_defined(cogs)):
        return cost
    metas = object_list(body, "meta_data")
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


def normalise_product(
    body: dict[str, Any],
    body_sha256: str,
    received_at: datetime,
    cost_keys: CostKeys = DEFAULT_COST_KEYS,
) -> ProductChanged:
    """``cost_keys``: the shop's cost meta keys (``ShopConfig.cost_keys``), in order."""
    stock = body.get("stock_quantity")
    parent_id = parent_of(body, "products")
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
        categories=tuple(text(c.get("name")) for c in object_list(body, "categories")),
        stock_status=_stock_status(body.get("stock_status")),
    )
