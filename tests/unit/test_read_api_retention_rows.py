"""The pure parts of the retention view: the month range, over-time rows and shares."""

from __future__ import annotations

from datetime import date

import pytest

from api.errors import InvalidParameter
from api.retention import over_time_rows, requested_months
from api.shares import share
from processors.analytics.periods import Period

D = date.fromisoformat


@pytest.mark.parametrize(
    ("values", "first", "last", "count"),
    [
        ({}, ("2023-05-01", "2023-05-31"), ("2024-04-01", "2024-04-10"), 12),
        ({"to": D("2024-02-29")}, ("2023-03-01", "2023-03-31"), ("2024-02-01", "2024-02-29"), 12),
        ({"from": D("2024-04-09")}, ("2024-04-01", "2024-04-10"), ("2024-04-01", "2024-04-10"), 1),
        (
            {"from": D("2014-05-20"), "to": D("2024-04-30")},
            ("2014-05-01", "2014-05-31"),
            ("2024-04-01", "2024-04-30"),
            120,
        ),
        ({"to": D("0001-03-05")}, ("0001-01-01", "0001-01-31"), ("0001-03-01", "0001-03-05"), 3),
    ],
)
def test_the_month_range_runs_from_froms_month_to_to(values, first, last, count):
    months = requested_months(values, D("2024-04-10"))

    assert (months[0].start, months[0].end) == tuple(map(D, first))
    assert (months[-1].start, months[-1].end) == tuple(map(D, last))
    assert len(months) == count


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"from": D("2024-05-01"), "to": D("2024-04-30")}, "from must be on or before to"),
        (
            {"from": D("2014-04-30"), "to": D("2024-04-01")},
            r"from..to spans at most 120 months \(this one: 121\)",
        ),
    ],
)
def test_an_unusable_month_range_is_a_400(values, message):
    with pytest.raises(InvalidParameter, match=message):
        requested_months(values, D("2024-04-10"))


def test_over_time_rows_turn_at_least_k_counts_into_buckets():
    months = [Period("month", D("2024-01-01"), D("2024-01-31"))]
    reached = [(D("2024-01-01"), 10, 6, 3, 3, 1)]  # at least 1, 2, 3, 4, 5 purchases

    assert over_time_rows(reached, months) == [
        (D("2024-01-01"), D("2024-01-31"), 10, 4, 3, 0, 2, 1, 0.6)
    ]


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [(1, 3, 0.3333), (2, 3, 0.6667), (0, 5, 0.0), (5, 5, 1.0), (0, 0, None), (3, 0, None)],
)
def test_shares_are_fractions_with_four_decimals_and_null_without_a_base(part, whole, expected):
    assert share(part, whole) == expected
