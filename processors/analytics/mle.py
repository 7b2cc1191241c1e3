"""Shared machinery for the maximum likelihood fits: exact row grouping and the optimiser.

Pure numpy/scipy. Customers with identical inputs contribute identical likelihood terms,
so a fit runs over the distinct rows weighted by their counts (exact, not an approximation).

The optimiser maximises over log-parameters (every model parameter is positive): L-BFGS-B
with the model's analytic gradient, box-bounded to ``|log theta| <= LOG_BOUND`` so a step can
never overflow; if that fails, Nelder-Mead (no gradient) from the best point so far. An
optimum on the box edge means a parameter runs off to 0 or infinity (the data do not
identify the model), and so is one beyond ``LOG_PLAUSIBLE``: both are reported as failures
rather than as fits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from scipy.optimize import OptimizeResult, minimize
from threadpoolctl import ThreadpoolController

Floats = npt.NDArray[np.float64]
Objective = Callable[[Floats], tuple[float, Floats]]

LOG_BOUND = 20.0  # the optimiser's box: parameters within [2e-9, 4.9e8]
LOG_PLAUSIBLE = 15.0  # a fit is accepted with parameters within [3e-7, 3.3e6]
_EXACT = 2.0**53  # float64 integers are exact below this


class FitFailed(ValueError):
    """No fit: nothing to fit, an invalid history, or no (interior) maximum found
    (a shop too small or too odd to fit)."""


@dataclass(frozen=True)
class Maximum:
    """Where the optimiser stopped: parameters, the maximised value and how it got there."""

    params: Floats
    value: float
    method: str
    iterations: int


def _integer_codes(columns: list[Floats]) -> tuple[npt.NDArray[np.int64], list[int]] | None:
    """Mixed-radix codes of rows of non-negative whole numbers; None if any value is not one."""
    with np.errstate(invalid="ignore"):
        ints = [c.astype(np.int64) for c in columns]
    if not all(np.array_equal(i, c) for i, c in zip(ints, columns, strict=True)):
        return None
    if min(int(i.min()) for i in ints) < 0:
        return None
    radices = [int(i.max()) + 1 for i in ints]
    if float(np.prod(np.array(radices, dtype=np.float64))) >= _EXACT:
        return None
    codes = ints[0].copy()
    for column, radix in zip(ints[1:], radices[1:], strict=True):
        codes *= radix
        codes += column
    return codes, radices


def _sorted_distinct(cols: list[Floats]) -> tuple[list[Floats], Floats]:
    """Distinct rows by a lexicographic sort of the columns (nan rows are never merged)."""
    order = np.lexsort(cols[::-1])
    ordered = [c[order] for c in cols]
    change = np.zeros(order.size, dtype=bool)
    change[0] = True
    for column in ordered:
        change[1:] |= column[1:] != column[:-1]
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, order.size)).astype(np.float64)
    return [column[starts] for column in ordered], counts


def distinct_rows(*columns: npt.ArrayLike) -> tuple[list[Floats], Floats]:
    """Distinct rows (sorted lexicographically) of equal-length columns, with their counts.

    Whole non-negative numbers (days, counts) are grouped through one int64 mixed-radix code
    per row, a 1-D sort; anything else through a lexicographic sort of the columns. Both
    give the same rows in the same order.
    """
    cols = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    if cols[0].size == 0:
        return [c.copy() for c in cols], np.zeros(0)
    encoded = _integer_codes(cols)
    if encoded is None:
        return _sorted_distinct(cols)
    codes, radices = encoded
    remaining, counts = np.unique(codes, return_counts=True)
    decoded: list[Floats] = []
    for radix in reversed(radices[1:]):
        remaining, digit = np.divmod(remaining, radix)
        decoded.append(digit.astype(np.float64))
    decoded.append(remaining.astype(np.float64))
    return decoded[::-1], counts.astype(np.float64)


def row_groups(*columns: Floats) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """For equal-length columns: the index of one row of each distinct row, and each row's
    group (``columns[i][first][inverse] == columns[i]``); packed like ``distinct_rows``."""
    cols = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    encoded = _integer_codes(cols) if cols[0].size else None
    if encoded is not None:
        _, first, inverse = np.unique(encoded[0], return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    _, first, inverse = np.unique(
        np.column_stack(cols), axis=0, return_index=True, return_inverse=True
    )
    return first, inverse.reshape(-1)


def totals_by_value(values: Floats, weights: Floats) -> tuple[Floats, Floats]:
    """Distinct values and the summed weight of each (a weighted histogram, exact)."""
    if values.size and values.min() >= 0 and values.max() < 1e6:
        whole = values.astype(np.int64)  # finite here: nan fails the comparisons above
        if np.array_equal(whole, values):
            sums = np.bincount(whole, weights=weights).astype(np.float64)
            present = np.flatnonzero(np.bincount(whole))
            return present.astype(np.float64), sums[present]
    distinct, inverse = np.unique(values, return_inverse=True)
    summed = np.bincount(inverse.ravel(), weights=weights, minlength=distinct.size)
    return distinct, summed.astype(np.float64)


def weighted_sum(weights: Floats, values: Floats) -> float:
    """sum_i w_i v_i, without BLAS: a threaded BLAS call per evaluation costs more than it saves
    (its worker threads spin and steal the cores the optimiser runs on)."""
    return float(np.einsum("i,i->", weights, values))


def _interior(log_params: Floats) -> bool:
    return bool(np.all(np.abs(log_params) < LOG_PLAUSIBLE))


def _lbfgsb_done(result: OptimizeResult) -> bool:
    """Converged, or stopped by rounding in the line search at a vanishing gradient."""
    flat = np.max(np.abs(result.jac)) <= 1e-6 if result.jac is not None else False
    return bool((result.success or flat) and np.isfinite(result.fun))


@cache
def _blas() -> ThreadpoolController:
    """The loaded thread pools, found once (a fresh search costs 1.5 ms per fit)."""
    return ThreadpoolController()


def maximise(objective: Objective, start: Floats) -> Maximum:
    """Minimise ``objective(log_params) -> (value, gradient)`` from ``log(start)``.

    The objective is a mean negative log-likelihood per customer (so tolerances do not
    depend on the shop's size); the returned ``value`` is its negation. Raises
    ``FitFailed`` if neither method converges, or if the optimum is not interior (some
    parameter beyond e^+-15: the likelihood keeps growing as it runs off to 0 or infinity,
    e.g. a shop where nobody has dropped out yet).
    """
    # one BLAS thread: scipy's L-BFGS-B wakes OpenBLAS workers for tiny products, which
    # costs more than it gains and stalls badly when the other core is busy
    with _blas().limit(limits=1, user_api="blas"):
        first = minimize(
            objective,
            np.log(start),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-LOG_BOUND, LOG_BOUND)] * start.size,
            options={"ftol": 1e-13, "gtol": 1e-8, "maxiter": 1_000},
        )
    if _lbfgsb_done(first):
        best = Maximum(np.exp(first.x), -float(first.fun), "L-BFGS-B", int(first.nit))
    else:
        second = minimize(
            lambda log_params: objective(log_params)[0],
            first.x if np.isfinite(first.fun) else np.log(start),
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 4_000},
        )
        if not second.success or not np.isfinite(second.fun):
            raise FitFailed(f"no convergence: {first.message}; {second.message}")
        best = Maximum(np.exp(second.x), -float(second.fun), "Nelder-Mead", int(second.nit))
    if not _interior(np.log(best.params)):
        raise FitFailed("no interior maximum: a parameter runs off to 0 or infinity")
    return best
