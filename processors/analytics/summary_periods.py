"""The six periods of the sales summary tiles (SPEC §3, seed 001) and what each is compared
with, as local days of the shop and as instants (aware UTC, half-open ``[start, end)``).

Pure: ``now`` and the shop's timezone (an IANA name) are arguments. ``today`` is ``now``'s
day in that timezone and ``clock`` its local time of day.

- today: from today's midnight to ``now``; against yesterday from midnight to ``clock``.
- yesterday: the whole day; against the whole day before.
- last_7_days, last_30_days: the 7 (30) whole days before today; against the 7 (30) days
  right before those.
- quarter_to_date: from the quarter's first day to ``now``; against the previous quarter
  from its first day to the day at the same offset from it, until ``clock``.
- year_to_date: from 1 January to ``now``; against last year from 1 January to the same
  date, until ``clock``.

So a "to date" period is compared with the same point of the period before it: the same
time of day, the same day of the quarter (the previous quarter's last day when it is
shorter: 30 September compares with 30 June), the same calendar date (29 February with 28
February). Yesterday, 7 and 30 days are whole days and compare with as many days right
before them, as SPEC §3 says. (The ``kpis`` endpoint's quarter_to_date and year_to_date
are whole days compared with as many days right before them: periods.py.)

Local times: a day starts at its first instant (midnight, or the moment the clocks jump
where a change skips midnight). A time of day is read as the wall clock shows it, the way
PEP 495 reads ``fold=0``: a time the clocks skipped (02:30 on a spring-forward night in
Warsaw) is read with the offset before the change, so it lands after the gap (03:30
summer time); a time the clocks show twice (02:30 on an autumn night) is its first
occurrence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from processors.analytics.periods import quarter_start

TILE_NAMES: tuple[str, ...] = (
    "today",
    "yesterday",
    "last_7_days",
    "last_30_days",
    "quarter_to_date",
    "year_to_date",
)


@dataclass(frozen=True)
class Span:
    """The local days ``first_day`` to ``last_day`` as the instants ``[start, end)``.

    ``end`` is the first instant after ``last_day``, or, when ``partial``, an instant on
    ``last_day`` (the span stops at a time of day)."""

    first_day: date
    last_day: date
    start: datetime
    end: datetime
    partial: bool


@dataclass(frozen=True)
class Tile:
    name: str
    current: Span
    previous: Span


@dataclass(frozen=True)
class _Local:
    """``now`` as the shop sees it."""

    now: datetime  # aware UTC
    today: date
    clock: time  # wall time of day, naive
    zone: ZoneInfo


# (first day, last day, stops at the time of day) of a span
_Days = tuple[date, date, bool]
_Rule = Callable[[date], tuple[_Days, _Days]]


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, in UTC."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """``day_start``, kept within what a datetime holds (a day at the very start or end of
    the calendar gives the first or last instant there is)."""
    try:
        return day_start(day, zone)
    except OverflowError:
        return (datetime.min if day.year == 1 else datetime.max).replace(tzinfo=UTC)


def same_date_last_year(day: date) -> date:
    """``day``'s month and day a year earlier; 29 February gives 28 February."""
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def previous_quarter_to_date(day: date) -> tuple[date, date]:
    """The previous quarter's first day and its day at ``day``'s offset in its own quarter
    (the previous quarter's last day when that quarter is shorter)."""
    first = quarter_start(day)
    last_of_previous = first - timedelta(days=1)
    previous_first = quarter_start(last_of_previous)
    same_offset = previous_first + (day - first)
    return previous_first, min(same_offset, last_of_previous)


def _today(today: date) -> tuple[_Days, _Days]:
    yesterday = today - timedelta(days=1)
    return (today, today, True), (yesterday, yesterday, True)


def _days_back(count: int) -> _Rule:
    def rule(today: date) -> tuple[_Days, _Days]:
        last = today - timedelta(days=1)
        first = today - timedelta(days=count)
        before = first - timedelta(days=1)
        return (first, last, False), (before - timedelta(days=count - 1), before, False)

    return rule


def _quarter_to_date(today: date) -> tuple[_Days, _Days]:
    previous_first, previous_last = previous_quarter_to_date(today)
    return (quarter_start(today), today, True), (previous_first, previous_last, True)


def _year_to_date(today: date) -> tuple[_Days, _Days]:
    first = date(today.year, 1, 1)
    previous = (date(today.year - 1, 1, 1), same_date_last_year(today), True)
    return (first, today, True), previous


_RULES: dict[str, _Rule] = {
    "today": _today,
    "yesterday": _days_back(1),
    "last_7_days": _days_back(7),
    "last_30_days": _days_back(30),
    "quarter_to_date": _quarter_to_date,
    "year_to_date": _year_to_date,
}


def _span(days: _Days, local: _Local) -> Span:
    first, last, partial = days
    start = day_start(first, local.zone)
    after = day_start(last + timedelta(days=1), local.zone)
    if not partial:
        return Span(first, last, start, after, False)
    if last == local.today:  # the current period: up to now, exactly
        end = local.now
    else:  # the same wall time on ``last``, kept inside that day
        wall = datetime.combine(last, local.clock, tzinfo=local.zone).astimezone(UTC)
        end = min(max(wall, day_start(last, local.zone)), after)
    return Span(first, last, start, end, True)


def summary_tiles(now: datetime, timezone: str) -> tuple[Tile, ...]:
    """The six tiles (``TILE_NAMES`` order) for ``now`` in the shop's ``timezone``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    zone = ZoneInfo(timezone)
    seen = now.astimezone(zone)
    local = _Local(now.astimezone(UTC), seen.date(), seen.time().replace(fold=0), zone)
    tiles = []
    for name in TILE_NAMES:
        current, previous = _RULES[name](local.today)
        tiles.append(Tile(name, _span(current, local), _span(previous, local)))
    return tuple(tiles)
