"""The sales summary tiles' periods: local days and UTC instants, across DST changes,
month, quarter and year edges, and shops east and west of UTC.

Every expected instant below is worked out by hand from the zone's offsets (Warsaw: CET
+1, CEST +2 from the last Sunday of March 01:00 UTC to the last Sunday of October 01:00
UTC; Auckland: NZDT +13 until the first Sunday of April, NZST +12 after; Tokyo +9, no DST).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.summary_periods import (
    TILE_NAMES,
    Span,
    Tile,
    day_start,
    previous_quarter_to_date,
    same_date_last_year,
    summary_tiles,
)

D = date.fromisoformat


def Z(text: str) -> datetime:
    """An instant written in UTC: ``2026-03-28 23:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def local(text: str, timezone: str) -> datetime:
    """A wall time in ``timezone`` as an aware instant (fold=0)."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(timezone))


def tiles_at(now: datetime, timezone: str) -> dict[str, Tile]:
    return {tile.name: tile for tile in summary_tiles(now, timezone)}


def span(first: str, last: str, start: str, end: str, partial: bool = False) -> Span:
    return Span(D(first), D(last), Z(start), Z(end), partial)


# --- DST in Warsaw --------------------------------------------------------------------------


def test_today_on_the_spring_forward_day_starts_at_cet_midnight_and_yesterday_is_cet_all_day():
    now = local("2026-03-29 10:00", "Europe/Warsaw")  # CEST since 03:00; 08:00 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    assert tiles["today"].current == span(
        "2026-03-29", "2026-03-29", "2026-03-28 23:00", "2026-03-29 08:00", True
    )
    # yesterday (28 March, CET) until 10:00 CET = 09:00 UTC: a wall-clock match, 10 hours
    # against today's 9 real hours
    assert tiles["today"].previous == span(
        "2026-03-28", "2026-03-28", "2026-03-27 23:00", "2026-03-28 09:00", True
    )


def test_the_day_after_spring_forward_compares_with_the_23_hour_day():
    now = local("2026-03-30 10:00", "Europe/Warsaw")  # 08:00 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    assert tiles["yesterday"].current == span(
        "2026-03-29", "2026-03-29", "2026-03-28 23:00", "2026-03-29 22:00"
    )
    assert tiles["yesterday"].previous == span(
        "2026-03-28", "2026-03-28", "2026-03-27 23:00", "2026-03-28 23:00"
    )
    assert tiles["today"].previous == span(
        "2026-03-29", "2026-03-29", "2026-03-28 23:00", "2026-03-29 08:00", True
    )


def test_a_time_of_day_the_clocks_skipped_yesterday_is_read_after_the_gap():
    now = local("2026-03-30 02:30", "Europe/Warsaw")  # 00:30 UTC

    previous = tiles_at(now, "Europe/Warsaw")["today"].previous

    # 29 March 02:30 does not exist: read with CET (+1), 01:30 UTC = 03:30 CEST
    assert previous.end == Z("2026-03-29 01:30")


def test_the_fall_back_day_has_25_hours_and_a_repeated_time_is_its_first_occurrence():
    now = local("2026-10-26 02:30", "Europe/Warsaw")  # CET, 01:30 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    assert tiles["yesterday"].current == span(
        "2026-10-25", "2026-10-25", "2026-10-24 22:00", "2026-10-25 23:00"
    )
    # 25 October 02:30 happened twice: the first time, still CEST (+2), 00:30 UTC
    assert tiles["today"].previous.end == Z("2026-10-25 00:30")


def test_now_in_the_repeated_hour_ends_today_exactly_at_now():
    second = datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Warsaw"))

    today = tiles_at(second, "Europe/Warsaw")["today"]

    assert today.current.end == Z("2026-10-25 01:30")  # the second 02:30, CET
    assert today.previous.end == Z("2026-10-24 00:30")  # 24 October 02:30 CEST


def test_seven_days_across_the_autumn_change_run_from_cest_midnight_to_cet_midnight():
    now = local("2026-10-27 12:00", "Europe/Warsaw")

    tiles = tiles_at(now, "Europe/Warsaw")

    assert tiles["last_7_days"].current == span(
        "2026-10-20", "2026-10-26", "2026-10-19 22:00", "2026-10-26 23:00"
    )
    assert tiles["last_7_days"].previous == span(
        "2026-10-13", "2026-10-19", "2026-10-12 22:00", "2026-10-19 22:00"
    )


# --- month, quarter and year edges ----------------------------------------------------------


def test_half_past_midnight_on_new_years_day_starts_a_new_quarter_and_year():
    now = local("2026-01-01 00:30", "Europe/Warsaw")  # 2025-12-31 23:30 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    assert {name: tiles[name].current for name in TILE_NAMES} == {
        "today": span("2026-01-01", "2026-01-01", "2025-12-31 23:00", "2025-12-31 23:30", True),
        "yesterday": span("2025-12-31", "2025-12-31", "2025-12-30 23:00", "2025-12-31 23:00"),
        "last_7_days": span("2025-12-25", "2025-12-31", "2025-12-24 23:00", "2025-12-31 23:00"),
        "last_30_days": span("2025-12-02", "2025-12-31", "2025-12-01 23:00", "2025-12-31 23:00"),
        "quarter_to_date": span(
            "2026-01-01", "2026-01-01", "2025-12-31 23:00", "2025-12-31 23:30", True
        ),
        "year_to_date": span(
            "2026-01-01", "2026-01-01", "2025-12-31 23:00", "2025-12-31 23:30", True
        ),
    }
    assert {name: tiles[name].previous for name in TILE_NAMES} == {
        "today": span("2025-12-31", "2025-12-31", "2025-12-30 23:00", "2025-12-30 23:30", True),
        "yesterday": span("2025-12-30", "2025-12-30", "2025-12-29 23:00", "2025-12-30 23:00"),
        "last_7_days": span("2025-12-18", "2025-12-24", "2025-12-17 23:00", "2025-12-24 23:00"),
        "last_30_days": span("2025-11-02", "2025-12-01", "2025-11-01 23:00", "2025-12-01 23:00"),
        # 1 October is CEST: midnight is 22:00 UTC the day before
        "quarter_to_date": span(
            "2025-10-01", "2025-10-01", "2025-09-30 22:00", "2025-09-30 22:30", True
        ),
        "year_to_date": span(
            "2025-01-01", "2025-01-01", "2024-12-31 23:00", "2024-12-31 23:30", True
        ),
    }


def test_the_last_day_of_a_quarter_compares_with_the_same_day_of_the_quarter_before():
    now = local("2026-03-31 12:00", "Europe/Warsaw")  # CEST, 10:00 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    # 31 March is day 90 of Q1 (offset 89): 1 October + 89 days = 29 December, 12:00 CET
    assert tiles["quarter_to_date"].current == span(
        "2026-01-01", "2026-03-31", "2025-12-31 23:00", "2026-03-31 10:00", True
    )
    assert tiles["quarter_to_date"].previous == span(
        "2025-10-01", "2025-12-29", "2025-09-30 22:00", "2025-12-29 11:00", True
    )
    # last year's 31 March 12:00 was CEST too (the change was on 30 March 2025)
    assert tiles["year_to_date"].previous == span(
        "2025-01-01", "2025-03-31", "2024-12-31 23:00", "2025-03-31 10:00", True
    )
    assert tiles["last_30_days"].current == span(
        "2026-03-01", "2026-03-30", "2026-02-28 23:00", "2026-03-30 22:00"
    )


def test_the_first_day_of_a_quarter_compares_with_the_first_day_of_the_quarter_before():
    now = local("2026-04-01 09:00", "Europe/Warsaw")  # CEST, 07:00 UTC

    tiles = tiles_at(now, "Europe/Warsaw")

    assert tiles["quarter_to_date"].current == span(
        "2026-04-01", "2026-04-01", "2026-03-31 22:00", "2026-04-01 07:00", True
    )
    assert tiles["quarter_to_date"].previous == span(
        "2026-01-01", "2026-01-01", "2025-12-31 23:00", "2026-01-01 08:00", True
    )
    assert tiles["yesterday"].current.first_day == D("2026-03-31")
    assert tiles["last_30_days"].current == span(
        "2026-03-02", "2026-03-31", "2026-03-01 23:00", "2026-03-31 22:00"
    )
    assert tiles["last_30_days"].previous == span(
        "2026-01-31", "2026-03-01", "2026-01-30 23:00", "2026-03-01 23:00"
    )


@pytest.mark.parametrize(
    ("today", "first", "same_offset"),
    [
        ("2026-09-30", "2026-04-01", "2026-06-30"),  # Q3 has 92 days, Q2 91: its last day
        ("2026-08-15", "2026-04-01", "2026-05-16"),
        ("2026-12-31", "2026-07-01", "2026-09-30"),
        ("2026-06-30", "2026-01-01", "2026-03-31"),  # day 91 of Q2; Q1 2026 has 90 days
        ("2024-06-30", "2024-01-01", "2024-03-31"),  # Q1 2024 has 91 days
        ("2024-03-31", "2023-10-01", "2023-12-30"),  # offset 90
        ("2026-01-01", "2025-10-01", "2025-10-01"),
    ],
)
def test_the_previous_quarter_to_date_stops_at_the_same_offset_or_its_last_day(
    today, first, same_offset
):
    assert previous_quarter_to_date(D(today)) == (D(first), D(same_offset))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-02-29", "2023-02-28"),
        ("2024-03-01", "2023-03-01"),
        ("2025-02-28", "2024-02-28"),
        ("2026-12-31", "2025-12-31"),
    ],
)
def test_last_years_same_date_turns_29_february_into_28_february(day, expected):
    assert same_date_last_year(D(day)) == D(expected)


def test_year_to_date_on_29_february_compares_with_last_year_to_28_february():
    now = Z("2024-02-29 18:00")

    previous = tiles_at(now, "UTC")["year_to_date"].previous

    assert previous == span(
        "2023-01-01", "2023-02-28", "2023-01-01 00:00", "2023-02-28 18:00", True
    )


# --- shops east of UTC ------------------------------------------------------------------------


def test_an_auckland_shops_today_starts_before_midnight_utc_on_the_day_before():
    now = Z("2026-01-15 12:30")  # 16 January 01:30 NZDT (+13)

    tiles = tiles_at(now, "Pacific/Auckland")

    assert tiles["today"].current == span(
        "2026-01-16", "2026-01-16", "2026-01-15 11:00", "2026-01-15 12:30", True
    )
    assert tiles["today"].previous == span(
        "2026-01-15", "2026-01-15", "2026-01-14 11:00", "2026-01-14 12:30", True
    )
    assert tiles["yesterday"].current == span(
        "2026-01-15", "2026-01-15", "2026-01-14 11:00", "2026-01-15 11:00"
    )


def test_a_tokyo_shops_quarter_begins_while_utc_is_still_in_the_last_one():
    now = Z("2026-03-31 16:00")  # 1 April 01:00 JST (+9)

    tiles = tiles_at(now, "Asia/Tokyo")

    assert tiles["quarter_to_date"].current == span(
        "2026-04-01", "2026-04-01", "2026-03-31 15:00", "2026-03-31 16:00", True
    )
    assert tiles["quarter_to_date"].previous == span(
        "2026-01-01", "2026-01-01", "2025-12-31 15:00", "2025-12-31 16:00", True
    )
    assert tiles["year_to_date"].current.first_day == D("2026-01-01")


def test_auckland_after_its_autumn_change_compares_with_a_day_on_summer_time():
    now = local("2026-04-06 09:00", "Pacific/Auckland")  # NZST (+12) since 5 April 03:00

    tiles = tiles_at(now, "Pacific/Auckland")

    # 5 April: 00:00 NZDT (+13) to 24:00 NZST (+12), 25 hours
    assert tiles["yesterday"].current == span(
        "2026-04-05", "2026-04-05", "2026-04-04 11:00", "2026-04-05 12:00"
    )
    assert tiles["today"].current.end == Z("2026-04-05 21:00")
    assert tiles["today"].previous.end == Z("2026-04-04 21:00")  # 09:00 NZST on 5 April


def test_a_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        summary_tiles(datetime(2026, 1, 1, 12), "UTC")


# --- properties ------------------------------------------------------------------------------

ZONES = [
    "UTC",
    "Europe/Warsaw",
    "Pacific/Auckland",
    "Asia/Tokyo",
    "America/New_York",
    "America/Santiago",  # its DST changes skip or repeat midnight
    "Asia/Kolkata",
    "Pacific/Kiritimati",
]
moments = st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2037, 12, 31)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


def _days(span: Span) -> int:
    return (span.last_day - span.first_day).days + 1


@given(now=moments, timezone=st.sampled_from(ZONES))
def test_every_span_runs_from_its_first_days_start_and_the_previous_one_comes_first(now, timezone):
    zone = ZoneInfo(timezone)
    for tile in summary_tiles(now, timezone):
        for part in (tile.current, tile.previous):
            after = day_start(part.last_day + timedelta(days=1), zone)
            assert part.first_day <= part.last_day
            assert part.start == day_start(part.first_day, zone)
            if part.partial:
                assert day_start(part.last_day, zone) <= part.end <= after
            else:
                assert part.end == after
        assert tile.previous.end <= tile.current.start
        assert tile.current.end <= now


@given(now=moments, timezone=st.sampled_from(ZONES))
def test_whole_day_tiles_end_before_today_and_to_date_tiles_end_at_now(now, timezone):
    today = now.astimezone(ZoneInfo(timezone)).date()
    tiles = {tile.name: tile for tile in summary_tiles(now, timezone)}

    for name in ("yesterday", "last_7_days", "last_30_days"):
        assert tiles[name].current.last_day == today - timedelta(days=1)
        assert _days(tiles[name].current) == _days(tiles[name].previous)
        assert tiles[name].previous.last_day + timedelta(days=1) == tiles[name].current.first_day
    for name in ("today", "quarter_to_date", "year_to_date"):
        assert (tiles[name].current.last_day, tiles[name].current.end) == (today, now)
        assert tiles[name].previous.partial
    assert _days(tiles["quarter_to_date"].previous) <= _days(tiles["quarter_to_date"].current)
    assert tiles["year_to_date"].previous.first_day == date(today.year - 1, 1, 1)
