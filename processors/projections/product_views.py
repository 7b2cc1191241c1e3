"""The products view: every product of the catalogue with what it sold, its score 0-100 and
grade, stock cover, trend, price elasticity and the price it suggests (SPEC §4, seed 000).

This module reads the catalogue (the state's products, and the products only order lines
name) and ``product_sales.py`` what each product sold; ``product_scores.py`` turns them into
rows.

Scores (``processors/analytics/products.py``) are weighted percentile ranks of velocity,
revenue and margin among the products that sold. The daily job (``job.products``) scores
every product against the whole shop and keeps what it ranked against: the day, the
window's shop revenue (the revenue share's denominator) and the sorted metrics of the
products that sold (state meta ``product_basis``). Until the next job a product whose lines
or state change is scored against that basis, so nobody else's row moves. Variable parents
are not in the distribution (their variations are): they are scored against it. Before
the first job there is no basis: every publish scores every product as of the shop's last
sale day. The job also fits each product's price elasticity on its daily units and prices
(``product_fits``); the optimal price is worked out at publish from that fit and the
product's current price and cost, so a new price moves it at once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pyarrow as pa

from processors.projections.product_sales import (
    DAYS,
    DAYS_TABLE_SQL,
    days_daily,
    days_sql,
    lines_daily,
    move_days,
    product_sales,
)
from processors.projections.product_scores import ProductBasis, product_rows, scoring_settings
from processors.projections.projection import Context
from processors.projections.sql import ids_scope, in_ids
from store.viewstore import Whole, Write

VIEW = "products"
PRODUCT_BASIS = "product_basis"  # state meta: what the last job.products ranked against
TABLE = "mv_products"

PRODUCTS_SQL = """
SELECT product_id, parent_id, type, name, sku, status, price, regular_price, sale_price,
    stock_quantity, manage_stock, stock_status, cost, categories
FROM products
WHERE v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at) AND {scope}
ORDER BY product_id
"""

FITS_SQL = "SELECT * FROM product_fits WHERE {scope}"

# The products order lines name that the state has no payload of (a shop whose catalogue
# was never imported, a product deleted since): each variation or product of a line, and
# the parent of a variation, named as their newest line names them.
LINE_PRODUCTS_SQL = """
WITH l AS (
    SELECT CASE WHEN variation_id > 0 THEN variation_id ELSE product_id END AS unit,
        product_id AS parent, variation_id, name, sku, order_id, line_id
    FROM {lines} WHERE {scope}
)
SELECT unit AS product_id,
    arg_max(CASE WHEN variation_id > 0 THEN parent ELSE 0 END, (order_id, line_id)) AS parent_id,
    arg_max(CASE WHEN variation_id > 0 THEN 'variation' ELSE 'simple' END, (order_id, line_id))
        AS type,
    arg_max(name, (order_id, line_id)) AS name, arg_max(sku, (order_id, line_id)) AS sku
FROM l WHERE unit > 0 GROUP BY unit
UNION ALL
SELECT parent, 0, 'variable', arg_max(name, (order_id, line_id)), ''
FROM l WHERE variation_id > 0 AND parent > 0 GROUP BY parent
"""


def product_basis(ctx: Context) -> ProductBasis | None:
    """The basis of the last job, unless the shop's window changed since (then none: every
    product is scored against the others until the next job)."""
    text = ctx.meta(PRODUCT_BASIS)
    basis = ProductBasis.from_json(text) if text else None
    if basis is None or basis.window_days != ctx.shop.products.window_days:
        return None
    return basis


class ProductViews:
    """The products view (after ``OrderLines``: it reads the lines that projection built)."""

    views = (VIEW,)
    tables = (TABLE,)

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        ctx.con.register("publish_lines", ctx.shared["order_lines"])  # OrderLines built them
        try:
            daily = lines_daily("publish_lines", "TRUE")
            rows = _rows(ctx, product_basis(ctx), "publish_lines", None, daily)
            if materialise:
                ctx.con.execute(DAYS_TABLE_SQL)
                signed = "(SELECT 1 AS sign, * FROM publish_lines)"
                ctx.con.execute(f"INSERT INTO {DAYS} " + days_sql(signed))
        finally:
            ctx.con.unregister("publish_lines")
        if materialise:
            ctx.materialise(TABLE, rows, ("product_id",))
        return {VIEW: rows}

    def changes(self, ctx: Context) -> dict[str, Write]:
        move_days(ctx)
        basis = product_basis(ctx)
        touched = set(ctx.pending.get("product", [])) | ctx.reached.get("product", set())
        if basis is None:  # every product moves with the shop until a job keeps a basis
            if not touched:
                return {}
            rows = _rows(ctx, None, "mv_order_lines", None, days_daily(None))
            ctx.materialise(TABLE, rows, ("product_id",))
            return {VIEW: Whole(rows)}
        # a variation's change reaches its parent's roll-up
        parents = ctx.column(
            f"SELECT parent_id FROM products WHERE product_id IN {in_ids(sorted(touched))}"
        )
        keys = sorted(touched | {p for p in parents if p})
        if not keys:
            return {}
        rows = _rows(ctx, basis, "mv_order_lines", keys, days_daily(keys))
        replaced = ctx.swap(TABLE, f"product_id IN {in_ids(keys)}", rows)
        return {VIEW: ctx.changed(VIEW, TABLE, keys, rows, replaced)}


def _rows(
    ctx: Context, basis: ProductBasis | None, lines: str, keys: list[int] | None, daily: str
) -> pa.Table:
    """The products view's rows of ``keys`` (None: every product), their sales per day from
    ``daily`` (``lines_daily`` or ``days_daily``)."""
    settings = scoring_settings(ctx.shop)
    state = catalogue(ctx, lines, keys)
    as_of = basis.as_of if basis else _last_sale_day(ctx, lines)
    sales = product_sales(ctx, daily, as_of, settings.window_days)
    fits = _fits(ctx, keys)
    return product_rows(state, sales, fits, basis, as_of, (settings, ctx.shop.products))


def catalogue(ctx: Context, lines: str, keys: list[int] | None) -> pa.Table:
    """PRODUCTS_SQL's rows of ``keys`` (None: all), and those only the lines of ``lines``
    name."""
    state = ctx.sql(PRODUCTS_SQL.format(scope=ids_scope("product_id", keys)))
    if keys is None:
        line_scope = "TRUE"
    else:  # only the keys the state has no product of (none, once a catalogue is imported)
        keys = sorted(set(keys) - set(state["product_id"].to_pylist()))
        if not keys:
            return state
        line_scope = _line_scope(keys)
    named = ctx.sql(LINE_PRODUCTS_SQL.format(lines=lines, scope=line_scope))
    return _with_line_products(state, named, keys)


def _with_line_products(state: pa.Table, named: pa.Table, keys: list[int] | None) -> pa.Table:
    """The state's products, and those only order lines name (of ``keys``, None: all),
    without a price, cost, stock or category: the view shows their sales all the same."""
    known = set(state["product_id"].to_pylist())
    wanted = None if keys is None else set(keys)
    rows = [
        row | _UNKNOWN
        for row in named.to_pylist()
        if row["product_id"] not in known and (wanted is None or row["product_id"] in wanted)
    ]
    if not rows:
        return state
    extra = pa.Table.from_pylist(_first_per_id(rows), schema=state.schema)
    return pa.concat_tables([state, extra]).sort_by("product_id")


_UNKNOWN: dict[str, Any] = {
    "status": "",
    "price": None,
    "regular_price": None,
    "sale_price": None,
    "stock_quantity": None,
    "manage_stock": False,
    "stock_status": "",
    "cost": None,
    "categories": [],
}


def _first_per_id(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per product id (a unit's own row before a parent's of the same id)."""
    seen: dict[int, dict[str, Any]] = {}
    for row in rows:
        kept = seen.get(row["product_id"])
        if kept is None or (kept["type"] == "variable" and row["type"] != "variable"):
            seen[row["product_id"]] = row
    return list(seen.values())


def _line_scope(keys: list[int]) -> str:
    ids = in_ids(keys)
    return f"(product_id IN {ids} OR variation_id IN {ids})"


def _last_sale_day(ctx: Context, lines: str) -> date | None:
    return ctx.value(f"SELECT max(revenue_day) FROM {lines} WHERE is_sale")


def _fits(ctx: Context, keys: list[int] | None) -> dict[int, dict[str, Any]]:
    rows = ctx.sql(FITS_SQL.format(scope=ids_scope("product_id", keys))).to_pylist()
    return {row["product_id"]: row for row in rows}
