from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.periods import (
    INTERVALS,
    PERIOD_NAMES,
    InvalidPeriod,
    Period,
    local_today,
    previous_period,
    quarter_start,
    resolve_period,
    split_period,
)

D = date.fromisoformat

# name, today, expected (start, end), expected previous (start, end)
NAMED_CASES = [
    ("today", "2024-05-15", ("2024-05-15", "2024-05-15"), ("2024-05-14", "2024-05-14")),
    ("yesterday", "2024-01-01", ("2023-12-31", "2023-12-31"), ("2023-12-30", "2023-12-30")),
    ("last_7_days", "2024-03-01", ("2024-02-23", "2024-02-29"), ("2024-02-16", "2024-02-22")),
    ("last_7_days", "2023-03-01", ("2023-02-22", "2023-02-28"), ("2023-02-15", "2023-02-21")),
    ("last_30_days", "2024-03-01", ("2024-01-31", "2024-02-29"), ("2024-01-01", "2024-01-30")),
    ("quarter_to_date", "2024-04-01", ("2024-04-01", "2024-04-01"), ("2024-03-31", "2024-03-31")),
    ("quarter_to_date", "2024-03-31", ("2024-01-01", "2024-03-31"), ("2023-10-02", "2023-12-31")),
    ("quarter_to_date", "2024-08-15", ("2024-07-01", "2024-08-15"), ("2024-05-16", "2024-06-30")),
    ("quarter_to_date", "2024-12-31", ("2024-10-01", "2024-12-31"), ("2024-07-01", "2024-09-30")),
    ("year_to_date", "2024-01-01", ("2024-01-01", "2024-01-01"), ("2023-12-31", "2023-12-31")),
    ("year_to_date", "2023-03-01", ("2023-01-01", "2023-03-01"), ("2022-11-02", "2022-12-31")),
    ("year_to_date", "2024-12-31", ("2024-01-01", "2024-12-31"), ("2022-12-31", "2023-12-31")),
    # previous_week: the last full Monday..Sunday week before today's week
    ("previous_week", "2024-04-10", ("2024-04-01", "2024-04-07"), ("2024-03-25", "2024-03-31")),
    ("previous_week", "2024-04-08", ("2024-04-01", "2024-04-07"), ("2024-03-25", "2024-03-31")),
    ("previous_week", "2024-04-07", ("2024-03-25", "2024-03-31"), ("2024-03-18", "2024-03-24")),
    ("previous_week", "2025-01-01", ("2024-12-23", "2024-12-29"), ("2024-12-16", "2024-12-22")),
    # last_month: the last full calendar month; compared with the same number of days before
    ("last_month", "2024-03-31", ("2024-02-01", "2024-02-29"), ("2024-01-03", "2024-01-31")),
    ("last_month", "2024-03-01", ("2024-02-01", "2024-02-29"), ("2024-01-03", "2024-01-31")),
    ("last_month", "2024-01-15", ("2023-12-01", "2023-12-31"), ("2023-10-31", "2023-11-30")),
    ("last_month", "2023-03-10", ("2023-02-01", "2023-02-28"), ("2023-01-04", "2023-01-31")),
]


@pytest.mark.parametrize(("name", "today", "expected", "previous"), NAMED_CASES)
def test_named_periods_resolve_to_the_expected_days_and_the_days_before(
    name, today, expected, previous
):
    period = resolve_period(name, D(today))

    assert (period.name, period.start, period.end) == (name, D(expected[0]), D(expected[1]))
    before = previous_period(period)
    assert (before.start, before.end) == (D(previous[0]), D(previous[1]))
    assert before.days == period.days


def test_a_custom_period_spans_from_and_to_inclusive_across_a_leap_day():
    period = resolve_period("custom", D("2030-01-01"), D("2024-02-28"), D("2024-03-01"))

    assert period == Period("custom", D("2024-02-28"), D("2024-03-01"))
    assert period.days == 3
    assert previous_period(period) == Period("previous", D("2024-02-25"), D("2024-02-27"))


def test_a_custom_period_of_one_day_compares_with_the_day_before():
    period = resolve_period("custom", D("2024-06-01"), D("2024-03-01"), D("2024-03-01"))

    assert previous_period(period) == Period("previous", D("2024-02-29"), D("2024-02-29"))


@pytest.mark.parametrize(
    ("name", "from_", "to", "message"),
    [
        ("custom", None, "2024-01-31", "needs both from and to"),
        ("custom", "2024-01-01", None, "needs both from and to"),
        ("custom", None, None, "needs both from and to"),
        ("custom", "2024-02-01", "2024-01-31", "from must be on or before to"),
        ("last_7_days", "2024-01-01", "2024-01-31", "only used with period=custom"),
        ("today", None, "2024-01-31", "only used with period=custom"),
        ("last_week", None, None, "period must be one of"),
        ("", None, None, "period must be one of"),
    ],
)
def test_unusable_periods_raise_a_clear_error(name, from_, to, message):
    with pytest.raises(InvalidPeriod, match=message):
        resolve_period(name, D("2024-06-01"), from_ and D(from_), to and D(to))


def test_a_period_starting_at_the_first_representable_day_cannot_be_compared():
    period = resolve_period("custom", D("2024-01-01"), date.min, D("2024-01-01"))

    with pytest.raises(InvalidPeriod, match="too early"):
        previous_period(period)


@pytest.mark.parametrize(
    ("day", "start"),
    [
        ("2024-01-01", "2024-01-01"),
        ("2024-03-31", "2024-01-01"),
        ("2024-04-01", "2024-04-01"),
        ("2024-06-30", "2024-04-01"),
        ("2024-07-01", "2024-07-01"),
        ("2024-09-30", "2024-07-01"),
        ("2024-10-01", "2024-10-01"),
        ("2024-12-31", "2024-10-01"),
    ],
)
def test_quarters_start_in_january_april_july_and_october(day, start):
    assert quarter_start(D(day)) == D(start)


@pytest.mark.parametrize(
    ("now", "timezone", "today"),
    [
        ("2024-03-31T22:30:00+00:00", "Europe/Warsaw", "2024-04-01"),  # CEST, +2
        ("2024-03-30T22:30:00+00:00", "Europe/Warsaw", "2024-03-30"),  # CET, +1
        ("2024-03-31T22:30:00+00:00", "UTC", "2024-03-31"),
        ("2024-01-01T03:00:00+00:00", "America/New_York", "2023-12-31"),
        ("2024-12-31T12:00:00+00:00", "Pacific/Kiritimati", "2025-01-01"),  # +14
    ],
)
def test_today_is_the_day_in_the_shop_timezone(now, timezone, today):
    assert local_today(datetime.fromisoformat(now), timezone) == D(today)


def test_today_needs_an_aware_datetime():
    with pytest.raises(ValueError, match="aware"):
        local_today(datetime(2024, 1, 1, 12), "UTC")


days = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))
named = st.sampled_from([name for name in PERIOD_NAMES if name != "custom"])


ENDS_YESTERDAY = {"yesterday", "last_7_days", "last_30_days", "last_90_days"}
ENDS_TODAY = {"today", "quarter_to_date", "year_to_date"}


def test_every_named_period_is_classified_by_where_it_ends():
    assert ENDS_YESTERDAY | ENDS_TODAY | {"previous_week", "last_month", "custom"} == set(
        PERIOD_NAMES
    )


@given(name=named, today=days)
def test_named_periods_never_reach_past_today_and_relative_ones_exclude_it(name, today):
    period = resolve_period(name, today)

    assert period.start <= period.end <= today
    if name in ENDS_YESTERDAY:
        assert period.end == today - timedelta(days=1)
    elif name in ENDS_TODAY:
        assert period.end == today
    else:
        assert period.end < today


@given(today=days)
def test_previous_week_is_a_full_monday_to_sunday_week_ending_before_todays_week(today):
    week = resolve_period("previous_week", today)

    assert (week.start.weekday(), week.end.weekday(), week.days) == (0, 6, 7)
    assert 1 <= (today - week.end).days <= 7


@given(today=days)
def test_last_month_is_the_whole_calendar_month_before_todays_month(today):
    month = resolve_period("last_month", today)

    assert month.start.day == 1
    assert (month.end + timedelta(days=1)).day == 1
    assert (month.end + timedelta(days=1)) == today.replace(day=1)


@given(start=days, length=st.integers(min_value=0, max_value=800))
def test_the_previous_period_has_the_same_length_and_ends_the_day_before(start, length):
    period = resolve_period("custom", start, start, start + timedelta(days=length))
    before = previous_period(period)

    assert before.days == period.days
    assert before.end + timedelta(days=1) == period.start


@given(moment=st.datetimes(timezones=st.just(UTC)))
def test_in_utc_today_is_the_calendar_day_of_now(moment):
    assert local_today(moment, "UTC") == moment.date()


# --- buckets ------------------------------------------------------------------------------


def _bounds(buckets: list[Period]) -> list[str]:
    return [f"{bucket.start}..{bucket.end}" for bucket in buckets]


@pytest.mark.parametrize(
    ("start", "end", "interval", "expected"),
    [
        ("2024-04-03", "2024-04-04", "day", ["2024-04-03..2024-04-03", "2024-04-04..2024-04-04"]),
        ("2024-03-11", "2024-03-24", "week", ["2024-03-11..2024-03-17", "2024-03-18..2024-03-24"]),
        (
            "2024-03-13",
            "2024-03-26",
            "week",
            ["2024-03-13..2024-03-17", "2024-03-18..2024-03-24", "2024-03-25..2024-03-26"],
        ),
        (
            "2024-01-31",
            "2024-03-01",
            "month",
            ["2024-01-31..2024-01-31", "2024-02-01..2024-02-29", "2024-03-01..2024-03-01"],
        ),
        ("2023-12-01", "2023-12-31", "month", ["2023-12-01..2023-12-31"]),
        ("2024-04-09", "2024-04-09", "week", ["2024-04-09..2024-04-09"]),
    ],
)
def test_a_period_splits_into_day_week_and_month_buckets_cut_to_the_period(
    start, end, interval, expected
):
    buckets = split_period(Period("custom", D(start), D(end)), interval)

    assert _bounds(buckets) == expected
    assert {bucket.name for bucket in buckets} == {interval}


def test_weeks_start_on_monday():
    buckets = split_period(resolve_period("last_30_days", D("2024-04-10")), "week")

    assert [bucket.start.weekday() for bucket in buckets[1:]] == [0] * (len(buckets) - 1)
    assert [bucket.end.weekday() for bucket in buckets[:-1]] == [6] * (len(buckets) - 1)


def test_an_unknown_interval_and_too_many_buckets_raise_a_clear_error():
    year = Period("custom", D("2024-01-01"), D("2024-12-31"))

    with pytest.raises(InvalidPeriod, match="interval must be one of: day, week, month"):
        split_period(year, "hour")
    with pytest.raises(InvalidPeriod, match="more than 100 day buckets"):
        split_period(year, "day", max_buckets=100)
    assert len(split_period(year, "day", max_buckets=366)) == 366


def test_a_bucket_reaching_the_last_representable_day_ends_there():
    buckets = split_period(Period("custom", D("9999-12-20"), date.max), "month")

    assert _bounds(buckets) == ["9999-12-20..9999-12-31"]


@given(
    start=days,
    length=st.integers(min_value=0, max_value=400),
    interval=st.sampled_from(INTERVALS),
)
def test_buckets_cover_every_day_of_the_period_once_in_order(start, length, interval):
    period = Period("custom", start, start + timedelta(days=length))

    buckets = split_period(period, interval)

    assert buckets[0].start == period.start and buckets[-1].end == period.end
    assert all(a.end + timedelta(days=1) == b.start for a, b in itertools.pairwise(buckets))
    assert sum(bucket.days for bucket in buckets) == period.days
    if interval == "month":
        assert all(b.start.day == 1 for b in buckets[1:])
