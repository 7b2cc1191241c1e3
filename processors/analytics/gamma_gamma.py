"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Hardie note 025).

Pure numpy/scipy. Per repeat customer: ``x`` > 0 repeat transactions with mean value ``m``.
Each transaction value is Gamma(p, nu) with the customer's nu ~ Gamma(q, gamma), so the
mean of x values has the log-likelihood

    l = lnG(px+q) - lnG(px) - lnG(q) + q ln(gamma) + (px-1) ln(m) + px ln(x)
        - (px+q) ln(xm + gamma)

and the gradient

    dl/dp     = x (psi(px+q) - psi(px) + ln(m) + ln(x) - ln(xm+gamma))
    dl/dq     = psi(px+q) - psi(q) + ln(gamma) - ln(xm+gamma)
    dl/dgamma = q/gamma - (px+q)/(xm+gamma).

The fit sums the gamma-function terms once per distinct ``x`` and keeps the sums of
ln(m) as constants, so an evaluation over the customers costs one log and one division each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from processors.analytics.mle import (
    FitFailed,
    Floats,
    Objective,
    maximise,
    totals_by_value,
    weighted_sum,
)


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma parameters and, when they come from ``fit_gamma_gamma``, how the fit went."""

    p: float
    q: float
    gamma: float  # the scale parameter (v in the paper)
    log_likelihood: float = math.nan
    method: str = ""
    converged: bool = False
    iterations: int = 0
    customers: int = 0


def gamma_gamma_log_likelihood(params: npt.ArrayLike, x: Floats, m: Floats) -> Floats:
    """Each repeat customer's log-likelihood of their mean spend ``m`` over ``x`` purchases."""
    p, q, v = np.asarray(params, dtype=np.float64)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + v)
    )


def gamma_gamma_gradient(params: npt.ArrayLike, x: Floats, m: Floats) -> Floats:
    """Each repeat customer's gradient d l / d(p, q, gamma), shape (n, 3)."""
    p, q, v = np.asarray(params, dtype=np.float64)
    xs, ms = np.asarray(x, dtype=np.float64).ravel(), np.asarray(m, dtype=np.float64).ravel()
    px, log_total = p * xs, np.log(xs * ms + v)
    common = digamma(px + q)
    d_p = xs * (common - digamma(px) + np.log(ms) + np.log(xs) - log_total)
    d_q = common - digamma(q) + np.log(v) - log_total
    return np.column_stack([d_p, d_q, q / v - (px + q) / (xs * ms + v)])


def _objective(xs: Floats, ms: Floats) -> Objective:
    """Mean negative log-likelihood and its log-parameter gradient (the module's sums)."""
    x_values, counts = totals_by_value(xs, np.ones_like(xs))
    spent, log_m, n = xs * ms, np.log(ms), float(xs.size)
    sum_log_m, sum_x_log_m = float(log_m.sum()), weighted_sum(xs, log_m)

    def negative(log_params: Floats) -> tuple[float, Floats]:
        p, q, v = np.exp(log_params)
        px, both = p * x_values, digamma(p * x_values + q)
        log_total, inverse = np.log(spent + v), 1.0 / (spent + v)
        sum_log, sum_x_log = float(log_total.sum()), weighted_sum(xs, log_total)
        head = gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + px * np.log(x_values)
        value = weighted_sum(counts, head) + p * (sum_x_log_m - sum_x_log) - sum_log_m - q * sum_log
        d_p = weighted_sum(counts, x_values * (both - digamma(px) + np.log(x_values)))
        d_q = weighted_sum(counts, both - digamma(q)) + n * math.log(v) - sum_log
        d_v = n * q / v - p * weighted_sum(xs, inverse) - q * float(inverse.sum())
        grad = np.array([(d_p + sum_x_log_m - sum_x_log) * p, d_q * q, d_v * v])
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            return math.inf, np.zeros(3)
        return -value / n, -grad / n

    return negative


def fit_gamma_gamma(x: npt.ArrayLike, m: npt.ArrayLike) -> GammaGammaParams:
    """Fit on customers with at least one repeat purchase and a positive mean spend.

    Start p = q = 1, gamma = mean m; raises ``FitFailed`` if nobody qualifies or no optimum.
    """
    xs, ms = np.asarray(x, dtype=np.float64).ravel(), np.asarray(m, dtype=np.float64).ravel()
    keep = (xs > 0) & (ms > 0) & np.isfinite(xs) & np.isfinite(ms)
    xs, ms = xs[keep], ms[keep]
    if xs.size == 0:
        raise FitFailed("no repeat customers with spend to fit")
    best = maximise(_objective(xs, ms), np.array([1.0, 1.0, max(float(np.mean(ms)), 1.0)]))
    p, q, v = best.params.tolist()
    n = xs.size
    return GammaGammaParams(p, q, v, best.value * n, best.method, True, best.iterations, n)
