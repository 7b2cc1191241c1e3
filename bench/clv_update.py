"""Per-event cost of a prediction update: between refits, an order re-predicts its customer
with the current parameters (CLV 6/12 months with the interval, churn, next order)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from bench import report
from processors.analytics.bgnbd import fit_bgnbd, fit_gamma_gamma, fit_mbgnbd
from processors.analytics.clv import History, ShopModels, predict_churn, predict_clv

Data = dict[str, np.ndarray]


def _history(data: Data, rows: slice | np.ndarray) -> History:
    x, t_x, T, m = (np.asarray(data[k], dtype=np.float64)[rows] for k in ("x", "t_x", "T", "m"))
    m = np.where(x > 0, m, np.nan)
    return History(x, t_x, T, m, np.where(np.isfinite(m), m, 30.0), np.full(x.size, 30.0))


def _predict(history: History, models: ShopModels) -> None:
    predict_clv(history, models, 0.10)
    predict_churn(history, models)


def prediction_update_cost(data: Data, shop_customers: int) -> dict[str, Any]:
    """One customer re-predicted (median of many), and a whole shop's publish-time
    prediction per customer."""
    x, t_x, T, m = (np.asarray(data[k], dtype=np.float64) for k in ("x", "t_x", "T", "m"))
    models = ShopModels(fit_bgnbd(x, t_x, T), fit_gamma_gamma(x, m), fit_mbgnbd(x, t_x, T), 1.0)
    repeaters = np.flatnonzero(x > 0)[:200]
    times = []
    for row in repeaters:
        started = time.perf_counter()
        _predict(_history(data, np.array([row])), models)
        times.append(time.perf_counter() - started)
    one_ms = float(np.median(times)) * 1e3
    shop = _history(data, slice(0, shop_customers))
    started = time.perf_counter()
    _predict(shop, models)
    whole = time.perf_counter() - started
    report.line("one customer's update (median of 200)", f"{one_ms:.2f} ms")
    report.line(
        f"all {shop_customers:,} customers (each publish)",
        f"{whole:.2f} s = {whole / shop_customers * 1e6:.1f} us per customer",
    )
    return {
        "one_customer_ms": round(one_ms, 3),
        "shop_customers": shop_customers,
        "shop_seconds": round(whole, 3),
    }
