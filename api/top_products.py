"""Top products (``products/top``, seed 000's top 5): the products that sold most in any
period, by net revenue or net units, from the order lines of sale orders.

A product here is what a line is a line of: a simple product, or a variable product with
its variations' lines added up. ``revenue_share`` is the product's share of the period's
net revenue over all lines (0..1). Ties are broken by the other measure, then by id.
"""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa

from api.context import RequestContext, envelope
from api.list_views import list_endpoint
from api.lists.products import PRODUCTS
from api.params import FORMAT, ParamSpec
from api.period_params import PERIOD_PARAMS, PERIOD_RULES, requested_period
from api.queries import table_rows
from api.result import Result
from store.arrow_results import arrow_of

MAX_TOP = 100
BY = ParamSpec("by", "enum", "Rank by net revenue (default) or net units.", ("revenue", "units"))
TOP_PARAMS = (
    *PERIOD_PARAMS,
    BY,
    ParamSpec("limit", "integer", "How many products.", default=5, minimum=1, maximum=MAX_TOP),
    FORMAT,
)
# ``products?top=5&period=last_30_days&by=revenue`` answers as ``products/top?limit=5...``
TOP = ParamSpec(
    "top",
    "integer",
    "Answer with this many top products of `period` by `by` (as products/top) instead.",
    minimum=1,
    maximum=MAX_TOP,
)
PRODUCTS_ROUTE = replace(
    PRODUCTS.route,
    response="ProductsOrTop",
    params=(*PRODUCTS.params[:-1], TOP, *PERIOD_PARAMS, BY, FORMAT),
    description=PRODUCTS.description
    + " With `top=N`: the N top products of `period` (default last_30_days) by `by`, exactly "
    "as `products/top?limit=N` answers (the list's filters, sort and pages do not apply).",
    rules=PERIOD_RULES,
)
TOP_ROW = pa.schema(
    [
        ("rank", pa.int64()),
        ("product_id", pa.int64()),
        ("name", pa.string()),
        ("sku", pa.string()),
        ("units", pa.int64()),  # net units in the period
        ("revenue", pa.decimal128(18, 2)),  # net revenue in the period
        ("orders", pa.int64()),
        ("revenue_share", pa.float64()),  # of the period's net revenue, 0..1
    ]
)
COLUMNS = tuple(TOP_ROW.names)
ORDER = {"revenue": "s.revenue DESC, s.units DESC", "units": "s.units DESC, s.revenue DESC"}

TOP_SQL = """
WITH sold AS (
    SELECT product_id, sum(net_quantity)::BIGINT AS units,
        CAST(sum(net_revenue) AS DECIMAL(18, 2)) AS revenue,
        count(DISTINCT order_id) AS orders, arg_max(name, line_id) AS line_name
    FROM order_lines
    WHERE is_sale AND revenue_day BETWEEN $first AND $last
    GROUP BY product_id
), total AS (SELECT sum(revenue) AS all_revenue FROM sold)
SELECT row_number() OVER (ORDER BY {order}, s.product_id) AS rank, s.product_id,
    coalesce(p.name, s.line_name) AS name, coalesce(p.sku, '') AS sku, s.units, s.revenue,
    s.orders, round(s.revenue / nullif(t.all_revenue, 0), 4)::DOUBLE AS revenue_share
FROM sold s CROSS JOIN total t LEFT JOIN products p USING (product_id)
ORDER BY rank LIMIT $limit
"""


def top_products_result(ctx: RequestContext) -> Result:
    period = requested_period(ctx.values, ctx.today)
    by = ctx.values.get("by") or "revenue"
    params = {"first": period.start, "last": period.end, "limit": ctx.values["limit"]}
    with ctx.views.connect("order_lines", "products") as connection:
        sql = TOP_SQL.format(order=ORDER[by])
        table = arrow_of(connection, sql, params).cast(TOP_ROW)
    meta = envelope(ctx) | {
        "period": {"name": period.name, "from": period.start, "to": period.end},
        "by": by,
    }
    return Result(COLUMNS, table_rows(table), meta)


_PRODUCTS_LIST = list_endpoint(PRODUCTS)


def products_result(ctx: RequestContext) -> Result:
    """The products list, or with ``top`` that many top products."""
    top = ctx.values.get("top")
    if top is None:
        return _PRODUCTS_LIST(ctx)
    return top_products_result(replace(ctx, values=dict(ctx.values) | {"limit": top}))
