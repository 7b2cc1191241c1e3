"""The fulfilment arithmetic (processors/analytics/fulfillment.py): hours from payment to
completion, percentiles by linear interpolation, shares within 24 and 48 hours, overdue.

Expected values are worked out by hand, or by this file's own plain-Python percentile
(sorted values, ``h = (n - 1) q``), never by the numpy calls the code makes.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.fulfillment import (
    FulfillmentMetrics,
    completion_hours,
    fulfillment_metrics,
    hours_since,
    overdue_before,
    percentile,
    share_within,
)

H = 3600.0  # seconds in an hour
NAN = math.nan
NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)


def _reference(values: list[float], q: float) -> float:
    ordered = sorted(values)
    h = (len(ordered) - 1) * q
    low = math.floor(h)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


@pytest.mark.parametrize(
    ("seconds", "hours"),
    [
        ([], []),
        ([3600.0], [1.0]),
        ([5400.0, 0.0], [1.5, 0.0]),
        ([-7200.0], [0.0]),  # completed before paid: 0, never negative
        ([NAN, 36 * H], [NAN, 36.0]),  # not completed stays NaN
        ([None, -1.0], [NAN, 0.0]),
    ],
)
def test_seconds_become_hours_with_negatives_as_zero(seconds, hours):
    got = completion_hours(seconds).tolist()
    assert len(got) == len(hours)
    for value, expected in zip(got, hours, strict=True):
        assert (math.isnan(value) and math.isnan(expected)) or value == expected


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([], 0.5, None),  # no values: no percentile
        ([7.0], 0.5, 7.0),  # one value is its own percentile
        ([7.0], 0.9, 7.0),
        ([0.0, 1.0, 12.0, 36.0], 0.5, 6.5),  # h = 1.5: 1 + 0.5 * 11
        ([36.0, 0.0, 12.0, 1.0], 0.9, 28.8),  # h = 2.7: 12 + 0.7 * 24, order does not matter
        ([float(n) for n in range(1, 11)], 0.5, 5.5),
        ([float(n) for n in range(1, 11)], 0.9, 9.1),
        ([2.0, 4.0, 8.0], 0.0, 2.0),
        ([2.0, 4.0, 8.0], 1.0, 8.0),
        ([1.0, 2.0], 0.5, 1.5),
        ([1 / 3, 2 / 3], 0.5, 0.5),
        ([0.001, 0.002, 0.0049], 0.5, 0.0),  # rounded to 2 decimals
    ],
)
def test_percentiles_interpolate_linearly_between_closest_ranks(values, q, expected):
    assert percentile(values, q) == expected


@pytest.mark.parametrize("q", [-0.1, 1.5])
def test_a_percentile_outside_0_to_1_is_refused(q):
    with pytest.raises(ValueError):
        percentile([1.0], q)


@pytest.mark.parametrize(
    ("hours", "paid", "limit", "expected"),
    [
        ([], 0, 24, None),  # no paid orders: no share
        ([NAN, NAN], 2, 24, 0.0),  # none completed
        ([24.0], 1, 24, 1.0),  # at the limit counts as within
        ([24.01], 1, 24, 0.0),
        ([0.0, 1.0, 12.0, 36.0, NAN, NAN, NAN], 7, 24, 0.4286),
        ([0.0, 1.0, 12.0, 36.0, NAN, NAN, NAN], 7, 48, 0.5714),
    ],
)
def test_shares_count_completions_within_the_limit_over_all_paid_orders(
    hours, paid, limit, expected
):
    assert share_within(hours, paid, limit) == expected


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        ([], FulfillmentMetrics(0, 0, None, None, None, None)),  # no orders
        ([NAN, NAN, NAN], FulfillmentMetrics(3, 0, None, None, 0.0, 0.0)),  # none completed
        ([30 * H], FulfillmentMetrics(1, 1, 30.0, 30.0, 0.0, 1.0)),  # one order
        ([-5 * H, NAN], FulfillmentMetrics(2, 1, 0.0, 0.0, 0.5, 0.5)),  # completed before paid
        (
            [12 * H, 36 * H, -H, NAN, NAN, 1 * H, NAN],
            FulfillmentMetrics(7, 4, 6.5, 28.8, 0.4286, 0.5714),
        ),
        ([49 * H, 48 * H, 24 * H, 23 * H], FulfillmentMetrics(4, 4, 36.0, 48.7, 0.5, 0.75)),
    ],
)
def test_the_metrics_of_a_period_from_each_paid_orders_seconds(seconds, expected):
    assert fulfillment_metrics(seconds) == expected


def test_overdue_is_measured_back_from_now_and_needs_an_aware_clock():
    assert overdue_before(NOW, 48) == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert overdue_before(NOW, 8760) == NOW - timedelta(days=365)
    with pytest.raises(ValueError):
        overdue_before(NOW.replace(tzinfo=None), 48)


@pytest.mark.parametrize(
    ("paid_at", "expected"),
    [
        (NOW - timedelta(hours=61, minutes=30), 61.5),
        (NOW - timedelta(minutes=1), 0.02),
        (NOW, 0.0),
        (NOW + timedelta(hours=2), 0.0),  # paid after the clock: not negative
    ],
)
def test_hours_since_payment_at_the_clock(paid_at, expected):
    assert hours_since(paid_at, NOW) == expected


hours_lists = st.lists(
    st.floats(min_value=-1e6, max_value=1e7, allow_nan=False) | st.just(NAN), max_size=40
)


@given(hours_lists, st.randoms(use_true_random=False))
def test_reordering_the_orders_changes_no_metric(seconds, rng: random.Random):
    shuffled = list(seconds)
    rng.shuffle(shuffled)
    assert fulfillment_metrics(shuffled) == fulfillment_metrics(seconds)


@given(
    st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), min_size=1, max_size=40),
    st.sampled_from([0.0, 0.1, 0.5, 0.9, 1.0]),
)
def test_a_percentile_lies_within_the_values_and_matches_the_plain_formula(values, q):
    got = percentile(values, q)
    assert got is not None
    assert round(min(values), 2) <= got <= round(max(values), 2)
    assert got == pytest.approx(_reference(values, q), abs=0.005 + 1e-6)
