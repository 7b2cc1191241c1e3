"""Customer-level predictions from fitted BG/NBD or MBG/NBD and Gamma-Gamma parameters.

Pure numpy/scipy. Every function is vectorised over customers (``x``, ``t_x``, ``T`` as in
``bgnbd``; they broadcast) and takes the horizon ``t`` in the same time unit; the model is
chosen by the type of ``params`` (``BgNbdParams`` or ``MbgNbdParams``).

Given a history, a customer is alive with probability P_alive, and then (both models) their
rate is lambda ~ Gamma(r' = r+x, alpha' = alpha+T) and their drop-out probability per
purchase p ~ Beta(a, b'), independent, with b' = b+x (BG/NBD: x survived purchases) or
b+x+1 (MBG/NBD: also survived time 0). From then on both models drop out only after a
purchase, so every conditional formula below is the same in b'. A new customer is the
history (0, 0, 0): P_alive = 1 (BG/NBD) or b/(a+b) (MBG/NBD drops out at time 0 with
probability E[p]), which gives the unconditional results of FHL 2005 and Batislam 2007.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.special import betainc, betaln, expit, gammaln, xlogy

from processors.analytics.alive_expectation import expected_purchases_while_alive
from processors.analytics.bgnbd import BgNbdParams, MbgNbdParams
from processors.analytics.gamma_gamma import GammaGammaParams

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Model = BgNbdParams | MbgNbdParams
QUANTILE_CAP = 1_000  # purchase_quantiles stops counting here: a result of 1000 means ">= 1000"


def _history(
    x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> tuple[Floats, Floats, Floats]:
    xs, txs, Ts = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (x, t_x, T)))
    return xs, txs, Ts


def _shift(params: Model) -> float:
    if isinstance(params, MbgNbdParams):
        return 1.0
    if isinstance(params, BgNbdParams):
        return 0.0
    raise TypeError(f"expected BgNbdParams or MbgNbdParams, not {type(params).__name__}")


def _posterior(params: Model, x: Floats, T: Floats) -> tuple[Floats, Floats, Floats]:
    """(r', alpha', b'): the Gamma and Beta posteriors given alive."""
    return params.r + x, params.alpha + T, params.b + x + _shift(params)


def probability_alive(
    params: Model, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(alive | x, t_x, T) = 1 / (1 + e^g), in log space (no overflow for any x):

    BG/NBD  g = ln(a / (b+x-1)) + (r+x) ln((alpha+T) / (alpha+t_x)), and g = -inf if x = 0;
    MBG/NBD g = ln(a / (b+x))   + (r+x) ln((alpha+T) / (alpha+t_x)).
    """
    xs, txs, Ts = _history(x, t_x, T)
    y = xs + _shift(params)
    a, b, r, alpha = params.a, params.b, params.r, params.alpha
    with np.errstate(divide="ignore"):
        g = np.log(a / (b + np.maximum(y, 1.0) - 1.0))
    g = g + (r + xs) * (np.log(alpha + Ts) - np.log(alpha + txs))
    return np.asarray(expit(-np.where(y > 0, g, -np.inf)))


def expected_purchases(
    params: Model, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """E[purchases in (T, T+t] | history] = P_alive * E[N(t) | alive] (FHL 2005 eq. 10;
    MBG/NBD: Wagner & Hoppe 2008), E[N(t) | alive] by ``expected_purchases_while_alive``
    (the Pfaff-transformed 2F1(r', a-1; a+b'-1; -t/alpha'), stable for any x, t and a = 1).
    """
    xs, txs, Ts = _history(x, t_x, T)
    r, alpha, b = _posterior(params, xs, Ts)
    alive = probability_alive(params, xs, txs, Ts)
    return alive * expected_purchases_while_alive(r, alpha, params.a, b, t)


def expected_purchases_new(params: Model, t: npt.ArrayLike) -> Floats:
    """E[N(t)] for a new customer (FHL 2005 eq. 9): the history (0, 0, 0)."""
    return expected_purchases(params, t, 0.0, 0.0, 0.0)


def probability_no_purchase(
    params: Model, t: npt.ArrayLike, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """P(no purchase in (T, T+t] | history) = 1 - P_alive (1 - (alpha'/(alpha'+t))^r')."""
    xs, txs, Ts = _history(x, t_x, T)
    r, alpha, _ = _posterior(params, xs, Ts)
    bought = -np.expm1(-r * np.log1p(np.asarray(t, dtype=np.float64) / alpha))
    return 1.0 - probability_alive(params, xs, txs, Ts) * bought


def median_time_to_next_purchase(
    params: Model, x: npt.ArrayLike, t_x: npt.ArrayLike, T: npt.ArrayLike
) -> Floats:
    """The t with P(no purchase in (T, T+t] | history) = 1/2:

    t = alpha' ((1 - 1/(2 P_alive))^(-1/r') - 1) if P_alive > 1/2, else inf (the customer is
    more likely than not never to buy again).
    """
    xs, txs, Ts = _history(x, t_x, T)
    r, alpha, _ = _posterior(params, xs, Ts)
    alive = probability_alive(params, xs, txs, Ts)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = alpha * np.expm1(-np.log1p(-0.5 / alive) / r)
    return np.where(alive > 0.5, t, np.inf)


def expected_spend(gg: GammaGammaParams, x: npt.ArrayLike, m: npt.ArrayLike) -> Floats:
    """Expected mean transaction value given x repeat purchases of mean m (Hardie note 025):

    E[M | x, m] = p (gamma + m x) / (p x + q - 1). Customers with x = 0 or m <= 0 get the
    population mean p gamma / (q - 1). Both need the denominator > 0 (the mean is infinite
    otherwise): those customers get nan, as does everyone if q <= 1 leaves no population mean.
    """
    xs, ms = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    p, q, v = gg.p, gg.q, gg.gamma
    own = (xs > 0) & (ms > 0)
    x_used, m_used = np.where(own, xs, 0.0), np.where(own, ms, 0.0)
    denominator = p * x_used + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        spend = p * (v + m_used * x_used) / denominator
    return np.where(denominator > 0, spend, np.nan)


def purchase_pmf(
    params: Model,
    t: npt.ArrayLike,
    n: npt.ArrayLike,
    x: npt.ArrayLike | None = None,
    t_x: npt.ArrayLike | None = None,
    T: npt.ArrayLike | None = None,
) -> Floats:
    """P(n purchases in (T, T+t] | history); without a history, for a new customer.

    Alive, purchases K ~ NBD(r', alpha'/(alpha'+t)) while the customer lasts J purchases,
    P(J >= j) = (1-p)^(j-1); N = min(K, J), so for n >= 1
        P(N = n | alive) = P(K = n) E[(1-p)^n] + P(K >= n) E[p (1-p)^(n-1)],
    P(N = 0 | alive) = P(K = 0), with E[(1-p)^n] = B(a, b'+n) / B(a, b'),
    E[p (1-p)^(n-1)] = B(a+1, b'+n-1) / B(a, b'), P(K >= n) = I_z(n, r'), z = t/(alpha'+t);
    then P(N = n) = P_alive P(N = n | alive) + (1 - P_alive) [n = 0].
    """
    given = [v is not None for v in (x, t_x, T)]
    if any(given) and not all(given):
        raise ValueError("give all of x, t_x and T (a history), or none (a new customer)")
    xs, txs, Ts = _history(*((x, t_x, T) if all(given) else (0.0, 0.0, 0.0)))
    r, alpha, b = _posterior(params, xs, Ts)
    a, ns, ts = params.a, np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64)
    z, first = ts / (alpha + ts), np.maximum(ns, 1.0)
    log_k = gammaln(r + ns) - gammaln(r) - gammaln(ns + 1) - r * np.log1p(ts / alpha)
    log_k = log_k + xlogy(ns, z)
    stay = np.exp(log_k + betaln(a, b + ns) - betaln(a, b))
    leave = betainc(first, r, z) * np.exp(betaln(a + 1, b + first - 1) - betaln(a, b))
    given_alive = np.where(ns == 0, np.exp(log_k), stay + leave)
    alive = probability_alive(params, xs, txs, Ts)
    return np.asarray(alive * given_alive + (1 - alive) * (ns == 0))


def _first_reached(cdf: Floats, probs: Floats, out: Ints, rows: Ints, n: int) -> None:
    """Record n for each row and prob whose CDF reached the prob at n for the first time."""
    newly = (cdf[:, None] >= probs) & (out[rows] == QUANTILE_CAP)
    block = out[rows]
    block[newly] = n
    out[rows] = block


def purchase_quantiles(
    params: Model,
    t: float,
    x: npt.ArrayLike,
    t_x: npt.ArrayLike,
    T: npt.ArrayLike,
    probs: tuple[float, ...] = (0.1, 0.9),
) -> Ints:
    """For each customer and prob, the smallest n with P(N <= n | history) >= prob.

    Shape (customers, len(probs)). The pmf of ``purchase_pmf`` by recurrences in n:
    P(K = n) = P(K = n-1) (r'+n-1)/n z (in logs), P(K >= n+1) = P(K >= n) - P(K = n),
    E[(1-p)^n] = E[(1-p)^(n-1)] (b'+n-1)/(a+b'+n-1), E[p (1-p)^(n-1)] = E[(1-p)^(n-1)]
    a/(a+b'+n-1). Only customers below the largest prob are iterated; counting stops at
    QUANTILE_CAP (1000), which is then the answer for the probs not yet reached.
    """
    levels = np.asarray(probs, dtype=np.float64)
    if levels.ndim != 1 or np.any((levels <= 0) | (levels >= 1)):
        raise ValueError("probs must be a sequence of numbers strictly between 0 and 1")
    xs, txs, Ts = (v.ravel() for v in _history(x, t_x, T))
    r, alpha, b = _posterior(params, xs, Ts)
    alive = probability_alive(params, xs, txs, Ts)
    a, log_z = params.a, np.log(t / (alpha + t)) if t > 0 else np.full(xs.shape, -np.inf)
    log_k = -r * np.log1p(t / alpha)
    cdf, tail, moment = 1 - alive * -np.expm1(log_k), -np.expm1(log_k), np.ones(xs.shape)
    out = np.full((xs.size, levels.size), QUANTILE_CAP, dtype=np.int64)
    rows = np.arange(xs.size)
    _first_reached(cdf, levels, out, rows, 0)
    for n in range(1, QUANTILE_CAP):
        live = cdf < levels.max()
        if not live.all():
            rows, cdf, tail, moment, log_k = (v[live] for v in (rows, cdf, tail, moment, log_k))
            r, b, alive, log_z = (v[live] for v in (r, b, alive, log_z))
        if rows.size == 0:
            break
        log_k = log_k + np.log((r + n - 1) / n) + log_z
        k, share = np.exp(log_k), moment / (a + b + n - 1)
        cdf = cdf + alive * (k * share * (b + n - 1) + tail * share * a)
        moment, tail = share * (b + n - 1), np.maximum(tail - k, 0.0)
        _first_reached(cdf, levels, out, rows, n)
    return out
