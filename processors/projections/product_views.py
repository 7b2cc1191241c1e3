"""The products view: every product of the catalogue with what it sold, its score 0-100 and
grade, stock cover, trend, price elasticity and the price it suggests (SPEC §4, seed 000).

A product's sales are its order lines (``order_lines``: net units and net revenue after that
line's refunds) on sale orders. A variation is a product of its own (its lines are the
lines of that variation) and also counts for its parent: a variable product's row rolls up
its variations' lines. Each row is measured as of its own day, the later of the products
basis day and the product's last sale day, over the window (default 30 days) ending then.
This module reads the catalogue and the sales; ``product_scores.py`` turns them into rows.

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

from datetime import date, timedelta
from typing import Any

import pyarrow as pa

from processors.projections.product_scores import ProductBasis, product_rows, scoring_settings
from processors.projections.projection import Context
from processors.projections.sql import in_ids
from store.viewstore import Whole, Write

VIEW = "products"
PRODUCT_BASIS = "product_basis"  # state meta: what the last job.products ranked against
TABLE = "mv_products"
TREND_DAYS = 7  # the trend: net units of the last 7 days against the 7 before

PRODUCTS_SQL = """
SELECT product_id, parent_id, type, name, sku, status, price, regular_price, sale_price,
    stock_quantity, manage_stock, stock_status, cost, categories
FROM products
WHERE v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at) AND {scope}
ORDER BY product_id
"""

# Net units and revenue per product and day from sale lines after ``$since``: a line
# counts for its variation (or product) and, when a variation, for its parent too.
# The sale lines of ``{lines}`` in ``{where}``, each counted for the product it sells (its
# variation, or its product) as ``owner``, and a variation's once more for its parent.
OWNED_LINES_SQL = """
SELECT CASE WHEN variation_id > 0 THEN variation_id ELSE product_id END AS owner, *
FROM {lines} WHERE is_sale AND (variation_id > 0 OR product_id > 0) AND {where}
UNION ALL
SELECT product_id AS owner, * FROM {lines}
WHERE is_sale AND variation_id > 0 AND product_id > 0 AND {where}
"""
DAILY_SQL = """
SELECT owner AS product_id, revenue_day AS day, sum(net_quantity)::DOUBLE AS units,
    sum(net_revenue)::DOUBLE AS revenue
FROM ({owned}) GROUP BY owner, revenue_day
"""

# Per product and revenue day, what the sale lines it owns add up to: net units, net revenue
# and how many lines (a day left with none keeps a row of 0 lines, which readers skip). A
# refresh moves the rows of the lines it rebuilt (``move_days``: the new lines counted in,
# the replaced ones out), so the products view sums a few rows per product and day instead
# of a month of order lines (about 10 ms a publish at a million orders). ``{owned}``: lines
# with a ``sign`` (1 counts a line in, -1 out).
DAYS = "mv_product_days"
DAYS_SQL = """
SELECT owner AS product_id, revenue_day AS day,
    CAST(sum(sign * net_quantity) AS BIGINT) AS units,
    CAST(sum(sign * net_revenue) AS DECIMAL(38, 2)) AS revenue,
    CAST(sum(sign) AS BIGINT) AS lines
FROM ({owned}) GROUP BY owner, revenue_day
"""
DAYS_TABLE_SQL = (
    "CREATE OR REPLACE TABLE mv_product_days (product_id BIGINT, day DATE, units BIGINT, "
    "revenue DECIMAL(38, 2), lines BIGINT, PRIMARY KEY (product_id, day))"
)
MOVE_DAYS_SQL = (
    "INSERT INTO mv_product_days {days} ON CONFLICT (product_id, day) DO UPDATE SET "
    "units = units + excluded.units, revenue = revenue + excluded.revenue, "
    "lines = lines + excluded.lines"
)
# DAILY_SQL's rows, from the days table: ``{scope}`` names the products (owners)
DAYS_DAILY_SQL = """
SELECT product_id, day, units::DOUBLE AS units, revenue::DOUBLE AS revenue
FROM mv_product_days WHERE lines > 0 AND day > $since AND {scope}
"""

# Per product: its day (the later of ``$as_of`` and its last day with units sold), and its
# net units and revenue over the window ending then, and over the two trend weeks.
SALES_SQL = """
WITH daily AS ({daily}), days AS (
    SELECT product_id,
        greatest(coalesce(max(day) FILTER (WHERE units > 0), $as_of), $as_of) AS as_of
    FROM daily GROUP BY product_id
)
SELECT d.product_id, d.as_of,
    coalesce(sum(units) FILTER (WHERE day > d.as_of - $window AND day <= d.as_of), 0) AS units,
    coalesce(sum(revenue) FILTER (WHERE day > d.as_of - $window AND day <= d.as_of), 0)
        AS revenue,
    coalesce(sum(units) FILTER (WHERE day > d.as_of - 7 AND day <= d.as_of), 0) AS last_7,
    coalesce(sum(units) FILTER (WHERE day > d.as_of - 14 AND day <= d.as_of - 7), 0)
        AS previous_7
FROM days d JOIN daily USING (product_id)
GROUP BY d.product_id, d.as_of
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
                ctx.con.execute(f"INSERT INTO {DAYS} " + _days_sql(signed))
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


def move_days(ctx: Context) -> None:
    """``mv_product_days`` moved by the order lines this refresh rebuilt: their rows now in,
    the rows they replaced out (``OrderLines`` leaves both in ``Context.shared``)."""
    moved = ctx.shared.get("moved_lines")
    if moved is None:
        return
    now, before = moved
    ctx.con.register("lines_now", now)
    ctx.con.register("lines_before", before)
    try:
        signed = (
            "(SELECT 1 AS sign, * FROM lines_now "
            "UNION ALL BY NAME SELECT -1 AS sign, * FROM lines_before)"
        )
        ctx.con.execute(MOVE_DAYS_SQL.format(days=_days_sql(signed)))
    finally:
        ctx.con.unregister("lines_now")
        ctx.con.unregister("lines_before")


def _days_sql(signed: str) -> str:
    """DAYS_SQL over the lines of ``signed`` (lines with a ``sign``)."""
    return DAYS_SQL.format(owned=OWNED_LINES_SQL.format(lines=signed, where="TRUE"))


def lines_daily(lines: str, scope: str) -> str:
    """DAILY_SQL over the sale lines of ``lines`` in ``scope`` (a condition on the lines)."""
    owned = OWNED_LINES_SQL.format(lines=lines, where=f"revenue_day > $since AND {scope}")
    return DAILY_SQL.format(owned=owned)


def days_daily(keys: list[int] | None) -> str:
    """DAILY_SQL's rows of the products ``keys`` (None: all), from ``mv_product_days``."""
    return DAYS_DAILY_SQL.format(scope=_scope("product_id", keys))


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
    state = ctx.sql(PRODUCTS_SQL.format(scope=_scope("product_id", keys)))
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


def _scope(column: str, keys: list[int] | None) -> str:
    return "TRUE" if keys is None else f"{column} IN {in_ids(keys)}"


def _line_scope(keys: list[int]) -> str:
    ids = in_ids(keys)
    return f"(product_id IN {ids} OR variation_id IN {ids})"


def _last_sale_day(ctx: Context, lines: str) -> date | None:
    return ctx.value(f"SELECT max(revenue_day) FROM {lines} WHERE is_sale")


def product_sales(ctx: Context, daily: str, as_of: date | None, window: int) -> pa.Table:
    """SALES_SQL's rows: per product of ``daily`` (its units and revenue per day)."""
    if as_of is None:
        as_of = date(1970, 1, 1)
    since = as_of - timedelta(days=max(window, 2 * TREND_DAYS))
    params = {"since": since, "as_of": as_of, "window": window}
    return ctx.sql(SALES_SQL.format(daily=daily), params)


def _fits(ctx: Context, keys: list[int] | None) -> dict[int, dict[str, Any]]:
    rows = ctx.sql(FITS_SQL.format(scope=_scope("product_id", keys))).to_pylist()
    return {row["product_id"]: row for row in rows}
