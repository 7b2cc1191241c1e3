"""One product (``products/<product_id>``): its row of the products list, its daily sales
from the order lines, and its price history from its payloads.

Daily sales are the sale orders' lines of the product (for a variable product, of its
variations too; for a variation, its own), one row per revenue day with sales between
``from`` and ``to`` (default: the 90 days ending the product's ``as_of``): net units, net
revenue, orders and the day's average list price (``unit_price`` weighted by the units
ordered), the line-item price history. ``price_history`` holds every product payload whose
prices changed, oldest first. CSV is the one product row (the products list's columns).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from api.context import RequestContext, envelope
from api.errors import InvalidParameter, NotFound
from api.listing import select_list
from api.lists.products import PRODUCTS
from api.params import FORMAT, ParamSpec
from api.period_params import FROM_BEFORE_TO
from api.queries import table_rows
from api.result import Result, row_objects
from schemas.product_views import PRODUCT_PRICES_VIEW
from store.arrow_results import arrow_of

DAYS = 90
MAX_DAYS = 3660
DETAIL_PARAMS = (
    ParamSpec("from", "date", f"First day of the daily sales (default: {DAYS} days to `to`)."),
    ParamSpec("to", "date", "Last day of the daily sales (default: the product's as_of)."),
    FORMAT,
)
TOO_LONG = f"from..to spans at most {MAX_DAYS} days"
DAILY = pa.schema(
    [
        ("day", pa.date32()),
        ("units", pa.int64()),
        ("revenue", pa.decimal128(18, 2)),
        ("orders", pa.int64()),
        ("unit_price", pa.decimal128(18, 2)),
    ]
)
PRICE_COLUMNS = tuple(name for name in PRODUCT_PRICES_VIEW.names if name != "product_id")

PRODUCT_SQL = f"SELECT {select_list(PRODUCTS)} FROM products WHERE product_id = $id"
DAILY_SQL = """
SELECT revenue_day AS day, sum(net_quantity)::BIGINT AS units,
    CAST(sum(net_revenue) AS DECIMAL(18, 2)) AS revenue, count(DISTINCT order_id) AS orders,
    CAST(sum(unit_price * quantity) / nullif(sum(quantity) FILTER (WHERE unit_price IS NOT NULL),
        0) AS DECIMAL(18, 2)) AS unit_price
FROM order_lines
WHERE is_sale AND (product_id = $id OR variation_id = $id)
    AND revenue_day BETWEEN $first AND $last
GROUP BY revenue_day ORDER BY revenue_day
"""
PRICES_SQL = (
    "SELECT " + ", ".join(PRICE_COLUMNS) + " FROM product_prices "
    "WHERE product_id = $id ORDER BY changed_at"
)


def _product_id(ctx: RequestContext) -> int:
    raw = ctx.path["product_id"]
    if not (raw.isascii() and raw.isdigit() and 0 < len(raw) <= 18):
        raise NotFound("no product with product_id " + repr(raw))
    return int(raw)


def _product(connection: duckdb.DuckDBPyConnection, product_id: int) -> dict[str, Any]:
    params = {"id": product_id}
    rows = table_rows(arrow_of(connection, PRODUCT_SQL, params))
    if not rows:
        raise NotFound(f"no product with product_id {product_id}")
    return dict(zip(PRODUCTS.columns, rows[0], strict=True))


def _days(values: dict[str, Any], as_of: date | None, today: date) -> tuple[date, date]:
    last = values.get("to") or as_of or today
    first = values.get("from") or last - timedelta(days=DAYS - 1)
    if first > last:
        raise InvalidParameter(FROM_BEFORE_TO)
    if (last - first).days >= MAX_DAYS:
        raise InvalidParameter(TOO_LONG)
    return first, last


def product_result(ctx: RequestContext) -> Result:
    """One product (404 ``not_found`` for an unknown id); CSV: the product row."""
    product_id = _product_id(ctx)
    with ctx.views.connect("products", "order_lines", "product_prices") as connection:
        product = _product(connection, product_id)
        row = tuple(product.values())
        if ctx.fmt == "csv":
            return Result(PRODUCTS.columns, [row])
        first, last = _days(ctx.values, product["as_of"], ctx.today)
        params = {"id": product_id, "first": first, "last": last}
        daily = arrow_of(connection, DAILY_SQL, params).cast(DAILY)
        prices = arrow_of(connection, PRICES_SQL, {"id": product_id})
    meta = envelope(ctx) | {"product_id": product_id, "product": None}
    meta |= {
        "daily": {"from": first, "to": last, "data": row_objects(DAILY.names, table_rows(daily))},
        "price_history": row_objects(PRICE_COLUMNS, table_rows(prices)),
    }
    return Result(PRODUCTS.columns, [row], meta, layout="record", key="product")
