"""The prediction jobs, run by the shop's processor at their place in the stream.

``job.clv``: fit BG/NBD, Gamma-Gamma and MBG/NBD on the purchase histories as of its day
and keep the fits (``prediction_models``). ``job.churn``: record the customers per churn
level as of its day (``churn_timeline``). ``job.backtest``: fit on the histories up to 180
days before its day, predict those 180 days and compare with what happened (``backtests``).
Each records when it was requested, for ``wcpulse jobs run`` to wait on.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.btyd import expected_spend
from processors.analytics.clv import History, ShopModels, history_cycles, predict_purchases
from processors.projections.churn_timeline import churn_counts, counts_table
from processors.projections.customer_scores import effective_as_of
from processors.projections.prediction_models import (
    fit_models,
    model_rows,
    purchase_histories,
    store_models,
)
from processors.projections.predictions import PREDICTED_AS_OF, prediction_views
from processors.projections.views import scored_customers, whole_orders
from schemas.control_events import PredictionsRequested
from schemas.jobs import BACKTEST, CHURN, CLV
from schemas.prediction_views import BACKTESTS_VIEW
from schemas.shop import ShopConfig
from store.arrow_results import arrow_of
from store.state import count_job

HORIZON_DAYS = 180
ACTUAL_SQL = """
SELECT customer_key, count(DISTINCT revenue_day) AS days, sum(net)::DOUBLE AS value
FROM ov WHERE is_sale AND revenue_day > $cutoff AND revenue_day <= $as_of
GROUP BY customer_key
"""


def job_meta_key(job: str) -> str:
    return f"job_{job}_at"


def run_prediction_job(
    con: duckdb.DuckDBPyConnection, shop: ShopConfig, job: PredictionsRequested
) -> str:
    """Run ``job`` on the state as it is; returns one line saying what it found."""
    orders = whole_orders(con, shop)
    meta = {job_meta_key(job.job): job.at.isoformat()}
    if job.job == CLV:
        history = purchase_histories(con, orders, job.as_of)
        rows = model_rows(fit_models(history), job.as_of, job.at, len(history["x"]))
        store_models(con, rows)
        meta[PREDICTED_AS_OF] = _later(_read_meta(con, PREDICTED_AS_OF), job.as_of)
        summary = ", ".join(
            f"{m} {s}"
            for m, s in zip(rows["model"].to_pylist(), rows["status"].to_pylist(), strict=True)
        )
    elif job.job == CHURN:
        counts = _record_churn_day(con, orders, job.as_of, shop)
        meta[PREDICTED_AS_OF] = _later(_read_meta(con, PREDICTED_AS_OF), job.as_of)
        summary = ", ".join(f"{level} {n}" for level, n in counts.items())
    elif job.job == BACKTEST:
        row = backtest(con, orders, job.as_of, job)
        _replace(con, "backtests", "as_of", pa.Table.from_pylist([row], schema=BACKTESTS_VIEW))
        summary = (
            f"backtest {row['model']}: error {row.get('purchases_error_pct')}% {row['message']}"
        )
    else:
        raise ValueError(f"not a prediction job: {job.job}")
    con.executemany(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        list(meta.items()),
    )
    count_job(con)
    return summary


def _read_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def _later(stored: str | None, day: date) -> str:
    return max(date.fromisoformat(stored), day).isoformat() if stored else day.isoformat()


def _record_churn_day(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, day: date, shop: ShopConfig
) -> dict[str, int]:
    customers = scored_customers(con, orders, effective_as_of(day.isoformat(), orders), shop)
    counts = churn_counts(prediction_views(con, orders, customers, day, shop)["churn"])
    _replace(con, "churn_timeline", "day", counts_table(day, counts))
    return counts


def _replace(con: duckdb.DuckDBPyConnection, table: str, key: str, rows: pa.Table) -> None:
    """Replace the rows of ``table`` whose ``key`` (a literal column name) is in ``rows``."""
    con.register("incoming", rows)
    try:
        con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM incoming)")
        con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
    finally:
        con.unregister("incoming")


def backtest(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, as_of: date, job: PredictionsRequested
) -> dict[str, Any]:
    """Fit on the histories at ``as_of - 180 days``, predict the 180 days, compare."""
    cutoff = as_of - timedelta(days=HORIZON_DAYS)
    row: dict[str, Any] = {
        "as_of": as_of,
        "cutoff": cutoff,
        "horizon_days": HORIZON_DAYS,
        "fitted_at": job.at,
        "model": "fallback",
        "customers": 0,
        "message": "",
    }
    history = purchase_histories(con, orders, cutoff)
    if len(history["x"]) == 0:
        return row | {"message": "no customer had a sale order by the cutoff"}
    fits = fit_models(history, ("bgnbd", "gamma_gamma"))  # churn is not backtested
    bg, gg = fits["bgnbd"], fits["gamma_gamma"]
    fitted = not isinstance(bg, Exception) and not isinstance(gg, Exception)
    models = ShopModels(bgnbd=bg, gamma_gamma=gg) if fitted else ShopModels()
    x, t_x, T, m, value = (
        np.asarray(history[k], np.float64) for k in ("x", "t_x", "T", "m", "day_value")
    )
    inputs = History(x, t_x, T, m, value, history_cycles(x, t_x))
    expected, low, high, _ = predict_purchases(inputs, models, HORIZON_DAYS)
    spend = expected_spend(gg, x, m) if fitted else value
    spend = np.where(np.isfinite(spend), spend, value)
    days, revenue = _actual(con, orders, history["customer_key"], (cutoff, as_of))
    message = "" if fitted else str(bg if isinstance(bg, Exception) else gg)
    return (
        row
        | {"model": "bgnbd" if fitted else "fallback", "message": message}
        | _scores(expected, low, high, days, (spend * expected, revenue))
    )


def _actual(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, keys: np.ndarray, window: tuple[date, date]
) -> tuple[np.ndarray, np.ndarray]:
    con.register("ov", orders)
    try:
        found = arrow_of(con, ACTUAL_SQL, {"cutoff": window[0], "as_of": window[1]})
    finally:
        con.unregister("ov")
    at = pc.index_in(pa.array(keys, pa.string()), value_set=found["customer_key"])
    days = pc.fill_null(found["days"].take(at), 0).to_numpy(zero_copy_only=False)
    value = pc.fill_null(found["value"].take(at), 0.0).to_numpy(zero_copy_only=False)
    return np.asarray(days, np.float64), np.asarray(value, np.float64)


def _scores(
    expected: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    actual: np.ndarray,
    revenue: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    predicted, actual_total = float(expected.sum()), float(actual.sum())
    predicted_revenue, actual_revenue = float(revenue[0].sum()), float(revenue[1].sum())
    correlation = None
    if expected.size > 1 and np.std(expected) > 0 and np.std(actual) > 0:
        correlation = round(float(np.corrcoef(expected, actual)[0, 1]), 4)
    return {
        "customers": int(expected.size),
        "predicted_purchases": round(predicted, 2),
        "actual_purchases": int(actual_total),
        "purchases_error_pct": _error_pct(predicted, actual_total),
        "predicted_revenue": round(predicted_revenue, 2),
        "actual_revenue": round(actual_revenue, 2),
        "revenue_error_pct": _error_pct(predicted_revenue, actual_revenue),
        "correlation": correlation,
        "interval_coverage": round(float(np.mean((actual >= low) & (actual <= high))), 4),
    }


def _error_pct(predicted: float, actual: float) -> float | None:
    return round((predicted - actual) / actual * 100.0, 2) if actual > 0 else None
