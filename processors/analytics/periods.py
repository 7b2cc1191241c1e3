"""Reporting periods (SPEC §3, seeds 001 and 003): inclusive day ranges in the shop's
timezone, and their split into day, week (Monday to Sunday) or month buckets.

Pure: ``today`` (or ``now``) is an argument, nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

CUSTOM = "custom"
DEFAULT_PERIOD = "last_30_days"


class InvalidPeriod(ValueError):
    """A period name or custom range that cannot be resolved; the message says why."""


@dataclass(frozen=True)
class Period:
    name: str
    start: date  # first day, inclusive
    end: date  # last day, inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def local_today(now: datetime, timezone: str) -> date:
    """The calendar day ``now`` falls on in ``timezone`` (an IANA name such as Europe/Warsaw)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(ZoneInfo(timezone)).date()


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (weeks run Monday to Sunday, as ISO 8601 has them)."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    return day.replace(day=1)


def _days_back(count: int) -> Callable[[date], tuple[date, date]]:
    return lambda today: (today - timedelta(days=count), today - timedelta(days=1))


def _previous_week(today: date) -> tuple[date, date]:
    """The last full Monday-to-Sunday week before the week ``today`` is in."""
    monday = week_start(today)
    return monday - timedelta(days=7), monday - timedelta(days=1)


def _last_month(today: date) -> tuple[date, date]:
    """The last full calendar month before the month ``today`` is in."""
    end = month_start(today) - timedelta(days=1)
    return month_start(end), end


_NAMED: dict[str, Callable[[date], tuple[date, date]]] = {
    "today": lambda today: (today, today),
    "yesterday": _days_back(1),
    "last_7_days": _days_back(7),
    "previous_week": _previous_week,
    "last_30_days": _days_back(30),
    "last_90_days": _days_back(90),
    "last_month": _last_month,
    "quarter_to_date": lambda today: (quarter_start(today), today),
    "year_to_date": lambda today: (date(today.year, 1, 1), today),
}

PERIOD_NAMES: tuple[str, ...] = (*_NAMED, CUSTOM)


def resolve_period(
    name: str, today: date, from_: date | None = None, to: date | None = None
) -> Period:
    """The days ``name`` covers as seen on ``today``; ``custom`` takes ``from_`` and ``to``."""
    if name == CUSTOM:
        return _custom(from_, to)
    bounds = _NAMED.get(name)
    if bounds is None:
        raise InvalidPeriod("period must be one of: " + ", ".join(PERIOD_NAMES))
    if from_ is not None or to is not None:
        raise InvalidPeriod("from and to are only used with period=custom")
    start, end = bounds(today)
    return Period(name, start, end)


def _custom(from_: date | None, to: date | None) -> Period:
    if from_ is None or to is None:
        raise InvalidPeriod("period=custom needs both from and to (YYYY-MM-DD)")
    if from_ > to:
        raise InvalidPeriod("from must be on or before to")
    return Period(CUSTOM, from_, to)


def previous_period(period: Period) -> Period:
    """The period of the same number of days that ends the day before ``period`` starts."""
    try:
        end = period.start - timedelta(days=1)
        start = end - timedelta(days=period.days - 1)
    except OverflowError:
        raise InvalidPeriod("period starts too early to compare with the one before") from None
    return Period("previous", start, end)


INTERVALS: tuple[str, ...] = ("day", "week", "month")
DEFAULT_MAX_BUCKETS = 1000

_BUCKET_START: dict[str, Callable[[date], date]] = {
    "day": lambda day: day,
    "week": week_start,
    "month": month_start,
}


def _next_bucket(start: date, interval: str) -> date:
    """The first day of the bucket after the one ``start`` is in."""
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return week_start(start) + timedelta(days=7)
    return (month_start(start) + timedelta(days=31)).replace(day=1)


def split_period(
    period: Period, interval: str, max_buckets: int = DEFAULT_MAX_BUCKETS
) -> list[Period]:
    """Consecutive buckets covering ``period`` (each a Period named after ``interval``):
    days, Monday-to-Sunday weeks or calendar months; the first and the last are cut to the
    period, so a month from the 10th starts on the 10th. Every day is in exactly one bucket.
    More than ``max_buckets`` buckets raises InvalidPeriod."""
    if interval not in _BUCKET_START:
        raise InvalidPeriod("interval must be one of: " + ", ".join(INTERVALS))
    buckets: list[Period] = []
    start: date | None = period.start
    while start is not None and start <= period.end:
        if len(buckets) == max_buckets:
            raise InvalidPeriod(
                f"more than {max_buckets} {interval} buckets: choose a longer interval "
                "or a shorter period"
            )
        try:
            following: date | None = _next_bucket(start, interval)
        except OverflowError:  # the bucket reaches date.max
            following = None
        end = period.end if following is None else min(following - timedelta(days=1), period.end)
        buckets.append(Period(interval, start, end))
        start = following
    return buckets
