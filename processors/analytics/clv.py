"""Per-customer CLV and churn predictions from a shop's fitted models (SPEC §4, seed 000).

Pure numpy/scipy. Time is in days. Inputs are one array per customer (``History``); the
shop's models are BG/NBD + Gamma-Gamma for value and MBG/NBD for churn (``ShopModels``;
``None`` where a model could not be fitted).

Predicted CLV over k months: the expected spend per purchase day (Gamma-Gamma) times the
expected purchases of each month (BG/NBD, conditional on the customer's history), each
month discounted at the monthly rate equivalent to the annual rate:
``sum_{i=1..k} spend * (E[N(i M)] - E[N((i-1) M)]) / (1 + d)^i``, ``M = 365.25/12`` days,
``d = (1 + annual)^(1/12) - 1``. The 80% interval of the 12-month value is the 10th and
90th percentile of the customer's purchase count in 12 months (the model's conditional
distribution), times the spend and the same discount factor as the point value.

Fallback (``model == "fallback"``: no fit, or a customer scored before any fit): a customer
keeps buying once per return cycle while alive, with ``P(alive) = exp(-late / cycle)`` where
``late`` is the days since the last order beyond one cycle (1 before that); the purchase
count is Poisson with mean ``P(alive) * t / cycle``; spend per purchase day is the
customer's own average. Its confidence is capped at ``FALLBACK_CONFIDENCE``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.stats import poisson

from processors.analytics.bgnbd import BgNbdParams, GammaGammaParams, MbgNbdParams
from processors.analytics.btyd import (
    expected_purchases,
    expected_spend,
    median_time_to_next_purchase,
    probability_alive,
    purchase_quantiles,
)
from processors.analytics.mle import row_groups

Floats = npt.NDArray[np.float64]
DAYS_PER_MONTH = 365.25 / 12
YEAR_DAYS = 365.25
INTERVAL = (0.1, 0.9)  # the 80% interval
FALLBACK_CONFIDENCE = 0.3
CHURN_LEVELS = ("Low", "Medium", "High", "Critical")
CHURN_BOUNDS = (0.25, 0.5, 0.75)
VALUE_SEGMENTS = ("High", "Medium", "Low")
CONFIDENCE_BANDS = ("high", "medium", "low")
# the recommended win-back discount per churn level: (lowest, highest) percent, growing
# with the probability inside the level (SPEC §4)
DISCOUNTS = {"Low": (0, 0), "Medium": (10, 10), "High": (15, 20), "Critical": (25, 30)}
FULL_REPEATS = 300  # repeat buyers at which the fit no longer caps confidence
# An expected next order further away than this is "not expected" (nan, published as null):
# a customer just on the alive side of 50% can have a median wait of centuries, which no
# owner can act on and no date type can hold.
NEXT_ORDER_HORIZON_DAYS = 3653  # 10 years


@dataclass(frozen=True)
class History:
    """Per customer, in days: ``x`` repeat purchase days, ``t_x`` days from the first to the
    last purchase day, ``T`` days from the first purchase day to the prediction day, ``m``
    the mean value of the repeat purchase days (nan without any), ``day_value`` the mean
    value of all purchase days, ``cycle`` the expected days between purchases."""

    x: Floats
    t_x: Floats
    T: Floats
    m: Floats
    day_value: Floats
    cycle: Floats


@dataclass(frozen=True)
class ShopModels:
    bgnbd: BgNbdParams | None = None
    gamma_gamma: GammaGammaParams | None = None
    mbgnbd: MbgNbdParams | None = None
    quality: float = FALLBACK_CONFIDENCE  # the confidence cap of a fitted shop, 0..1

    @property
    def value_fitted(self) -> bool:
        return self.bgnbd is not None and self.gamma_gamma is not None


@dataclass(frozen=True)
class ClvPrediction:
    expected_purchases_12m: Floats
    spend: Floats  # expected value per purchase day
    clv_6m: Floats
    clv_12m: Floats
    low_12m: Floats
    high_12m: Floats
    confidence: Floats
    fallback: bool


@dataclass(frozen=True)
class ChurnPrediction:
    probability: Floats  # 1 - P(alive)
    # days from the prediction day to the median next order, at most
    # NEXT_ORDER_HORIZON_DAYS; nan: another order is not expected
    next_order_days: Floats
    fallback: bool


def monthly_rate(annual: float) -> float:
    return float((1.0 + annual) ** (1.0 / 12.0) - 1.0)


def fit_quality(repeat_customers: int, backtest_error_pct: float | None) -> float:
    """The confidence cap of a fitted shop: 0.5 to 1 with the repeat buyers the fit saw, cut
    by up to half by the backtest's aggregate purchase error when there is one."""
    cap = 0.5 + 0.5 * min(1.0, repeat_customers / FULL_REPEATS)
    if backtest_error_pct is not None and np.isfinite(backtest_error_pct):
        cap *= max(0.5, 1.0 - abs(backtest_error_pct) / 100.0)
    return float(cap)


def confidence(history: History, cap: float) -> Floats:
    """Grows with the customer's purchase days (full at 6) and tenure (full at a year)."""
    data = 0.6 * np.minimum(1.0, (history.x + 1) / 6.0) + 0.4 * np.minimum(1.0, history.T / 365.0)
    return np.round(np.minimum(data, cap), 4)


def distinct_rows(history: History) -> tuple[Floats, Floats, Floats, npt.NDArray[np.intp]]:
    """The distinct (x, t_x, T) of ``history`` and each customer's row among them: most
    customers of a shop share a row (one purchase, the same first day), so the model is
    evaluated once per row."""
    first, inverse = row_groups(history.x, history.t_x, history.T)
    return history.x[first], history.t_x[first], history.T[first], inverse


def predict_clv(history: History, models: ShopModels, annual_rate: float) -> ClvPrediction:
    if not models.value_fitted or history.x.size == 0:
        return _fallback_clv(history, annual_rate)
    bg, gg = models.bgnbd, models.gamma_gamma
    assert bg is not None and gg is not None
    ends = np.arange(1, 13) * DAYS_PER_MONTH

    x, t_x, T, inverse = distinct_rows(history)
    counts = np.column_stack([expected_purchases(bg, t, x, t_x, T) for t in ends])[inverse]
    bounds = purchase_quantiles(bg, YEAR_DAYS, x, t_x, T, INTERVAL).astype(np.float64)[inverse]
    spend = expected_spend(gg, history.x, history.m)
    spend = np.where(np.isfinite(spend), spend, history.day_value)
    return _value(counts, bounds, spend, annual_rate, confidence(history, models.quality))


def _fallback_rate(history: History) -> Floats:
    """Fallback purchases per day: one per return cycle while alive."""
    alive = 1.0 - fallback_churn(history.T - history.t_x, history.cycle)
    return alive / np.maximum(history.cycle, 1.0)


def _fallback_clv(history: History, annual_rate: float) -> ClvPrediction:
    rate = _fallback_rate(history)
    counts = np.outer(rate, np.arange(1, 13) * DAYS_PER_MONTH)
    mean_year = rate * YEAR_DAYS
    bounds = np.column_stack([poisson.ppf(q, mean_year) for q in INTERVAL])
    cap = confidence(history, FALLBACK_CONFIDENCE)
    result = _value(counts, bounds, history.day_value, annual_rate, cap)
    return ClvPrediction(**{**result.__dict__, "fallback": True})


def _value(
    counts: Floats, bounds: Floats, spend: Floats, annual_rate: float, conf: Floats
) -> ClvPrediction:
    """CLV from the cumulative expected purchases at each month's end (customers x 12).
    A purchase is worth at least nothing (fully refunded history: a value of 0, not less)."""
    spend = np.maximum(np.nan_to_num(spend, nan=0.0), 0.0)
    per_month = np.diff(counts, axis=1, prepend=0.0)
    discount = (1.0 + monthly_rate(annual_rate)) ** -np.arange(1, 13)
    discounted = per_month * discount
    clv_6m = spend * discounted[:, :6].sum(axis=1)
    clv_12m = spend * discounted.sum(axis=1)
    expected = counts[:, -1]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(expected * spend > 0, clv_12m / (expected * spend), discount.mean())
    low, high = (bounds[:, i] * spend * factor for i in range(2))
    return ClvPrediction(expected, spend, clv_6m, clv_12m, low, high, conf, False)


def predict_purchases(
    history: History, models: ShopModels, horizon: float
) -> tuple[Floats, Floats, Floats, bool]:
    """Expected purchase days in the next ``horizon`` days with their 80% interval (low,
    high), and whether the fallback model gave them (the backtest's prediction)."""
    bg = models.bgnbd
    if bg is None or history.x.size == 0:
        mean = _fallback_rate(history) * horizon
        return mean, poisson.ppf(INTERVAL[0], mean), poisson.ppf(INTERVAL[1], mean), True

    x, t_x, T, inverse = distinct_rows(history)
    expected = expected_purchases(bg, horizon, x, t_x, T)[inverse]
    bounds = purchase_quantiles(bg, horizon, x, t_x, T, INTERVAL).astype(np.float64)[inverse]
    return expected, bounds[:, 0], bounds[:, 1], False


def history_cycles(x: Floats, t_x: Floats) -> Floats:
    """Return cycles from the histories alone (the backtest has no customer status): the
    mean gap between purchase days, else the median of those, else 30 days."""
    repeat = x > 0
    gaps = np.divide(t_x, x, out=np.zeros_like(t_x), where=repeat)
    shop = float(np.median(gaps[repeat])) if repeat.any() else 30.0
    return np.where(repeat, np.maximum(gaps, 1.0), max(shop, 1.0))


def predict_churn(history: History, models: ShopModels) -> ChurnPrediction:
    """Churn under MBG/NBD (1 - P(alive)) with the median time to the next order."""
    mbg = models.mbgnbd
    if mbg is None or history.x.size == 0:
        late = history.T - history.t_x
        churn = fallback_churn(late, history.cycle)
        wait = np.maximum(history.cycle - late, 0.0)
        return ChurnPrediction(churn, within_horizon(np.where(churn < 0.5, wait, np.nan)), True)
    alive = probability_alive(mbg, history.x, history.t_x, history.T)
    median = median_time_to_next_purchase(mbg, history.x, history.t_x, history.T)
    return ChurnPrediction(1.0 - alive, within_horizon(median), False)


def within_horizon(days: Floats) -> Floats:
    """``days`` from 0 to NEXT_ORDER_HORIZON_DAYS; nan for the rest (and for nan)."""
    with np.errstate(invalid="ignore"):
        kept = np.isfinite(days) & (days >= 0.0) & (days <= NEXT_ORDER_HORIZON_DAYS)
    return np.where(kept, days, np.nan)


def fallback_churn(days_since_last: Floats, cycle: Floats) -> Floats:
    cycle = np.maximum(cycle, 1.0)
    late = np.maximum(days_since_last - cycle, 0.0)
    return 1.0 - np.exp(-late / cycle)


def churn_levels(probability: Floats) -> npt.NDArray[np.object_]:
    return np.asarray(CHURN_LEVELS, dtype=object)[
        np.searchsorted(CHURN_BOUNDS, probability, "right")
    ]


def value_segments(clv_12m: Floats, high: float, medium: float) -> npt.NDArray[np.object_]:
    """High above ``high``, Medium above ``medium``, else Low."""
    index = np.where(clv_12m > high, 0, np.where(clv_12m > medium, 1, 2))
    return np.asarray(VALUE_SEGMENTS, dtype=object)[index]


def confidence_bands(values: Floats) -> npt.NDArray[np.object_]:
    index = np.where(values >= 0.8, 0, np.where(values >= 0.5, 1, 2))
    return np.asarray(CONFIDENCE_BANDS, dtype=object)[index]


def winback_discount(probability: Floats, margin: float) -> npt.NDArray[np.int64]:
    """Percent: Medium 10, High 15..20, Critical 25..30 (higher within the level as the
    probability rises), never above the margin."""
    low = np.array([DISCOUNTS[level][0] for level in CHURN_LEVELS])
    span = np.array([DISCOUNTS[level][1] - DISCOUNTS[level][0] for level in CHURN_LEVELS])
    index = np.searchsorted(CHURN_BOUNDS, probability, "right")
    start = np.array((0.0, *CHURN_BOUNDS))[index]
    within = np.clip((probability - start) / 0.25, 0.0, 1.0)
    percent = np.round(low[index] + span[index] * within).astype(np.int64)
    return np.minimum(percent, int(np.floor(margin * 100 + 1e-9)))
