"""``job.products``: score every product against the whole shop, keep the basis that later
publishes score changed products against, and fit each product's price elasticity.

The job works on the state as it stands at its place in the stream (the lines are built
from the state's orders, not from the materialised tables of the last publish), so a replay
reaches the same basis and fits. Its day is the later of the job's day and the shop's last
sale day (as for ``job.rfm``). Elasticity: each product's days with sales in the
``FIT_DAYS`` before that day, with the day's net units and the day's average list price
(``unit_price`` weighted by the units ordered); a variable product's days add up its
variations'. ``processors/analytics/elasticity.py`` says when a fit is refused.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from processors.analytics.elasticity import estimate_elasticity
from processors.analytics.products import score_distribution
from processors.projections.line_views import OrderLines
from processors.projections.product_sales import OWNED_LINES_SQL, lines_daily, product_sales
from processors.projections.product_scores import ProductBasis, ranked_sales, scoring_settings
from processors.projections.product_views import PRODUCT_BASIS, catalogue
from processors.projections.projection import Context
from schemas.control_events import ProductsRequested
from schemas.shop import ShopConfig
from store.arrow_results import arrow_of
from store.state import count_job, transaction
from store.state_schema import PRODUCT_FITS

FIT_DAYS = 365
PRODUCTS_AT = "job_products_at"  # state meta: when the last job.products was requested

# Per product and day with sales: net units and the average list price of the day.
PRICE_DAYS_SQL = """
SELECT owner AS product_id, revenue_day AS day, sum(net_quantity)::DOUBLE AS units,
    (sum(unit_price * quantity) / sum(quantity))::DOUBLE AS price
FROM ({owned}) GROUP BY owner, revenue_day ORDER BY owner, revenue_day
"""
PRICED_DAYS = (
    "revenue_day > $since AND revenue_day <= $as_of AND quantity > 0 AND unit_price IS NOT NULL"
)


def run_products_job(
    con: duckdb.DuckDBPyConnection, shop: ShopConfig, job: ProductsRequested
) -> ProductBasis | None:
    """Score, keep the basis and fit elasticities as of the job's day (or the last sale
    day, when later), in one transaction; None when the shop has no sale yet."""
    ctx = Context(con, shop, None)
    lines = OrderLines().whole(ctx, materialise=False)["order_lines"]
    con.register("job_lines", lines)
    try:
        last_sale = ctx.value("SELECT max(revenue_day) FROM job_lines WHERE is_sale")
        as_of = max(job.as_of, last_sale) if last_sale else job.as_of
        settings = scoring_settings(shop)
        state = catalogue(ctx, "job_lines", None)
        daily = lines_daily("job_lines", "TRUE")
        sales = product_sales(ctx, daily, as_of, settings.window_days)
        ranked, shop_revenue = ranked_sales(state, sales)
        basis = ProductBasis(
            as_of, settings.window_days, shop_revenue, score_distribution(ranked, settings)
        )
        fits = _fits(con, as_of)
    finally:
        con.unregister("job_lines")
    with transaction(con):
        con.execute("DELETE FROM product_fits")
        con.register("fits", fits)
        try:
            con.execute(
                f"INSERT INTO product_fits ({', '.join(PRODUCT_FITS.names)}) SELECT * FROM fits"
            )
        finally:
            con.unregister("fits")
        meta = [PRODUCT_BASIS, basis.as_json(), PRODUCTS_AT, job.at.isoformat()]
        con.execute(
            "INSERT INTO meta VALUES (?, ?), (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            meta,
        )
        count_job(con)
    return basis


def _fits(con: duckdb.DuckDBPyConnection, as_of: date) -> pa.Table:
    """One elasticity fit per product with sales in the FIT_DAYS up to ``as_of``."""
    since = as_of - timedelta(days=FIT_DAYS)
    owned = OWNED_LINES_SQL.format(lines="job_lines", where=PRICED_DAYS)
    days = arrow_of(con, PRICE_DAYS_SQL.format(owned=owned), {"since": since, "as_of": as_of})
    ids = days["product_id"].to_numpy()
    units = days["units"].to_numpy()
    prices = days["price"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]]) if len(ids) else np.array([])
    ends = np.r_[starts[1:], len(ids)] if len(ids) else np.array([])
    rows = []
    for start, end in zip(starts, ends, strict=True):
        fit = estimate_elasticity(units[start:end], prices[start:end])
        rows.append(
            {
                "product_id": int(ids[start]),
                "as_of": as_of,
                "elasticity": fit.elasticity,
                "standard_error": fit.standard_error,
                "r_squared": fit.r_squared,
                "n_days": fit.n_days,
                "n_prices": fit.n_prices,
                "reason": fit.reason or "",
            }
        )
    return pa.Table.from_pylist(rows, schema=PRODUCT_FITS)
