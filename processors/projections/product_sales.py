"""What each product sold: its net units and revenue per day and over its window, for the
products view (``product_views.py``) and ``job.products`` (``product_jobs.py``).

A product's sales are its order lines (``order_lines``: net units and net revenue after that
line's refunds) on sale orders. A variation is a product of its own (its lines are the
lines of that variation) and also counts for its parent: a variable product's row rolls up
its variations' lines. Each row is measured as of its own day, the later of the products
basis day and the product's last sale day, over the window (default 30 days) ending then.

A refresh reads the sums per product and day from ``mv_product_days`` (``days_daily``),
after moving them by the order lines it rebuilt (``move_days``); a whole build and the job
sum the lines themselves (``lines_daily``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa

from processors.projections.projection import Context
from processors.projections.sql import ids_scope

TREND_DAYS = 7  # the trend: net units of the last 7 days against the 7 before

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
        ctx.con.execute(MOVE_DAYS_SQL.format(days=days_sql(signed)))
    finally:
        ctx.con.unregister("lines_now")
        ctx.con.unregister("lines_before")


def days_sql(signed: str) -> str:
    """DAYS_SQL over the lines of ``signed`` (lines with a ``sign``)."""
    return DAYS_SQL.format(owned=OWNED_LINES_SQL.format(lines=signed, where="TRUE"))


def lines_daily(lines: str, scope: str) -> str:
    """DAILY_SQL over the sale lines of ``lines`` in ``scope`` (a condition on the lines)."""
    owned = OWNED_LINES_SQL.format(lines=lines, where=f"revenue_day > $since AND {scope}")
    return DAILY_SQL.format(owned=owned)


def days_daily(keys: list[int] | None) -> str:
    """DAILY_SQL's rows of the products ``keys`` (None: all), from ``mv_product_days``."""
    return DAYS_DAILY_SQL.format(scope=ids_scope("product_id", keys))


def product_sales(ctx: Context, daily: str, as_of: date | None, window: int) -> pa.Table:
    """SALES_SQL's rows: per product of ``daily`` (its units and revenue per day)."""
    if as_of is None:
        as_of = date(1970, 1, 1)
    since = as_of - timedelta(days=max(window, 2 * TREND_DAYS))
    params = {"since": since, "as_of": as_of, "window": window}
    return ctx.sql(SALES_SQL.format(daily=daily), params)
