"""BG/NBD (Fader, Hardie & Lee 2005) and MBG/NBD (Batislam, Denizel & Filiztekin 2007).

Pure numpy/scipy. Inputs per customer, in one time unit (days in wcpulse, weeks in the
CDNOW paper): ``x`` repeat transactions (same-day orders already merged), ``t_x`` the time
of the last one since the first, ``T`` the time since the first.

Both models: while alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after
each purchase (BG/NBD) or also at time 0 (MBG/NBD) they drop out for good with probability
p ~ Beta(a, b). With ``y = x`` (BG/NBD) or ``y = x + 1`` (MBG/NBD) survival trials, one
customer's likelihood is

    L = G(r+x) alpha^r / (G(r) (alpha+T)^(r+x)) * B(a, b+y) / B(a, b)
        * (1 + [y > 0] a / (b+y-1) * ((alpha+T) / (alpha+t_x))^(r+x))

(FHL 2005 eq. 6; Batislam et al. 2007 / Wagner & Hoppe 2008). The last factor is
``1 / P(alive | history)``. The fits maximise the summed log-likelihood over the distinct
rows (weighted by counts), the terms that depend on ``x`` alone summed once per distinct
``x``, over log-parameters with the analytic gradient (``mle.maximise``: L-BFGS-B, then
Nelder-Mead if that fails), from r = 1, alpha = mean T, a = b = 1. Gamma-Gamma lives in
``gamma_gamma`` and is re-exported here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from processors.analytics.gamma_gamma import (
    GammaGammaParams,
    fit_gamma_gamma,
    gamma_gamma_gradient,
    gamma_gamma_log_likelihood,
)
from processors.analytics.mle import (
    FitFailed,
    Floats,
    Objective,
    distinct_rows,
    maximise,
    totals_by_value,
    weighted_sum,
)

Terms = tuple[Floats, list[Floats]]  # values and one gradient column per parameter

__all__ = [
    "BgNbdParams",
    "FitFailed",
    "GammaGammaParams",
    "MbgNbdParams",
    "bgnbd_gradient",
    "bgnbd_log_likelihood",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "fit_mbgnbd",
    "gamma_gamma_gradient",
    "gamma_gamma_log_likelihood",
    "mbgnbd_gradient",
    "mbgnbd_log_likelihood",
]


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD parameters and, when they come from ``fit_bgnbd``, how the fit went."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan
    method: str = ""  # "L-BFGS-B" or "Nelder-Mead"; "" when not fitted here
    converged: bool = False
    iterations: int = 0
    customers: int = 0  # customers fitted (the sum of the distinct rows' counts)


@dataclass(frozen=True)
class MbgNbdParams:
    """MBG/NBD parameters and, when they come from ``fit_mbgnbd``, how the fit went."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float = math.nan
    method: str = ""
    converged: bool = False
    iterations: int = 0
    customers: int = 0


P = TypeVar("P", BgNbdParams, MbgNbdParams)


def _head(params: Floats, x: Floats, shift: float) -> Terms:
    """The x-only part, ln[G(r+x) alpha^r / G(r) * B(a, b+y) / B(a, b)], and its gradient:

    d/dr = psi(r+x) - psi(r) + ln alpha, d/dalpha = r/alpha, d/da = psi(a+b) - psi(a+b+y),
    d/db = psi(a+b) + psi(b+y) - psi(b) - psi(a+b+y).
    """
    r, alpha, a, b = params
    y = x + shift
    value = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    value += gammaln(a + b) + gammaln(b + y) - gammaln(b) - gammaln(a + b + y)
    d_a = digamma(a + b) - digamma(a + b + y)
    d_r = digamma(r + x) - digamma(r) + np.log(alpha)
    return value, [d_r, np.full_like(x, r / alpha), d_a, d_a + digamma(b + y) - digamma(b)]


def _mixture(params: Floats, x: Floats, t_x: Floats, T: Floats, shift: float) -> Terms:
    """The rest: -(r+x) log(alpha+T) + log(1 + e^g), g the log-odds of having dropped out,

    g = log a - log(b+y-1) + (r+x) (log(alpha+T) - log(alpha+t_x))  (-inf when y = 0),
    and its gradient: with w = P(dropped | history) = sigmoid(g),
    d/dr = -(1-w) log(alpha+T) - w log(alpha+t_x),
    d/dalpha = -(r+x) ((1-w)/(alpha+T) + w/(alpha+t_x)), d/da = w/a, d/db = -w/(b+y-1).
    """
    r, alpha, a, b = params
    y = x + shift
    log_T, log_tx, rx = np.log(alpha + T), np.log(alpha + t_x), r + x
    b_drop = b + np.maximum(y, 1.0) - 1.0
    gap = np.where(y > 0, np.log(a / b_drop) + rx * (log_T - log_tx), -np.inf)
    small = np.exp(-np.abs(gap))  # log(1 + e^g) and sigmoid(g) without overflow
    soft = np.maximum(gap, 0.0) + np.log1p(small)
    dropped = np.where(gap > 0, 1.0, small) / (1.0 + small)
    alive = 1.0 - dropped
    d_r = -(alive * log_T + dropped * log_tx)
    d_alpha = -rx * (alive / (alpha + T) + dropped / (alpha + t_x))
    return soft - rx * log_T, [d_r, d_alpha, dropped / a, -dropped / b_drop]


def _per_customer(
    params: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike, shift: float
) -> tuple[Floats, Floats]:
    """Head plus mixture for each customer: log-likelihoods and the (n, 4) gradient."""
    theta = np.asarray(params, dtype=np.float64)
    xs, txs, Ts = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    head, head_grad = _head(theta, xs.ravel(), shift)
    mix, mix_grad = _mixture(theta, xs.ravel(), txs.ravel(), Ts.ravel(), shift)
    grad = np.column_stack([h + m for h, m in zip(head_grad, mix_grad, strict=True)])
    return (head + mix).reshape(xs.shape), grad


def bgnbd_log_likelihood(
    params: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """Each customer's log-likelihood under BG/NBD (r, alpha, a, b): log L above, y = x."""
    return _per_customer(params, x, t_x, T, 0.0)[0]


def bgnbd_gradient(
    params: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """Each customer's gradient of the BG/NBD log-likelihood, shape (n, 4): d/d(r, alpha, a, b)."""
    return _per_customer(params, x, t_x, T, 0.0)[1]


def mbgnbd_log_likelihood(
    params: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """Each customer's log-likelihood under MBG/NBD (r, alpha, a, b): log L above, y = x + 1."""
    return _per_customer(params, x, t_x, T, 1.0)[0]


def mbgnbd_gradient(
    params: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """Each customer's gradient of the MBG/NBD log-likelihood, shape (n, 4)."""
    return _per_customer(params, x, t_x, T, 1.0)[1]


def _objective(rows: list[Floats], weights: Floats, shift: float) -> Objective:
    """Mean negative log-likelihood over weighted distinct rows, and its log-parameter gradient."""
    xs, txs, Ts = rows
    x_values, x_weights = totals_by_value(xs, weights)
    total = float(weights.sum())

    def negative(log_params: Floats) -> tuple[float, Floats]:
        params = np.exp(log_params)
        head, head_grad = _head(params, x_values, shift)
        mix, mix_grad = _mixture(params, xs, txs, Ts, shift)
        value = weighted_sum(x_weights, head) + weighted_sum(weights, mix)
        grad = params * np.array(
            [
                weighted_sum(x_weights, h) + weighted_sum(weights, m)
                for h, m in zip(head_grad, mix_grad, strict=True)
            ]
        )
        if not (math.isfinite(value) and np.all(np.isfinite(grad))):
            return math.inf, np.zeros_like(params)
        return -value / total, -grad / total

    return negative


def _fit(model: type[P], x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike, shift: float) -> P:
    """Maximum likelihood over the distinct rows; start r = 1, alpha = mean T, a = b = 1."""
    (xs, txs, Ts), weights = distinct_rows(x, t_x, T)
    if xs.size == 0:
        raise FitFailed("no customers to fit")
    if not (np.all(np.isfinite(Ts)) and np.all((0 <= xs) & (0 <= txs) & (txs <= Ts))):
        raise FitFailed("invalid history: need finite 0 <= x and 0 <= t_x <= T")
    if not xs.any():
        raise FitFailed("no repeat purchases to fit (every customer bought once)")
    total = float(weights.sum())
    start = np.array([1.0, max(weighted_sum(weights, Ts) / total, 1.0), 1.0, 1.0])
    best = maximise(_objective([xs, txs, Ts], weights, shift), start)
    r, alpha, a, b = best.params.tolist()
    return model(r, alpha, a, b, best.value * total, best.method, True, best.iterations, int(total))


def fit_bgnbd(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> BgNbdParams:
    """Maximum likelihood BG/NBD; raises ``FitFailed`` if there is nothing to fit or no optimum."""
    return _fit(BgNbdParams, x, t_x, T, 0.0)


def fit_mbgnbd(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> MbgNbdParams:
    """Maximum likelihood MBG/NBD; raises ``FitFailed`` if there is nothing to fit or no optimum."""
    return _fit(MbgNbdParams, x, t_x, T, 1.0)
