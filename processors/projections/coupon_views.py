"""The order coupons view: one row per coupon code an order used, with its discount and the
order's revenue day, sale flag, status, customer and net revenue (the ``coupons`` endpoint
sums them over a period).

A coupon's discount is its coupon line's ``discount`` (before tax); a code an order lists
twice is one row with the discounts added up; an empty code is left out. Orders applied
before the state kept coupon discounts have none (null) until a replay.

Whole: every order's coupons (``mv_order_coupons``). A refresh builds again the coupons of
the orders whose orders-view rows the customer views rebuilt in this publish (the changed
orders and those an address change may move: ``Context.shared``) and publishes only the
rows that differ.
"""

from __future__ import annotations

import pyarrow as pa

from processors.projections.line_views import order_rows, order_rows_of
from processors.projections.projection import Context
from processors.projections.sql import WHOLE, in_ids
from schemas.views import ORDER_COUPONS_VIEW
from store.viewstore import Write

VIEW = "order_coupons"
TABLE = "mv_order_coupons"
ORDER_COLUMNS = ["order_id", "revenue_day", "is_sale", "status", "customer_key", "net"]

# An order without coupons unnests to no row, so ``used`` needs no ``len(coupons) > 0``:
# with one, DuckDB scans every order instead of looking the refresh's up by their index (a
# million orders: 7 ms a publish instead of 2).
COUPONS_SQL = """
WITH used AS (
    SELECT order_id, unnest(coupons) AS code,
        unnest(coalesce(coupon_discounts, []::DECIMAL(18, 2)[])) AS discount
    FROM orders WHERE v_at IS NOT NULL AND {scope}
), per_code AS (
    SELECT order_id, code, CAST(sum(discount) AS DECIMAL(18, 2)) AS discount
    FROM used WHERE code IS NOT NULL AND code <> '' GROUP BY order_id, code
)
SELECT c.order_id, c.code, c.discount, o.revenue_day, o.is_sale, o.status, o.customer_key,
    o.net AS order_net
FROM per_code c JOIN coupon_orders o USING (order_id)
ORDER BY c.order_id, c.code
"""


class OrderCoupons:
    """The order coupons view (after ``CustomerViews``: it takes the order rows they built)."""

    views = (VIEW,)
    tables = (TABLE,)

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        orders = ctx.shared.get("order_rows")
        if orders is None:
            orders = order_rows(ctx, None)
        rows = _coupons(ctx, orders.select(ORDER_COLUMNS), WHOLE)
        if materialise:
            ctx.materialise(TABLE, rows, ("order_id",))
        return {VIEW: rows}

    def changes(self, ctx: Context) -> dict[str, Write]:
        orders = sorted(set(ctx.shared.get("affected_orders", ())))
        if not orders:
            return {}
        scope = f"order_id IN {in_ids(orders)}"
        rows = _coupons(ctx, order_rows_of(ctx, orders, [], ORDER_COLUMNS), scope)
        changed, _ = ctx.changed_in(VIEW, TABLE, scope, rows)
        return {VIEW: changed} if changed else {}


def _coupons(ctx: Context, orders: pa.Table, scope: str) -> pa.Table:
    rows = ctx.sql_over("coupon_orders", orders, COUPONS_SQL.format(scope=scope))
    return rows.cast(ORDER_COUPONS_VIEW)
