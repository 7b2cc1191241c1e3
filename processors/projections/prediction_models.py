"""The shop's purchase histories and fitted models: ``job.clv`` fits, the models table.

A customer's history as of a day (SPEC §4): their sale orders up to that day, same-day orders
merged into one purchase day worth their net sum, time in days. ``job.clv`` fits BG/NBD and
Gamma-Gamma (value) and MBG/NBD (churn) on the histories as of its day and keeps each fit,
or why it failed, in ``prediction_models`` (one row per model: the newest fit).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from processors.analytics.bgnbd import (
    BgNbdParams,
    FitFailed,
    GammaGammaParams,
    MbgNbdParams,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_mbgnbd,
)
from processors.analytics.clv import ShopModels, fit_quality
from schemas.prediction_views import PREDICTION_MODELS_VIEW
from store.arrow_results import arrow_of

# the fewest repeat buyers a shop needs for a fit; fewer: the fallback model
MIN_REPEAT_CUSTOMERS = 20
PARAM_NAMES: dict[str, tuple[str, ...]] = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "gamma"),
    "mbgnbd": ("r", "alpha", "a", "b"),
}
PARAM_TYPES: dict[str, type] = {
    "bgnbd": BgNbdParams,
    "gamma_gamma": GammaGammaParams,
    "mbgnbd": MbgNbdParams,
}

# One row per customer with a sale order up to $as_of, sorted by customer_key. Money is
# summed as DECIMAL (exact, so a parallel sum gives the same fit in replay), then DOUBLE.
HISTORY_SQL = """
WITH days AS (
    SELECT customer_key, revenue_day AS day, sum(net) AS value
    FROM ov WHERE is_sale AND revenue_day <= $as_of
    GROUP BY customer_key, revenue_day
)
SELECT customer_key,
    (count(*) - 1)::DOUBLE AS x,
    date_diff('day', min(day), max(day))::DOUBLE AS t_x,
    date_diff('day', min(day), $as_of::DATE)::DOUBLE AS "T",
    CASE WHEN count(*) > 1
        THEN (sum(value) - arg_min(value, day))::DOUBLE / (count(*) - 1) END AS m,
    sum(value)::DOUBLE / count(*) AS day_value,
    max(day) AS last_day
FROM days GROUP BY customer_key ORDER BY customer_key
"""


def purchase_histories(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, as_of: date
) -> dict[str, np.ndarray]:
    """Columns of HISTORY_SQL as numpy arrays (``m`` nan without a repeat purchase day)."""
    con.register("ov", orders)
    try:
        table = arrow_of(con, HISTORY_SQL, {"as_of": as_of})
    finally:
        con.unregister("ov")
    columns = {name: table[name].to_numpy(zero_copy_only=False) for name in table.column_names}
    columns["m"] = np.asarray(
        table["m"].to_numpy(zero_copy_only=False), dtype=np.float64
    )  # nulls -> nan
    return columns


def fit_models(
    history: dict[str, np.ndarray], names: tuple[str, ...] = tuple(PARAM_NAMES)
) -> dict[str, Any]:
    """Each named model's fit, or the ``FitFailed`` saying why not."""
    x, t_x, T, m = (np.asarray(history[k], dtype=np.float64) for k in ("x", "t_x", "T", "m"))
    repeat = int(np.count_nonzero(x > 0))
    fits: dict[str, Any] = {}
    if repeat < MIN_REPEAT_CUSTOMERS:
        reason = FitFailed(
            f"too few repeat buyers to fit ({repeat} < {MIN_REPEAT_CUSTOMERS}); "
            "predictions use the fallback model"
        )
        return dict.fromkeys(names, reason)
    fitters: dict[str, Callable[[], Any]] = {
        "bgnbd": lambda: fit_bgnbd(x, t_x, T),
        "gamma_gamma": lambda: _fit_spend(x, m),
        "mbgnbd": lambda: fit_mbgnbd(x, t_x, T),
    }
    for name in names:
        try:
            fits[name] = fitters[name]()
        except FitFailed as exc:
            fits[name] = exc
    return fits


def _fit_spend(x: np.ndarray, m: np.ndarray) -> GammaGammaParams:
    fit = fit_gamma_gamma(x, np.nan_to_num(m, nan=0.0))
    if fit.q <= 1:
        raise FitFailed(f"Gamma-Gamma q = {fit.q:.3f} <= 1: the mean spend is not defined")
    return fit


def model_rows(fits: dict[str, Any], as_of: date, at: datetime, customers: int) -> pa.Table:
    rows = [_model_row(name, fit, as_of, at, customers) for name, fit in fits.items()]
    return pa.Table.from_pylist(rows, schema=PREDICTION_MODELS_VIEW)


def _model_row(name: str, fit: Any, as_of: date, at: datetime, customers: int) -> dict[str, Any]:
    row: dict[str, Any] = {"model": name, "as_of": as_of, "fitted_at": at, "customers": customers}
    if isinstance(fit, FitFailed):
        return row | {"status": "failed", "converged": False, "params": "{}", "message": str(fit)}
    params = {key: round(float(getattr(fit, key)), 10) for key in PARAM_NAMES[name]}
    return row | {
        "status": "fitted",
        "method": fit.method,
        "converged": bool(fit.converged),
        "iterations": int(fit.iterations),
        "customers": int(fit.customers),
        "log_likelihood": float(fit.log_likelihood),
        "params": json.dumps(params, sort_keys=True),
        "message": "",
    }


def store_models(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    con.register("fitted", rows)
    try:
        con.execute("INSERT OR REPLACE INTO prediction_models SELECT * FROM fitted")
    finally:
        con.unregister("fitted")


MODELS_SQL = "SELECT * FROM prediction_models ORDER BY model"
LAST_BACKTEST_SQL = "SELECT purchases_error_pct FROM backtests ORDER BY as_of DESC LIMIT 1"


def load_models(con: duckdb.DuckDBPyConnection) -> ShopModels:
    """The shop's fitted models (None where the newest fit failed or none ran)."""
    rows = arrow_of(con, MODELS_SQL).to_pylist()
    fitted = {row["model"]: as_params(row) for row in rows if row["status"] == "fitted"}
    error = con.execute(LAST_BACKTEST_SQL).fetchall()
    spend = fitted.get("gamma_gamma")  # fitted on the repeat buyers
    return ShopModels(
        bgnbd=fitted.get("bgnbd"),
        gamma_gamma=spend,
        mbgnbd=fitted.get("mbgnbd"),
        quality=fit_quality(spend.customers if spend else 0, error[0][0] if error else None),
    )


def as_params(row: dict[str, Any]) -> Any:
    """A models-table row as the params dataclass of its model."""
    diagnostics = ("log_likelihood", "method", "converged", "iterations", "customers")
    return PARAM_TYPES[row["model"]](
        **json.loads(row["params"]), **{key: row[key] for key in diagnostics}
    )
