"""BG/NBD (Fader, Hardie & Lee 2005) and Gamma-Gamma spend model: maximum likelihood fits.

Pure numpy/scipy. Inputs per customer, in one time unit (days in wcpulse, weeks in the
CDNOW paper): ``x`` repeat transactions (same-day orders already merged), ``t_x`` the time
of the last one since the first, ``T`` the time since the first; for Gamma-Gamma, the mean
value ``m`` of the repeat transactions of customers with ``x > 0``.

Customers with the same (x, t_x, T) share one likelihood term, so the fits run over the
distinct rows weighted by their counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import gammaln

Floats = npt.NDArray[np.float64]


class FitFailed(ValueError):
    """The optimiser did not converge (a shop too small or too odd to fit)."""


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float  # the scale parameter (v in the paper)
    log_likelihood: float


def bgnbd_log_likelihood(params: npt.ArrayLike, x: Floats, t_x: Floats, T: Floats) -> Floats:
    """Each customer's log-likelihood under BG/NBD (r, alpha, a, b)."""
    r, alpha, a, b = np.asarray(params, dtype=np.float64)
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    head += gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    dropped = np.full(x.shape, -np.inf)
    dropped[repeat] = (
        np.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    )
    return head + np.logaddexp(alive, dropped)


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


def _distinct(*columns: npt.ArrayLike) -> tuple[list[Floats], Floats]:
    stacked = np.column_stack([np.asarray(c, dtype=np.float64) for c in columns])
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return [rows[:, i] for i in range(rows.shape[1])], counts.astype(np.float64)


def _maximise(negative: object, start: Floats) -> tuple[Floats, float]:
    """Minimise over log-parameters (keeps every parameter positive)."""
    result = minimize(
        negative,  # type: ignore[arg-type]
        np.log(start),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-7, "maxiter": 10_000},
    )
    if not result.success or not np.isfinite(result.fun):
        raise FitFailed(f"no convergence: {result.message}")
    return np.exp(result.x), -float(result.fun)


def fit_bgnbd(x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike) -> BgNbdParams:
    (xs, txs, Ts), weights = _distinct(x, t_x, T)
    if xs.size == 0:
        raise FitFailed("no customers to fit")

    def negative(log_params: Floats) -> float:
        total = weights @ bgnbd_log_likelihood(np.exp(log_params), xs, txs, Ts)
        return -total if np.isfinite(total) else np.inf

    params, ll = _maximise(negative, np.array([1.0, max(float(np.mean(Ts)), 1.0), 1.0, 1.0]))
    return BgNbdParams(*params.tolist(), log_likelihood=ll)


def fit_gamma_gamma(x: npt.ArrayLike, m: npt.ArrayLike) -> GammaGammaParams:
    """Fit on customers with at least one repeat purchase and a positive mean spend."""
    xs, ms = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
    keep = (xs > 0) & (ms > 0)
    (xs, ms), weights = _distinct(xs[keep], ms[keep])
    if xs.size == 0:
        raise FitFailed("no repeat customers with spend to fit")

    def negative(log_params: Floats) -> float:
        total = weights @ gamma_gamma_log_likelihood(np.exp(log_params), xs, ms)
        return -total if np.isfinite(total) else np.inf

    params, ll = _maximise(negative, np.array([1.0, 1.0, max(float(np.mean(ms)), 1.0)]))
    return GammaGammaParams(*params.tolist(), log_likelihood=ll)
