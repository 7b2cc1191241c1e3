from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.periods import INTERVALS, InvalidPeriod, Period, split_period
from processors.analytics.series_compare import (
    SeriesFigures,
    bucket_figures,
    compared_period,
    facing_buckets,
    period_figures,
)

D = date.fromisoformat


def _period(start: str, end: str) -> Period:
    return Period("custom", D(start), D(end))


# period, compare, expected compared period
COMPARED_CASES = [
    # whole calendar months: as many whole months right before
    (("2024-03-01", "2024-03-31"), "previous", ("2024-02-01", "2024-02-29")),
    (("2024-02-01", "2024-02-29"), "previous", ("2024-01-01", "2024-01-31")),
    (("2024-01-01", "2024-03-31"), "previous", ("2023-10-01", "2023-12-31")),
    (("2024-01-01", "2024-01-31"), "previous", ("2023-12-01", "2023-12-31")),
    # anything else: as many days right before
    (("2024-03-02", "2024-03-31"), "previous", ("2024-02-01", "2024-03-01")),
    (("2024-04-01", "2024-04-07"), "previous", ("2024-03-25", "2024-03-31")),
    # a year earlier, 29 February as 28 February
    (("2024-02-01", "2024-02-29"), "year", ("2023-02-01", "2023-02-28")),
    (("2024-03-01", "2024-03-31"), "year", ("2023-03-01", "2023-03-31")),
    (("2025-02-22", "2025-03-01"), "year", ("2024-02-22", "2024-03-01")),
]


@pytest.mark.parametrize(("period", "compare", "expected"), COMPARED_CASES)
def test_the_compared_period_is_the_months_or_days_before_or_a_year_earlier(
    period, compare, expected
):
    found = compared_period(_period(*period), compare)

    assert found is not None
    assert (found.start, found.end) == (D(expected[0]), D(expected[1]))


def test_compare_none_has_no_compared_period_and_an_unknown_compare_is_refused():
    assert compared_period(_period("2024-03-01", "2024-03-31"), "none") is None
    with pytest.raises(InvalidPeriod, match="compare must be one of"):
        compared_period(_period("2024-03-01", "2024-03-31"), "week")


@pytest.mark.parametrize("compare", ["previous", "year"])
def test_a_period_in_the_first_year_cannot_be_compared(compare):
    with pytest.raises(InvalidPeriod, match="too early"):
        compared_period(_period("0001-01-01", "0001-01-31"), compare)


def test_day_31_of_march_faces_nothing_in_february():
    march = _period("2024-03-01", "2024-03-31")
    february = compared_period(march, "previous")
    assert february is not None

    facing = facing_buckets(split_period(march, "day"), march, february, "day")

    assert facing[0] == Period("day", D("2024-02-01"), D("2024-02-01"))
    assert facing[28] == Period("day", D("2024-02-29"), D("2024-02-29"))
    assert facing[29:] == [None, None]


def test_weeks_face_as_many_days_at_the_same_offset_cut_to_the_compared_period():
    march = _period("2024-03-01", "2024-03-31")  # Friday to Sunday
    february = Period("previous", D("2024-02-01"), D("2024-02-29"))

    facing = facing_buckets(split_period(march, "week"), march, february, "week")

    assert [(bucket.start, bucket.end) for bucket in facing if bucket] == [
        (D("2024-02-01"), D("2024-02-03")),
        (D("2024-02-04"), D("2024-02-10")),
        (D("2024-02-11"), D("2024-02-17")),
        (D("2024-02-18"), D("2024-02-24")),
        (D("2024-02-25"), D("2024-02-29")),  # 25-31 March faces 25-29 February
    ]


def test_months_face_the_compared_periods_calendar_months_in_order():
    period = _period("2024-01-15", "2024-03-14")
    before = compared_period(period, "previous")  # 60 days: 16 November to 14 January
    assert before is not None

    facing = facing_buckets(split_period(period, "month"), period, before, "month")

    assert [(bucket.start, bucket.end) for bucket in facing if bucket] == [
        (D("2023-11-16"), D("2023-11-30")),
        (D("2023-12-01"), D("2023-12-31")),
        (D("2024-01-01"), D("2024-01-14")),
    ]


def test_a_bucket_sums_the_days_inside_it_and_a_missing_bucket_stays_none():
    days = {
        D("2024-03-01"): SeriesFigures(Decimal("10.00"), Decimal("8.00"), 1, 1),
        D("2024-03-03"): SeriesFigures(Decimal("5.00"), Decimal("5.00"), 2, 0),
        D("2024-03-09"): SeriesFigures(Decimal("7.00"), Decimal("0.00"), 1, 1),
    }
    buckets = [Period("week", D("2024-03-01"), D("2024-03-03")), None]

    sums = bucket_figures(buckets, days)

    assert sums == [SeriesFigures(Decimal("15.00"), Decimal("13.00"), 3, 1), None]
    assert sums[0] is not None and sums[0].aov == Decimal("4.33")
    assert SeriesFigures().aov is None


figures = st.builds(
    SeriesFigures,
    st.decimals(0, 1000, places=2),
    st.decimals(0, 1000, places=2),
    st.integers(0, 5),
    st.integers(0, 5),
)
spans = st.tuples(
    st.dates(date(2000, 1, 1), date(2030, 12, 31)), st.integers(0, 120), st.sampled_from(INTERVALS)
)


@given(span=spans, compare=st.sampled_from(["previous", "year"]), data=st.data())
def test_the_buckets_and_their_facing_ones_never_count_a_day_twice(span, compare, data):
    start, length, interval = span
    period = Period("custom", start, start + timedelta(days=length))
    before = compared_period(period, compare)
    assert before is not None
    first = min(before.start, period.start)
    all_days = [first + timedelta(days=n) for n in range((period.end - first).days + 1)]
    days = {day: data.draw(figures) for day in data.draw(st.lists(st.sampled_from(all_days)))}
    buckets = split_period(period, interval)

    mine = bucket_figures(buckets, days)
    theirs = bucket_figures(facing_buckets(buckets, period, before, interval), days)

    assert sum((item for item in mine if item), SeriesFigures()) == period_figures(period, days)
    seen = sum((item for item in theirs if item), SeriesFigures())
    whole = period_figures(before, days)
    assert seen.orders <= whole.orders and seen.gross_revenue <= whole.gross_revenue
    if interval != "month" and before.days == period.days:  # same offsets: every day faced
        assert seen == whole
