"""The big shop's prediction views, computed by the store's own code.

``clv``, ``churn`` and ``prediction_models`` come from the real pipeline on an in-memory
DuckDB state (``store.state_schema``): the purchase histories of the orders view as of the
scoring day, BG/NBD, Gamma-Gamma and MBG/NBD fitted on them (``job.clv``), then
``processors.projections.predictions.prediction_views`` as a publish computes them.
``backtests`` (a few rows) and ``churn_timeline`` (~90 days) are synthetic figures in the
views' schemas; the backtests go into the state before the predictions, so the fit quality
reads the newest one as it does in a shop, and the timeline's last day is the churn view's
counts
(``with_current_day``, as a publish does).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pyarrow as pa

from bench import report
from processors.analytics.clv import CHURN_LEVELS
from processors.projections.churn_timeline import churn_counts, with_current_day
from processors.projections.prediction_models import (
    fit_models,
    model_rows,
    purchase_histories,
    store_models,
)
from processors.projections.predictions import prediction_views
from schemas.prediction_views import BACKTESTS_VIEW, CHURN_TIMELINE_VIEW, PREDICTION_MODELS_VIEW
from schemas.shop import ShopConfig
from store.state_schema import create_statements

TIMELINE_DAYS = 90
BACKTEST_EVERY_DAYS = 30
BACKTESTS = 4
HORIZON_DAYS = 180


def synthetic_backtests(as_of: date, now: datetime, customers: int) -> pa.Table:
    """``BACKTESTS`` monthly backtests up to ``as_of``, errors of a few percent."""
    rows = []
    for n in range(BACKTESTS):
        day = as_of - timedelta(days=BACKTEST_EVERY_DAYS * n)
        actual = int(customers * 0.18) + 37 * n
        predicted = actual * (1.0 + 0.02 * (n + 1) * (-1) ** n)
        revenue = actual * 61.5
        rows.append(
            {
                "as_of": day,
                "cutoff": day - timedelta(days=HORIZON_DAYS),
                "horizon_days": HORIZON_DAYS,
                "fitted_at": now - timedelta(days=BACKTEST_EVERY_DAYS * n),
                "model": "bgnbd",
                "customers": customers - 1500 * (n + 1),
                "predicted_purchases": round(predicted, 2),
                "actual_purchases": actual,
                "purchases_error_pct": round((predicted - actual) / actual * 100, 2),
                "predicted_revenue": round(predicted * 60.0, 2),
                "actual_revenue": round(revenue, 2),
                "revenue_error_pct": round((predicted * 60.0 - revenue) / revenue * 100, 2),
                "correlation": 0.61 - 0.01 * n,
                "interval_coverage": 0.78 + 0.005 * n,
                "message": "",
            }
        )
    return pa.Table.from_pylist(rows[::-1], schema=BACKTESTS_VIEW)


def synthetic_timeline(churn: pa.Table, as_of: date, seed: int = 5) -> pa.Table:
    """``TIMELINE_DAYS`` days of customers per level, drifting towards the churn view's
    counts, which are the last day's (as a publish shows the prediction day)."""
    rng = np.random.default_rng(seed)
    today = np.array(list(churn_counts(churn).values()), dtype=np.float64)
    back = np.arange(TIMELINE_DAYS - 1, 0, -1)  # days before as_of, oldest first
    growth = 1.0 - 0.0015 * back[:, None]  # the shop had fewer buyers back then
    noise = rng.normal(1.0, 0.02, (back.size, len(CHURN_LEVELS)))
    counts = np.maximum(np.rint(today[None, :] * growth * noise), 0).astype(np.int64)
    days = [as_of - timedelta(days=int(d)) for d in back]
    recorded = pa.table(
        {
            "day": pa.array(np.repeat(days, len(CHURN_LEVELS)), pa.date32()),
            "churn_level": pa.array(list(CHURN_LEVELS) * back.size, pa.string()),
            "customers": pa.array(counts.ravel(), pa.int64()),
        },
        schema=CHURN_TIMELINE_VIEW,
    )
    return with_current_day(recorded, churn, as_of)


def prediction_tables(
    orders: pa.Table, customers: pa.Table, as_of: date, now: datetime, shop_id: str
) -> dict[str, pa.Table]:
    """The five prediction views of the shop as of ``as_of``; prints the time the real
    pipeline took (histories, fits, clv and churn: a publish's prediction cost)."""
    shop = ShopConfig(shop_id, "bench shop", "https://shop.example")
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        for statement in create_statements():
            con.execute(statement)
        started = time.perf_counter()
        history = purchase_histories(con, orders, as_of)
        store_models(con, model_rows(fit_models(history), as_of, now, len(history["x"])))
        fitted = time.perf_counter()
        backtests = synthetic_backtests(as_of, now, len(history["x"]))
        con.register("bt", backtests)
        con.execute("INSERT INTO backtests SELECT * FROM bt")
        con.unregister("bt")
        predicted = time.perf_counter()
        views = prediction_views(con, orders, customers, as_of, shop)
        done = time.perf_counter()
        models = con.sql("SELECT * FROM prediction_models ORDER BY model").to_arrow_table()
    finally:
        con.close()
    seconds = (fitted - started) + (done - predicted)
    report.line(
        "predictions computed",
        f"{seconds:.1f} s for {len(history['x']):,} customers "
        f"(histories + fits {fitted - started:.1f} s, clv + churn {done - predicted:.1f} s)",
    )
    return {
        **views,
        "prediction_models": models.cast(PREDICTION_MODELS_VIEW),
        "backtests": backtests,
        "churn_timeline": synthetic_timeline(views["churn"], as_of),
    }
