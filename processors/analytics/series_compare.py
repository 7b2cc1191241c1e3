"""The timeseries compared (issue 14, SPEC §3): which period a series is compared with, which
bucket of that period faces each bucket of the series, and each bucket's sales figures.

Pure: sale totals and first purchases come in by local day (the read API sums them in
DuckDB); money is Decimal with 2 places, AOV the KPIs' (net revenue / orders).

- ``previous``: the period of as many days right before (SPEC §3); a period of whole
  calendar months (``last_month``, or a custom one from a 1st to a month's last day) is
  compared with as many whole months right before it (March with February).
- ``year``: the same dates a year earlier (29 February gives 28 February).
- ``none``: no comparison.

Facing buckets: by day or week, the bucket at the same offset from the compared period's
first day, as long and cut to that period (so a 7-day bucket faces 7 days, and day 31 of
March faces nothing in February); by month, the compared period's calendar months in
order (cut to it), the first facing the first.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from processors.analytics.kpis import ZERO, average_order_value
from processors.analytics.periods import (
    InvalidPeriod,
    Period,
    previous_period,
    split_period,
)
from processors.analytics.summary_periods import same_date_last_year

COMPARES: tuple[str, ...] = ("previous", "year", "none")
SERIES_METRICS: tuple[str, ...] = (
    "gross_revenue",
    "net_revenue",
    "orders",
    "aov",
    "new_customers",
)
TOO_EARLY = "period starts too early to compare with the one before"


@dataclass(frozen=True)
class SeriesFigures:
    """Sale orders' gross (order totals) and net (less refunds) revenue, their count, and
    the customers whose first sale order falls in the days summed."""

    gross_revenue: Decimal = ZERO
    net_revenue: Decimal = ZERO
    orders: int = 0
    new_customers: int = 0

    def __add__(self, other: SeriesFigures) -> SeriesFigures:
        return SeriesFigures(
            self.gross_revenue + other.gross_revenue,
            self.net_revenue + other.net_revenue,
            self.orders + other.orders,
            self.new_customers + other.new_customers,
        )

    @property
    def aov(self) -> Decimal | None:
        return average_order_value(self.net_revenue, self.orders)

    def values(self) -> tuple[Decimal | int | None, ...]:
        """The figures in ``SERIES_METRICS`` order."""
        return tuple(getattr(self, name) for name in SERIES_METRICS)


def _months(day: date) -> int:
    return day.year * 12 + day.month - 1


def _month_number(months: int) -> date:
    return date(months // 12, months % 12 + 1, 1)


def is_whole_months(period: Period) -> bool:
    """Whether ``period`` runs from a month's first day to a month's last day."""
    return period.start.day == 1 and (period.end + timedelta(days=1)).day == 1


def months_before(period: Period) -> Period:
    """As many whole calendar months as ``period`` spans, ending the day before it."""
    count = _months(period.end) - _months(period.start) + 1
    first = _months(period.start) - count
    if first < _months(date.min):
        raise InvalidPeriod(TOO_EARLY)
    return Period("previous", _month_number(first), period.start - timedelta(days=1))


def year_before(period: Period) -> Period:
    """The same dates a year earlier (29 February gives 28 February)."""
    if period.start.year == 1:
        raise InvalidPeriod(TOO_EARLY)
    return Period("year", same_date_last_year(period.start), same_date_last_year(period.end))


def compared_period(period: Period, compare: str) -> Period | None:
    """The period ``period`` is compared with (``COMPARES``); None for ``none``."""
    if compare == "none":
        return None
    if compare == "year":
        return year_before(period)
    if compare != "previous":
        raise InvalidPeriod("compare must be one of: " + ", ".join(COMPARES))
    if is_whole_months(period):
        return months_before(period)
    return previous_period(period)


def facing_buckets(
    buckets: Sequence[Period], current: Period, compared: Period, interval: str
) -> list[Period | None]:
    """For each of ``current``'s ``buckets`` (by ``interval``), the bucket of ``compared``
    facing it, or None (see the module's docstring)."""
    if interval == "month":
        theirs = split_period(compared, "month", len(buckets) + 1)
        return [theirs[n] if n < len(theirs) else None for n in range(len(buckets))]
    shift = current.start - compared.start
    facing: list[Period | None] = []
    for bucket in buckets:
        start = bucket.start - shift
        end = min(bucket.end - shift, compared.end)
        facing.append(Period(interval, start, end) if start <= compared.end else None)
    return facing


def bucket_figures(
    buckets: Sequence[Period | None], days: Mapping[date, SeriesFigures]
) -> list[SeriesFigures | None]:
    """Each bucket's figures: the sum of ``days`` inside it (None for a missing bucket).
    ``buckets`` must not overlap and must run in date order."""
    placed = [(bucket.start, n) for n, bucket in enumerate(buckets) if bucket is not None]
    starts = [start for start, _ in placed]
    sums: list[SeriesFigures | None] = [
        None if bucket is None else SeriesFigures() for bucket in buckets
    ]
    for day, figures in days.items():
        at = bisect_right(starts, day) - 1
        if at < 0:
            continue
        n = placed[at][1]
        bucket, total = buckets[n], sums[n]
        if bucket is not None and total is not None and day <= bucket.end:
            sums[n] = total + figures
    return sums


def period_figures(period: Period, days: Mapping[date, SeriesFigures]) -> SeriesFigures:
    """The figures of every day of ``period``."""
    total = SeriesFigures()
    for day, figures in days.items():
        if period.contains(day):
            total += figures
    return total
