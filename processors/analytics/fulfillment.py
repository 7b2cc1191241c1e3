"""Fulfilment (SPEC §4 support metrics, seed 002): how long paid orders take to be
completed, and which paid orders are overdue now.

Pure: the seconds each order took come in, ``now`` is an argument; nothing here reads a
clock or a view. The definitions, word for word as the read API states them:

- Hours to complete: ``completed_at - paid_at`` in hours. A completion recorded before the
  payment (an order marked completed, then paid: cash on delivery entered late, a manual
  fix) counts as 0 hours, never as a negative duration.
- Percentiles (median ``q = 0.5``, p90 ``q = 0.9``): linear interpolation between the
  closest ranks (numpy's default ``linear`` method, Hyndman and Fan's type 7): with the
  ``n`` values sorted as ``x[0] <= ... <= x[n-1]``, ``h = (n - 1) * q``, the percentile is
  ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``. One value is its own
  percentile; no values: ``None``. Rounded to 2 decimals.
- Completed within 24 h / 48 h: the paid orders completed at most 24 (48) hours after
  payment, as a share of all the paid orders (completed or not), 4 decimals; ``None``
  without paid orders.
- Tracking share: the paid orders with a tracking number (under one of the shop's tracking
  meta keys) as a share of all the paid orders, 4 decimals; ``None`` without paid orders,
  and ``None`` when the shop does not use shipment tracking (none of its orders has a
  tracking number), so a shop without tracking shows no figure rather than 0.
- Overdue now: a paid order not completed, with a status of ``OVERDUE_STATUSES``, paid more
  than ``sla_hours`` before ``now`` (strictly: ``paid_at < now - sla_hours``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt

HOUR_SECONDS = 3600.0
HOURS_DIGITS = 2
SHARE_DIGITS = 4
MEDIAN = 0.5
P90 = 0.9
WITHIN_HOURS = (24, 48)  # the ``completed_within_<h>h_share`` metrics
OVERDUE_STATUSES = ("processing", "on-hold")  # paid, waiting for the shop
DEFAULT_SLA_HOURS = 48

Seconds = npt.ArrayLike  # one value per paid order; NaN (or None): not completed


@dataclass(frozen=True)
class FulfillmentMetrics:
    """The period's fulfilment figures (SPEC §4); more metrics join as more fields."""

    paid_orders: int
    completed: int
    hours_to_complete_median: float | None
    hours_to_complete_p90: float | None
    completed_within_24h_share: float | None
    completed_within_48h_share: float | None
    tracking_share: float | None = None


def completion_hours(elapsed_seconds: Seconds) -> npt.NDArray[np.float64]:
    """Seconds from payment to completion as hours, negatives as 0; NaN (not completed)
    stays NaN."""
    seconds = np.asarray(elapsed_seconds, dtype=np.float64)
    return np.where(np.isnan(seconds), np.nan, np.maximum(seconds, 0.0) / HOUR_SECONDS)


def percentile(values: npt.ArrayLike, q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values`` by linear interpolation (module docstring),
    rounded to 2 decimals; ``None`` without values."""
    if not 0.0 <= q <= 1.0:
        raise ValueError("q must be within 0..1")
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return None
    return round(float(np.quantile(data, q, method="linear")), HOURS_DIGITS)


def share_within(hours: npt.ArrayLike, paid_orders: int, limit_hours: float) -> float | None:
    """The share of ``paid_orders`` completed within ``limit_hours`` (inclusive): ``hours``
    holds the completed ones' hours (NaN for the others); ``None`` without paid orders."""
    if paid_orders <= 0:
        return None
    data = np.asarray(hours, dtype=np.float64)
    within = int(np.count_nonzero(data[~np.isnan(data)] <= limit_hours))
    return round(within / paid_orders, SHARE_DIGITS)


def fulfillment_metrics(
    elapsed_seconds: Seconds, tracked: npt.ArrayLike | None = None
) -> FulfillmentMetrics:
    """The figures over the paid orders of a period, one value each: the seconds from its
    payment to its completion, NaN when it is not completed; and whether it has a tracking
    number (``tracked``, None when the shop does not use shipment tracking)."""
    hours = completion_hours(elapsed_seconds)
    done = hours[~np.isnan(hours)]
    paid = int(hours.size)
    if tracked is not None and np.asarray(tracked).size != paid:
        raise ValueError("tracked needs one value per paid order")
    day, two_days = (share_within(hours, paid, limit) for limit in WITHIN_HOURS)
    return FulfillmentMetrics(
        paid_orders=paid,
        completed=int(done.size),
        hours_to_complete_median=percentile(done, MEDIAN),
        hours_to_complete_p90=percentile(done, P90),
        completed_within_24h_share=day,
        completed_within_48h_share=two_days,
        tracking_share=None if tracked is None else share_tracked(tracked),
    )


def share_tracked(tracked: npt.ArrayLike) -> float | None:
    """The share of the paid orders (one bool each) that have a tracking number, 4
    decimals; ``None`` without paid orders."""
    flags = np.asarray(tracked, dtype=bool)
    if flags.size == 0:
        return None
    return round(int(np.count_nonzero(flags)) / int(flags.size), SHARE_DIGITS)


def overdue_before(now: datetime, sla_hours: int) -> datetime:
    """An open order paid before this instant is overdue at ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now - timedelta(hours=sla_hours)


def hours_since(paid_at: datetime, now: datetime) -> float:
    """Hours from ``paid_at`` to ``now`` (0 when paid after ``now``), 2 decimals."""
    seconds = (now - paid_at).total_seconds()
    return round(max(seconds, 0.0) / HOUR_SECONDS, HOURS_DIGITS)
