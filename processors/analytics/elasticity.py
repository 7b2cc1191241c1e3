"""Price elasticity of demand and the price it suggests (SPEC §4, seed 000). Pure numpy.

Model: constant elasticity, ``units = A * price ** e``, fitted by ordinary least squares of
ln(units) on ln(price) over the product's own history, one entry per day (the day's net
units and the price it sold at). The slope is the elasticity e, reported with its standard
error sqrt(s² / Sxx) (s² = residual sum of squares / (n - 2)), R² and the days used.

- Days used: net units > 0 and a finite positive price. Days without sales have no
  logarithm and are left out, so the fit describes demand on the days the product sold; when
  zero days cluster at high prices this understates |e|. Non-finite units are an error.
- Enough variation: at least 3 distinct prices (rounded to cents) among the days used,
  else no fit and ``reason="not enough price variation"``. Three prices give n >= 3 days,
  so the standard error always has a degree of freedom.

Optimal price, always clamped to ±20% of the current price (``MAX_CHANGE``):

- revenue: p·q(p) = A·p^(1+e) is monotone in p under constant elasticity: it falls with
  the price when e < -1 and rises when e > -1. There is no interior optimum, so the
  suggestion is always a guard: -20% when demand is elastic, +20% when it is inelastic.
  When e is within ``Z`` standard errors of -1 the direction is not known: no suggestion.
- profit with unit cost c: (p - c)·A·p^e peaks at the Lerner price p* = c·e / (1 + e)
  for e < -1 (reported as ``unclamped_price``); for -1 <= e < 0 profit rises with the price
  without bound, so +20%.
- No suggestion unless demand is shown to fall with the price (e + Z·SE < 0): a flat or
  rising fitted demand comes from promotions or seasons moving with the price, not from
  the price, and would recommend nonsense. Every refusal carries its reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_DISTINCT_PRICES = 3
MAX_CHANGE = 0.20
Z = 2.0  # standard errors for "shown"
OBJECTIVES = ("revenue", "profit")
NOT_ENOUGH_VARIATION = "not enough price variation"


@dataclass(frozen=True)
class ElasticityFit:
    elasticity: float | None
    standard_error: float | None
    r_squared: float | None  # None when the units never varied (nothing to explain)
    n_days: int  # days used by the fit
    n_prices: int  # distinct prices among them
    reason: str | None = None  # why there is no elasticity


@dataclass(frozen=True)
class PriceSuggestion:
    optimal_price: float | None
    unclamped_price: float | None  # the profit optimum before the guard, when it is finite
    clamped: bool
    reason: str | None = None  # why there is no suggestion


def _usable_days(
    units: npt.ArrayLike, prices: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    q = np.asarray(units, dtype=np.float64)
    p = np.asarray(prices, dtype=np.float64)
    if q.ndim != 1 or q.shape != p.shape:
        raise ValueError("units and prices must be one-dimensional and of the same length")
    if not np.isfinite(q).all():
        raise ValueError("units must be finite numbers")
    keep = (q > 0) & np.isfinite(p) & (p > 0)
    return q[keep], p[keep]


def estimate_elasticity(units: npt.ArrayLike, prices: npt.ArrayLike) -> ElasticityFit:
    """Log-log OLS of daily units on price (module doc); one entry per day."""
    q, p = _usable_days(units, prices)
    n_prices = int(np.unique(np.round(p, 2)).size)
    if q.size == 0:
        return ElasticityFit(None, None, None, 0, 0, "no days with sales")
    if n_prices < MIN_DISTINCT_PRICES:
        return ElasticityFit(None, None, None, int(q.size), n_prices, NOT_ENOUGH_VARIATION)
    x, y = np.log(p), np.log(q)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    slope = float(dx @ dy) / sxx
    residuals = dy - slope * dx
    ssr = float(residuals @ residuals)
    se = math.sqrt(ssr / (q.size - 2) / sxx)
    r_squared = 1.0 - ssr / syy if syy > 0 else None
    return ElasticityFit(slope, se, r_squared, int(q.size), n_prices)


def _refusal(fit: ElasticityFit, current_price: float) -> str | None:
    if fit.elasticity is None or fit.standard_error is None:
        return fit.reason or "no elasticity"
    if not (math.isfinite(current_price) and current_price > 0):
        return "current price unknown"
    if fit.elasticity + Z * fit.standard_error >= 0:
        return "demand not shown to fall with the price"
    return None


def _clamp(target: float, current_price: float) -> PriceSuggestion:
    low, high = current_price * (1 - MAX_CHANGE), current_price * (1 + MAX_CHANGE)
    price = min(max(target, low), high)
    unclamped = target if math.isfinite(target) else None
    return PriceSuggestion(price, unclamped, price != target)


def _revenue_price(e: float, se: float, current_price: float) -> PriceSuggestion:
    if abs(e + 1) < Z * se:
        return PriceSuggestion(None, None, False, "elasticity not distinguishable from -1")
    factor = 1 - MAX_CHANGE if e < -1 else 1 + MAX_CHANGE  # revenue has no interior optimum
    return PriceSuggestion(current_price * factor, None, True)


def _profit_price(e: float, unit_cost: float | None, current_price: float) -> PriceSuggestion:
    if unit_cost is None or not (math.isfinite(unit_cost) and unit_cost >= 0):
        return PriceSuggestion(None, None, False, "unit cost unknown")
    if e >= -1:
        return _clamp(math.inf, current_price)
    return _clamp(unit_cost * e / (1 + e), current_price)


def optimal_price(
    fit: ElasticityFit,
    current_price: float,
    objective: str = "revenue",
    unit_cost: float | None = None,
) -> PriceSuggestion:
    """The price that maximises revenue or profit, within ±20% of ``current_price``."""
    if objective not in OBJECTIVES:
        raise ValueError("objective must be 'revenue' or 'profit'")
    refusal = _refusal(fit, current_price)
    if refusal is not None:
        return PriceSuggestion(None, None, False, refusal)
    assert fit.elasticity is not None and fit.standard_error is not None
    if objective == "revenue":
        return _revenue_price(fit.elasticity, fit.standard_error, current_price)
    return _profit_price(fit.elasticity, unit_cost, current_price)
