"""Sales by product category and by coupon over any period (``categories``, ``coupons``):
what the shop's catalogue groups and its coupons brought in.

Categories: the order lines of sale orders in the period, each counted for every category
of its product (a variation's line: its parent product's categories, as WooCommerce keeps
them on the parent), so a product in two categories counts in both and the shares can add
up to more than 1. A line whose product has no known category counts under ``""``.
Coupons: the sale orders in the period that used each code, their net revenue (total less
refunds) and the code's discount (before tax).
"""

from __future__ import annotations

import pyarrow as pa

from api.context import RequestContext, envelope
from api.params import FORMAT
from api.period_params import PERIOD_PARAMS, requested_period
from api.queries import table_rows
from api.result import Result

MONEY = pa.decimal128(18, 2)
BREAKDOWN_PARAMS = (*PERIOD_PARAMS, FORMAT)
CATEGORY_ROW = pa.schema(
    [
        ("category", pa.string()),  # "" for products without a known category
        ("products", pa.int64()),  # products with units sold in the period
        ("units", pa.int64()),  # net units
        ("revenue", MONEY),  # net line revenue
        ("orders", pa.int64()),
        ("revenue_share", pa.float64()),  # of the period's net line revenue, 0..1
    ]
)
COUPON_ROW = pa.schema(
    [
        ("code", pa.string()),
        ("orders", pa.int64()),
        ("customers", pa.int64()),
        ("revenue", MONEY),  # net revenue of those orders
        ("discount", MONEY),  # the code's discount on them, before tax
        ("average_order_value", MONEY),  # revenue / orders
    ]
)

CATEGORIES_SQL = """
WITH sold AS (
    SELECT l.order_id, l.product_id, l.net_quantity, l.net_revenue,
        coalesce(nullif(p.categories, ''), '') AS categories
    FROM order_lines l LEFT JOIN products p USING (product_id)
    WHERE l.is_sale AND l.revenue_day BETWEEN $first AND $last
), each_category AS (
    SELECT unnest(CASE WHEN categories = '' THEN [''] ELSE string_split(categories, ', ') END)
        AS category, *
    FROM sold
), total AS (SELECT sum(net_revenue) AS all_revenue FROM sold)
SELECT category, count(DISTINCT product_id) FILTER (WHERE net_quantity > 0) AS products,
    sum(net_quantity)::BIGINT AS units, CAST(sum(net_revenue) AS DECIMAL(18, 2)) AS revenue,
    count(DISTINCT order_id) AS orders,
    round(sum(net_revenue) / nullif(any_value(all_revenue), 0), 4)::DOUBLE AS revenue_share
FROM each_category CROSS JOIN total
GROUP BY category ORDER BY revenue DESC, category
"""
COUPONS_SQL = """
SELECT code, count(*) AS orders, count(DISTINCT customer_key) AS customers,
    CAST(sum(order_net) AS DECIMAL(18, 2)) AS revenue,
    CAST(sum(discount) AS DECIMAL(18, 2)) AS discount,
    CAST(sum(order_net) / count(*) AS DECIMAL(18, 2)) AS average_order_value
FROM order_coupons
WHERE is_sale AND revenue_day BETWEEN $first AND $last
GROUP BY code ORDER BY revenue DESC, code
"""


def categories_result(ctx: RequestContext) -> Result:
    return _breakdown(ctx, CATEGORIES_SQL, CATEGORY_ROW, ("order_lines", "products"))


def coupons_result(ctx: RequestContext) -> Result:
    return _breakdown(ctx, COUPONS_SQL, COUPON_ROW, ("order_coupons",))


def _breakdown(ctx: RequestContext, sql: str, row: pa.Schema, views: tuple[str, ...]) -> Result:
    period = requested_period(ctx.values, ctx.today)
    params = {"first": period.start, "last": period.end}
    with ctx.views.connect(*views) as connection:
        table = connection.sql(sql, params=params).to_arrow_table().cast(row)
    meta = envelope(ctx) | {"period": {"name": period.name, "from": period.start, "to": period.end}}
    return Result(tuple(row.names), table_rows(table), meta)
