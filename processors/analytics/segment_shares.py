"""Segment shares over time (issue 14, seed 000's "Champions +15% this quarter"): from the
customers per segment on each rescoring day, each segment's share of the scored customers
that day, and how each segment's share moved from the first day to the last.

Pure: the counts come in (the read API reconstructs them from the segment history), shares
and changes go out. Shares are fractions 0..1 with 4 decimals, changes in percentage points
and in percent of the first day's share (2 decimals; null when that share is 0 or none).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

SHARE_DIGITS = 4
CHANGE_DIGITS = 2


@dataclass(frozen=True)
class SegmentDay:
    """One segment on one rescoring day."""

    day: date
    segment: str
    customers: int
    scored_customers: int  # all segments' customers that day
    share: float | None  # customers / scored_customers; None when nobody is scored


@dataclass(frozen=True)
class SegmentMove:
    """One segment from the range's first rescoring day to its last."""

    segment: str
    first_customers: int
    last_customers: int
    first_share: float | None
    last_share: float | None
    share_change_pp: float | None  # percentage points; None without both shares
    share_change_pct: float | None  # percent of the first share; None when it is 0 or none


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, SHARE_DIGITS) if whole else None


def segment_days(
    counts: Iterable[tuple[date, str, int]], segments: Sequence[str]
) -> list[SegmentDay]:
    """Every day of ``counts`` (oldest first) with every one of ``segments`` (in that order,
    missing ones with 0 customers), each with its share of that day's scored customers."""
    by_day: dict[date, dict[str, int]] = {}
    for day, segment, customers in counts:
        found = by_day.setdefault(day, {})
        found[segment] = found.get(segment, 0) + int(customers)
    rows = []
    for day in sorted(by_day):
        found = by_day[day]
        scored = sum(found.get(name, 0) for name in segments)
        for name in segments:
            part = found.get(name, 0)
            rows.append(SegmentDay(day, name, part, scored, _share(part, scored)))
    return rows


def _move(first: SegmentDay, last: SegmentDay) -> SegmentMove:
    pp = pct = None
    if first.share is not None and last.share is not None:
        # from the exact fractions, so rounding the shares does not move the change
        now = last.customers / last.scored_customers
        before = first.customers / first.scored_customers
        pp = round((now - before) * 100, CHANGE_DIGITS)
        pct = round((now - before) * 100 / before, CHANGE_DIGITS) if before else None
    return SegmentMove(
        first.segment,
        first.customers,
        last.customers,
        first.share,
        last.share,
        pp,
        pct,
    )


def segment_moves(days: Sequence[SegmentDay], segments: Sequence[str]) -> list[SegmentMove]:
    """Each segment's move from the first day of ``days`` to the last (``segment_days``'
    rows), in ``segments`` order; empty without days."""
    if not days:
        return []
    first, last = days[0].day, days[-1].day
    start = {row.segment: row for row in days if row.day == first}
    end = {row.segment: row for row in days if row.day == last}
    return [_move(start[name], end[name]) for name in segments]
