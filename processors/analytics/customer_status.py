"""Customer status by return cycle (SPEC §4, seed 004).

Pure numpy. Input: one row per paid order, ``customer`` (any sortable key) and
``order_day`` (the shop-local day of the order, anything ``datetime64[D]`` accepts);
``as_of`` is the shop-local day the status is computed for. Decisions:

- Orders on the same day are one purchase occasion (as the CLV model merges them), so
  duplicates never change a result and no cycle is ever 0 days. "One order" in SPEC §4
  therefore reads "one purchase day": two orders on the first day are still New.
- Orders after ``as_of`` are ignored (the status as it was on that day).
- Cycle: the median of the customer's days between purchase days (2+ days, source ``own``);
  otherwise the shop's median days from first to second purchase day (``shop``); when no
  customer in the shop has come back, ``fallback_cycle_days`` (default 90, ``fallback``).
- With e = days since the last purchase day and c the cycle:
  e > 3c -> Lost; 1.5c < e <= 3c -> At risk; otherwise New (one day) or Active (2+ days).
  Exactly 1.5 cycles is still New/Active and exactly 3 cycles is still At risk. Between
  1 and 1.5 cycles the customer is overdue (``days_overdue`` > 0) but keeps New/Active:
  the 0.5-cycle grace band of SPEC §4.
- Expected return date = last purchase day + the cycle rounded half-up to whole days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NEW = "New"
ACTIVE = "Active"
AT_RISK = "At risk"
LOST = "Lost"
STATUSES: tuple[str, ...] = (NEW, ACTIVE, AT_RISK, LOST)

AT_RISK_CYCLES = 1.5
LOST_CYCLES = 3.0
DEFAULT_FALLBACK_CYCLE_DAYS = 90.0


AsOf = dt.date | np.datetime64
ShopCycle = tuple[float, str]  # days, and "shop" (measured) or "fallback"


@dataclass(frozen=True)
class PurchaseDays:
    """Distinct (customer, day) pairs sorted by customer then day; ``code`` indexes ``keys``."""

    keys: npt.NDArray[np.generic]
    code: npt.NDArray[np.int64]
    day: npt.NDArray[np.int64]  # days since 1970-01-01


@dataclass(frozen=True)
class ReturnCycles:
    customer: npt.NDArray[np.generic]  # sorted distinct keys
    cycle_days: npt.NDArray[np.float64]
    source: npt.NDArray[np.object_]  # "own" | "shop" | "fallback"


@dataclass(frozen=True)
class CustomerStatuses:
    customer: npt.NDArray[np.generic]  # sorted distinct keys
    purchase_days: npt.NDArray[np.int64]
    last_order: npt.NDArray[np.datetime64]
    cycle_days: npt.NDArray[np.float64]
    cycle_source: npt.NDArray[np.object_]
    days_since_last: npt.NDArray[np.int64]
    days_overdue: npt.NDArray[np.float64]  # days since last minus cycle; > 0 means late
    expected_return: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.object_]


def _as_day(value: dt.date | np.datetime64 | str) -> np.int64:
    return np.int64(np.datetime64(value, "D").astype(np.int64))


def purchase_days(
    customer: npt.ArrayLike, order_day: npt.ArrayLike, as_of: AsOf | None = None
) -> PurchaseDays:
    """Distinct purchase days per customer, dropping orders after ``as_of`` when given."""
    keys_in = np.asarray(customer)
    days = np.asarray(order_day, dtype="datetime64[D]").astype(np.int64)
    if keys_in.shape != days.shape or keys_in.ndim != 1:
        raise ValueError("customer and order_day must be one-dimensional and the same length")
    if as_of is not None:
        keep = days <= _as_day(as_of)
        keys_in, days = keys_in[keep], days[keep]
    keys, code = np.unique(keys_in, return_inverse=True)
    code = code.astype(np.int64).reshape(-1)
    order = np.lexsort((days, code))
    code, days = code[order], days[order]
    first = np.ones(code.size, dtype=bool)
    first[1:] = (code[1:] != code[:-1]) | (days[1:] != days[:-1])
    return PurchaseDays(keys=keys, code=code[first], day=days[first])


def _group_medians(
    code: npt.NDArray[np.int64], values: npt.NDArray[np.int64], groups: int
) -> npt.NDArray[np.float64]:
    """Median of ``values`` per group code; NaN for groups without values."""
    order = np.lexsort((values, code))
    code, values = code[order], values[order].astype(np.float64)
    counts = np.bincount(code, minlength=groups)
    starts = np.cumsum(counts) - counts
    medians = np.full(groups, np.nan)
    has = counts > 0
    lo = starts[has] + (counts[has] - 1) // 2
    hi = starts[has] + counts[has] // 2
    medians[has] = (values[lo] + values[hi]) / 2
    return medians


def _shop_cycle(pd: PurchaseDays, fallback_cycle_days: float) -> tuple[float, str]:
    """Median days from first to second purchase day over returning customers."""
    is_first = np.ones(pd.code.size, dtype=bool)
    is_first[1:] = pd.code[1:] != pd.code[:-1]
    second_of_same = np.zeros(pd.code.size, dtype=bool)
    second_of_same[:-1] = is_first[:-1] & (pd.code[1:] == pd.code[:-1])
    idx = np.flatnonzero(second_of_same)
    if idx.size == 0:
        return float(fallback_cycle_days), "fallback"
    return float(np.median(pd.day[idx + 1] - pd.day[idx])), "shop"


def _cycles(
    pd: PurchaseDays, fallback_cycle_days: float, shop_cycle: ShopCycle | None = None
) -> ReturnCycles:
    if not fallback_cycle_days > 0:
        raise ValueError("fallback_cycle_days must be positive")
    same = np.zeros(pd.code.size, dtype=bool)
    same[1:] = pd.code[1:] == pd.code[:-1]
    gaps_code, gaps = pd.code[same], (pd.day[1:] - pd.day[:-1])[same[1:]]
    own = _group_medians(gaps_code, gaps, pd.keys.size)
    shop, shop_source = shop_cycle or _shop_cycle(pd, fallback_cycle_days)
    has_own = ~np.isnan(own)
    source = np.where(has_own, "own", shop_source).astype(object)
    return ReturnCycles(customer=pd.keys, cycle_days=np.where(has_own, own, shop), source=source)


def expected_cycle_days(
    customer: npt.ArrayLike,
    order_day: npt.ArrayLike,
    fallback_cycle_days: float = DEFAULT_FALLBACK_CYCLE_DAYS,
) -> ReturnCycles:
    """Each customer's expected return cycle in days (see the module doc for the rule)."""
    return _cycles(purchase_days(customer, order_day), fallback_cycle_days)


def classify_status(
    days_since_last: npt.ArrayLike, cycle_days: npt.ArrayLike, purchase_day_count: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """New / Active / At risk / Lost from elapsed days, cycle and number of purchase days."""
    elapsed = np.asarray(days_since_last, dtype=np.float64)
    cycle = np.asarray(cycle_days, dtype=np.float64)
    within = np.where(np.asarray(purchase_day_count) >= 2, ACTIVE, NEW)
    status = np.where(elapsed > AT_RISK_CYCLES * cycle, AT_RISK, within)
    return np.where(elapsed > LOST_CYCLES * cycle, LOST, status).astype(object)


def shop_cycle(
    customer: npt.ArrayLike,
    order_day: npt.ArrayLike,
    as_of: AsOf,
    fallback_cycle_days: float = DEFAULT_FALLBACK_CYCLE_DAYS,
) -> ShopCycle:
    """The shop's median days from first to second purchase day (and its source), as a
    rescoring keeps it for the customers scored until the next one."""
    return _shop_cycle(purchase_days(customer, order_day, as_of), fallback_cycle_days)


def score_customer_status(
    customer: npt.ArrayLike,
    order_day: npt.ArrayLike,
    as_of: AsOf,
    fallback_cycle_days: float = DEFAULT_FALLBACK_CYCLE_DAYS,
    kept_shop_cycle: ShopCycle | None = None,
) -> CustomerStatuses:
    """Status, cycle and expected return date of every customer with a paid order by
    ``as_of``. ``kept_shop_cycle``: the shop's cycle as a rescoring kept it (to score some
    customers between rescorings); else it is measured on these customers."""
    pd = purchase_days(customer, order_day, as_of)
    cycles = _cycles(pd, fallback_cycle_days, kept_shop_cycle)
    counts = np.bincount(pd.code, minlength=pd.keys.size).astype(np.int64)
    last = np.full(pd.keys.size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, pd.code, pd.day)
    elapsed = _as_day(as_of) - last
    return_in = np.floor(cycles.cycle_days + 0.5).astype(np.int64)
    return CustomerStatuses(
        customer=pd.keys,
        purchase_days=counts,
        last_order=last.astype("datetime64[D]"),
        cycle_days=cycles.cycle_days,
        cycle_source=cycles.source,
        days_since_last=elapsed,
        days_overdue=elapsed - cycles.cycle_days,
        expected_return=(last + return_in).astype("datetime64[D]"),
        status=classify_status(elapsed, cycles.cycle_days, counts),
    )
