"""The order lines view: one row per line item of an order, net of what its refunds returned.

A line carries its order's revenue day, sale flag, effective status and customer key (as
the orders view has them: ``ORDERS_SQL``), the product, variation, SKU and name the order
line has, its units, its revenue (WooCommerce's line ``total``: after discounts, before
tax) and what the order's refunds gave back of it. A refund's line items lower the line
they return (units and amount, before tax); the order's ``refunds`` total is not also
subtracted, so the lines of an order add up to its net revenue less shipping, fees and tax
when its refunds are line refunds. The unit cost is the product state's cost of the
variation, else of the product (null when neither has one).

Which line a refund item returns: the state keeps a refund's items by product and variation
(``refund_items``), not the line they point at (WooCommerce's ``_refunded_item_id`` meta),
so a refund item returns the order's lines of the same product and variation. One such
line (nearly always) takes it all. Several share it in line id order: the units fill each
line up to its quantity (any excess on the last), the amount follows the units, cent-exact
(an amount without units goes to the first line). Refunds that are trashed do not count.

Whole: every line (``mv_order_lines``) and the cost of every product (``mv_line_costs``).
A line's order columns are the orders view's, so a refresh builds again the lines of the
orders whose orders-view rows the customer views rebuilt in this publish (the changed
orders and every order whose customer an address change may move: ``CustomerViews`` leaves
them in ``Context.shared``), of the orders of changed refunds, and of the orders with a line
of a product whose cost changed. It publishes only the rows that differ.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from processors.projections.projection import Context
from processors.projections.sql import (
    ALL_GUEST_EMAILS,
    ORDERS_SQL,
    WHOLE,
    in_ids,
    in_params,
    order_params,
)
from schemas.views import ORDER_LINES_VIEW
from store.viewstore import Write

VIEW = "order_lines"
INDEXES = {
    "mv_order_lines": ("order_id",),
    "mv_line_costs": ("product_id",),
}

# What a line needs of its order: the orders view's columns (ORDERS_SQL's rows).
ORDER_COLUMNS = ["order_id", "status", "is_sale", "customer_key", "revenue_day"]

# One row per line item of the orders in ``line_orders`` (ORDER_COLUMNS_SQL's rows), with
# its share of the order's refund items of its product and variation (see the module doc):
# ``q_before``/``q_through`` are the refunded units given to the lines before it and up to
# it, the amount in cents follows them (floored, so the shares add up to the cent). Only
# the lines of a product and variation a refund returned are numbered (``refunded``): the
# window functions cost about 15 us a line, and nearly every line has no refund.
LINES_SQL = """
WITH lines AS (
    SELECT i.*, o.revenue_day, o.is_sale, o.status, o.customer_key
    FROM (SELECT * FROM order_items WHERE {scope}) i JOIN line_orders o USING (order_id)
), returned AS (
    SELECT r.order_id, x.product_id, x.variation_id, coalesce(sum(x.quantity), 0) AS r_qty,
        coalesce(CAST(sum(x.total) * 100 AS HUGEINT), 0) AS r_cents
    FROM (SELECT * FROM refunds WHERE {scope}) r JOIN refund_items x USING (refund_id)
    WHERE r.v_at IS NOT NULL AND (r.trash_at IS NULL OR r.trash_at <= r.v_at)
    GROUP BY r.order_id, x.product_id, x.variation_id
), refunded AS (
    SELECT l.order_id, l.line_id, l.quantity, r.r_qty, r.r_cents,
        coalesce(sum(l.quantity) OVER earlier, 0) AS before_q,
        row_number() OVER (same ORDER BY l.line_id) = 1 AS first_line,
        row_number() OVER (same ORDER BY l.line_id DESC) = 1 AS last_line
    FROM lines l JOIN returned r USING (order_id, product_id, variation_id)
    WINDOW same AS (PARTITION BY l.order_id, l.product_id, l.variation_id),
        earlier AS (same ORDER BY l.line_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
), shared AS (
    SELECT *, least(before_q, r_qty) AS q_before,
        CASE WHEN last_line THEN r_qty ELSE least(before_q + quantity, r_qty) END AS q_through
    FROM refunded
), allotted AS (
    SELECT order_id, line_id, greatest(q_through - q_before, 0) AS refunded_quantity,
        CASE WHEN r_qty > 0 THEN r_cents * q_through // r_qty - r_cents * q_before // r_qty
            WHEN first_line THEN r_cents ELSE 0 END AS refunded_cents
    FROM shared
), priced AS (
    SELECT l.*, coalesce(x.refunded_quantity, 0) AS refunded_quantity,
        CAST(CAST(coalesce(x.refunded_cents, 0) AS DECIMAL(38, 0)) * 0.01 AS DECIMAL(18, 2))
            AS refunded
    FROM lines l LEFT JOIN allotted x USING (order_id, line_id)
)
SELECT a.order_id, a.line_id, a.revenue_day, a.is_sale, a.status, a.customer_key,
    a.product_id, a.variation_id, a.product_id AS parent_id, a.sku, a.name,
    a.quantity, a.refunded_quantity, a.quantity - a.refunded_quantity AS net_quantity,
    CASE WHEN a.quantity <> 0 THEN CAST(a.subtotal / a.quantity AS DECIMAL(18, 2)) END
        AS unit_price,
    a.total AS revenue, a.refunded, CAST(a.total - a.refunded AS DECIMAL(18, 2)) AS net_revenue,
    coalesce(v.cost, p.cost) AS unit_cost,
    CAST(coalesce(v.cost, p.cost) * (a.quantity - a.refunded_quantity) AS DECIMAL(18, 2))
        AS net_cost
FROM priced a
LEFT JOIN products v ON a.variation_id > 0 AND v.product_id = a.variation_id
LEFT JOIN products p ON p.product_id = a.product_id
ORDER BY a.order_id, a.line_id
"""
COSTS_SQL = "SELECT product_id, cost FROM products WHERE {scope} ORDER BY product_id"


class OrderLines:
    """The order lines view (after ``CustomerViews``: it takes the order rows they built)."""

    views = (VIEW,)
    tables = tuple(INDEXES)

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        orders = ctx.shared.get("order_rows")
        if orders is None:
            orders = order_rows(ctx, None)
        lines = _lines(ctx, orders.select(ORDER_COLUMNS), WHOLE)
        ctx.shared[VIEW] = lines  # the products view sums them
        if materialise:
            ctx.materialise("mv_order_lines", lines, INDEXES["mv_order_lines"])
            costs = ctx.sql(COSTS_SQL.format(scope=WHOLE))
            ctx.materialise("mv_line_costs", costs, INDEXES["mv_line_costs"])
        return {VIEW: lines}

    def changes(self, ctx: Context) -> dict[str, Write]:
        rebuilt = set(ctx.shared.get("affected_orders", ()))
        extra = _refund_orders(ctx) | _orders_costed_anew(ctx, ctx.pending.get("product", []))
        orders = sorted(rebuilt | extra)
        if not orders:
            return {}
        scope = f"order_id IN {in_ids(orders)}"
        lines = _lines(ctx, order_rows_of(ctx, orders, sorted(extra - rebuilt)), scope)
        changed, before = ctx.changed_in(VIEW, "mv_order_lines", scope, lines)
        if changed is not None:  # the products view's days move with them
            ctx.shared["moved_lines"] = (lines, before)
        _note_products(ctx, before, lines)
        return {VIEW: changed} if changed else {}


def order_rows_of(
    ctx: Context, orders: list[int], missing: list[int], columns: list[str] = ORDER_COLUMNS
) -> pa.Table:
    """The ``columns`` of ORDERS_SQL's rows of ``orders``: the rows the customer views built
    in this publish, and ORDERS_SQL's for ``missing`` (the orders they did not rebuild)."""
    shared = ctx.shared.get("order_rows")
    parts = []
    if shared is not None and shared.num_rows:
        wanted = pa.array(orders, pa.int64())
        parts.append(shared.select(columns).filter(pc.is_in(shared["order_id"], wanted)))
    if missing:
        parts.append(order_rows(ctx, missing).select(columns))
    if not parts:
        return order_rows(ctx, []).select(columns)
    return pa.concat_tables([part.cast(parts[0].schema) for part in parts])


def _note_products(ctx: Context, before: pa.Table, after: pa.Table) -> None:
    """The products and variations of the lines of the rebuilt orders ``before`` and
    ``after`` this refresh (what the products view refreshes): ``ctx.reached["product"]``."""
    ids = {
        i
        for lines in (before, after)
        for column in ("product_id", "variation_id")
        for i in lines[column].to_pylist()
        if i
    }
    ctx.reached.setdefault("product", set()).update(ids)


def order_rows(ctx: Context, orders: list[int] | None) -> pa.Table:
    """ORDERS_SQL's rows of ``orders`` (None: every order)."""
    if orders is None:
        scope, emails, params = WHOLE, ALL_GUEST_EMAILS, {}
    else:
        scope = f"order_id IN {in_ids(orders)}"
        found = ctx.con.execute(f"SELECT email, customer_id FROM orders WHERE {scope}").fetchall()
        guests = {email for email, customer_id in found if customer_id == 0 and email}
        addresses, params = in_params(sorted(guests), "g")
        emails = addresses[1:-1]
    return ctx.sql(ORDERS_SQL.format(scope=scope, emails=emails), order_params(ctx.shop) | params)


def _lines(ctx: Context, orders: pa.Table, scope: str) -> pa.Table:
    """The lines of ``orders`` (ORDER_COLUMNS_SQL's rows; ``scope``: their condition)."""
    return ctx.sql_over("line_orders", orders, LINES_SQL.format(scope=scope)).cast(ORDER_LINES_VIEW)


def _refund_orders(ctx: Context) -> set[int]:
    """The orders of the changed refunds."""
    refunds = ctx.pending.get("refund", [])
    if not refunds:
        return set()  # most publishes: no statement
    of_refunds = ctx.column(f"SELECT order_id FROM refunds WHERE refund_id IN {in_ids(refunds)}")
    return {order_id for order_id in of_refunds if order_id}


def _orders_costed_anew(ctx: Context, products: list[int]) -> set[int]:
    """The orders with a line of a product whose cost changed (``mv_line_costs`` is kept)."""
    if not products:
        return set()
    scope = f"product_id IN {in_ids(products)}"
    costs = ctx.sql(COSTS_SQL.format(scope=scope))
    replaced = ctx.replace("mv_line_costs", scope, costs)
    before = dict(
        zip(replaced["product_id"].to_pylist(), replaced["cost"].to_pylist(), strict=True)
    )
    now = dict(zip(costs["product_id"].to_pylist(), costs["cost"].to_pylist(), strict=True))
    moved = [product for product in products if before.get(product) != now.get(product)]
    if not moved:
        return set()
    ids = in_ids(moved)  # rare: a scan of the lines
    found = ctx.column(
        f"SELECT order_id FROM mv_order_lines WHERE product_id IN {ids} OR variation_id IN {ids}"
    )
    return set(found)
