"""Retention: purchase counts, repeat purchase rate, monthly cohorts (SPEC §4, seed 004).

Pure numpy. Input: one row per paid order, ``customer`` (any sortable key) and, for
cohorts, ``order_day`` (the shop-local day, anything ``datetime64[D]`` accepts).

- Purchase count = paid orders (rows) per customer, bucketed 1, 2, 3, 4, 5+.
- Repeat purchase rate = customers with 2 or more paid orders / customers with at least one;
  ``None`` when there are no customers (no base, as for percentage changes in SPEC §3).
- Cohort = calendar month of the customer's first paid order. Cell (cohort, k) = share of
  the cohort's customers with a paid order in calendar month cohort + k (k = 0 is always 1).
  Orders after ``as_of`` are ignored; cells for months after the month of ``as_of`` are NaN
  (not observed yet), while the month of ``as_of`` itself counts as observed, partially.
  Only months in which someone first bought appear as cohorts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

PURCHASE_COUNT_LABELS: tuple[str, ...] = ("1", "2", "3", "4", "5+")


@dataclass(frozen=True)
class PurchaseCountDistribution:
    labels: tuple[str, ...]
    customers: npt.NDArray[np.int64]  # customers per bucket, aligned with labels
    share: npt.NDArray[np.float64]  # customers / total; zeros when there are no customers
    repeat_rate: float | None


@dataclass(frozen=True)
class CohortRetention:
    cohort: npt.NDArray[np.datetime64]  # datetime64[M], ascending
    size: npt.NDArray[np.int64]  # customers in each cohort
    customers: npt.NDArray[np.int64]  # (cohort, months since) customers with an order
    share: npt.NDArray[np.float64]  # customers / size; NaN where not observed yet


def orders_per_customer(
    customer: npt.ArrayLike,
) -> tuple[npt.NDArray[np.generic], npt.NDArray[np.int64]]:
    """Sorted distinct customer keys and their number of paid orders (rows)."""
    keys, counts = np.unique(np.asarray(customer), return_counts=True)
    return keys, counts.astype(np.int64)


def repeat_purchase_rate(customer: npt.ArrayLike) -> float | None:
    """Share of customers with two or more paid orders; ``None`` without customers."""
    _, counts = orders_per_customer(customer)
    if counts.size == 0:
        return None
    return float(np.count_nonzero(counts >= 2) / counts.size)


def purchase_count_distribution(customer: npt.ArrayLike) -> PurchaseCountDistribution:
    """How many customers placed 1, 2, 3, 4 and 5 or more paid orders."""
    _, counts = orders_per_customer(customer)
    buckets = np.minimum(counts, 5) - 1
    per_bucket = np.bincount(buckets, minlength=5).astype(np.int64)
    total = counts.size
    share = per_bucket / total if total else np.zeros(5, dtype=np.float64)
    return PurchaseCountDistribution(
        labels=PURCHASE_COUNT_LABELS,
        customers=per_bucket,
        share=share,
        repeat_rate=repeat_purchase_rate(customer),
    )


def _customer_months(
    customer: npt.ArrayLike, order_day: npt.ArrayLike, as_of: dt.date | np.datetime64
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], np.int64]:
    """Distinct (customer code, month index) pairs up to ``as_of``, and the month of as_of."""
    keys = np.asarray(customer)
    days = np.asarray(order_day, dtype="datetime64[D]")
    if keys.shape != days.shape or keys.ndim != 1:
        raise ValueError("customer and order_day must be one-dimensional and the same length")
    as_of_day = np.datetime64(as_of, "D")
    keep = days <= as_of_day
    months = days[keep].astype("datetime64[M]").astype(np.int64)
    _, code = np.unique(keys[keep], return_inverse=True)
    pairs = np.unique(np.stack([code.reshape(-1).astype(np.int64), months]), axis=1)
    end_month = np.int64(as_of_day.astype("datetime64[M]").astype(np.int64))
    return pairs[0], pairs[1], end_month


def cohort_retention(
    customer: npt.ArrayLike, order_day: npt.ArrayLike, as_of: dt.date | np.datetime64
) -> CohortRetention:
    """Monthly cohort retention matrix (see the module doc for the definitions)."""
    code, month, end_month = _customer_months(customer, order_day, as_of)
    if code.size == 0:
        empty = np.zeros((0, 0), dtype=np.int64)
        return CohortRetention(
            np.zeros(0, "datetime64[M]"), np.zeros(0, np.int64), empty, empty.astype(float)
        )
    first = np.full(code.max() + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, code, month)
    cohorts, cohort_of_customer = np.unique(first, return_inverse=True)
    size = np.bincount(cohort_of_customer, minlength=cohorts.size).astype(np.int64)
    width = int(end_month - cohorts[0]) + 1
    counts = np.zeros((cohorts.size, width), dtype=np.int64)
    np.add.at(counts, (cohort_of_customer[code], month - first[code]), 1)
    share = counts / size[:, None]
    unobserved = cohorts[:, None] + np.arange(width)[None, :] > end_month
    share[unobserved] = np.nan
    return CohortRetention(
        cohort=cohorts.astype("datetime64[M]"), size=size, customers=counts, share=share
    )
