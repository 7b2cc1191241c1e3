from __future__ import annotations

import itertools
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.rfm import (
    SEGMENT_ACTIONS,
    SEGMENT_DESCRIPTIONS,
    SEGMENTS,
    fm_score,
    score_by_position,
    score_rfm,
    segment_for,
    segments_for,
)

# SPEC §4 table, typed in again here on purpose: rows R = 5, 4, 3, 2, 1; columns FM = 1..5.
CH, LC, PL, RC, PR = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "Recent Customers",
    "Promising",
)
NA, AS, AR, CL, HI, LO = (
    "Needs Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)
SPEC_GRID = {
    5: [RC, PL, PL, CH, CH],
    4: [PR, PL, PL, LC, LC],
    3: [AS, AS, NA, LC, LC],
    2: [HI, HI, AR, AR, CL],
    1: [LO, HI, AR, AR, CL],
}


def spec_fm(f: int, m: int) -> int:
    return int((Decimal(f + m) / 2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


ALL_RFM = list(itertools.product(range(1, 6), repeat=3))


@pytest.mark.parametrize(("r", "f", "m"), ALL_RFM)
def test_each_of_the_125_score_combinations_gets_the_segment_of_the_spec_table(r, f, m):
    assert segment_for(r, f, m) == SPEC_GRID[r][spec_fm(f, m) - 1]


def test_the_vectorised_segments_agree_with_the_table_for_all_125_combinations():
    r, f, m = (np.array(col) for col in zip(*ALL_RFM, strict=True))
    expected = [SPEC_GRID[a][spec_fm(b, c) - 1] for a, b, c in ALL_RFM]
    assert list(segments_for(r, f, m)) == expected


@pytest.mark.parametrize(
    ("f", "m", "fm"), [(1, 1, 1), (1, 2, 2), (2, 3, 3), (4, 5, 5), (3, 4, 4), (1, 5, 3), (5, 5, 5)]
)
def test_fm_rounds_half_up(f, m, fm):
    assert fm_score(np.array([f]), np.array([m]))[0] == fm


def test_there_are_eleven_segments_each_with_an_english_action_and_description():
    assert len(SEGMENTS) == len(set(SEGMENTS)) == 11
    assert set(SEGMENTS) == {s for row in SPEC_GRID.values() for s in row}
    assert set(SEGMENT_ACTIONS) == set(SEGMENTS) == set(SEGMENT_DESCRIPTIONS)
    for text in [*SEGMENT_ACTIONS.values(), *SEGMENT_DESCRIPTIONS.values()]:
        assert text.strip() and text.isascii()


def test_seed_actions_are_carried_for_the_extreme_segments():
    assert "loyalty" in SEGMENT_ACTIONS["Champions"].lower()
    assert "priority" in SEGMENT_ACTIONS["Can't Lose Them"].lower()
    assert "reactivation" in SEGMENT_ACTIONS["Lost"].lower()
    assert "discount" in SEGMENT_ACTIONS["Hibernating"].lower()


@pytest.mark.parametrize(("r", "f", "m"), [(0, 3, 3), (6, 3, 3), (3, 0, 3), (3, 3, 6)])
def test_scores_outside_one_to_five_are_rejected(r, f, m):
    with pytest.raises(ValueError):
        segment_for(r, f, m)


@pytest.mark.parametrize(
    ("values", "higher_is_better", "expected"),
    [
        # distinct: worse = 0..9 of n = 10, p = 0, 0.1, ..., 0.9 -> 1,1,2,2,3,3,4,4,5,5
        (list(range(10)), True, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        (list(range(10)), False, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]),
        # three tied lowest values: worse 0 -> 1; the others have worse 3..9
        ([1, 1, 1, 2, 3, 4, 5, 6, 7, 8], True, [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]),
        # six tied lowest values (the one-order buyers): worse 0 -> 1, not the mid-rank 2
        ([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], True, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]),
        # three tied best values: their lowest position is 2 of 5, p = 0.4 -> 3
        ([1, 2, 3, 3, 3], True, [1, 2, 3, 3, 3]),
        ([10, 1, 5], False, [1, 4, 2]),
        ([10, 1, 5], True, [4, 1, 2]),
        ([2.5, 2.5], True, [1, 1]),
        # small shops: the best of n = 2, 3, 4 has p = 1/2, 2/3, 3/4 -> 3, 4, 4
        ([3, 7], True, [1, 3]),
        ([3, 7, 9], True, [1, 2, 4]),
        ([3, 7, 9, 11], True, [1, 2, 3, 4]),
        ([3, 7, 9, 11, 12], True, [1, 2, 3, 4, 5]),
    ],
)
def test_a_tie_group_scores_the_quintile_of_its_lowest_position(values, higher_is_better, expected):
    assert score_by_position(np.array(values), higher_is_better).tolist() == expected


def test_a_one_customer_shop_scores_one_on_every_axis_and_is_lost():
    scores = score_rfm([0], [1], [10.0])
    assert (scores.r[0], scores.f[0], scores.m[0], scores.fm[0]) == (1, 1, 1, 1)
    assert scores.segment[0] == "Lost"


def test_all_equal_values_all_score_one():
    assert score_by_position(np.full(7, 4.0)).tolist() == [1] * 7
    assert score_by_position(np.full(7, 4), higher_is_better=False).tolist() == [1] * 7


def test_recency_counts_fewer_days_as_better():
    scores = score_rfm([1, 400, 30, 90, 7], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1])
    assert scores.r.tolist() == [5, 1, 3, 2, 4]


def test_score_rfm_scores_and_segments_each_customer_in_input_order():
    scores = score_rfm([1, 30, 300], [3, 1, 1], [100.0, 20.0, 5.0])
    assert scores.r.tolist() == [4, 2, 1]
    assert scores.f.tolist() == [4, 1, 1]
    assert scores.m.tolist() == [4, 2, 1]
    assert scores.fm.tolist() == [4, 2, 1]
    assert scores.segment.tolist() == ["Loyal Customers", "Hibernating", "Lost"]
    assert scores.r.dtype == np.int8


# A shop where most buyers ordered once (7 of 10), scored by hand from the rule:
# name: recency days, paid orders, net spent -> R, F, M, FM, segment
MOSTLY_ONE_ORDER = {
    "A": (1, 1, 10.0, 5, 1, 1, 1, RC),
    "B": (5, 4, 300.0, 5, 5, 5, 5, CH),
    "C": (400, 1, 10.0, 1, 1, 1, 1, LO),
    "D": (10, 1, 10.0, 4, 1, 1, 1, PR),
    "E": (20, 1, 20.0, 4, 1, 2, 2, PL),
    "F": (30, 1, 30.0, 3, 1, 3, 2, AS),
    "G": (60, 1, 25.0, 3, 1, 3, 2, AS),
    "H": (90, 1, 40.0, 2, 1, 4, 3, AR),
    "I": (120, 2, 80.0, 2, 4, 4, 4, AR),
    "J": (200, 3, 150.0, 1, 5, 5, 5, CL),
}


def test_in_a_shop_of_mostly_one_order_buyers_lost_recent_and_promising_are_reached():
    rec, freq, mon, *expected = zip(*MOSTLY_ONE_ORDER.values(), strict=True)
    scores = score_rfm(rec, freq, mon)
    got = [scores.r, scores.f, scores.m, scores.fm, scores.segment]
    assert [list(column) for column in got] == [list(column) for column in expected]
    one_order = np.array(freq) == 1
    assert set(scores.f[one_order].tolist()) == {1}
    assert not {CH, LC} & set(scores.segment[one_order].tolist())
    assert {LO, RC, PR} <= set(scores.segment.tolist())


def test_an_empty_shop_has_no_scores():
    scores = score_rfm([], [], [])
    assert scores.segment.size == 0 and scores.r.dtype == np.int8


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError):
        score_by_position(np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        score_rfm([1, 2], [1], [1.0, 2.0])
    with pytest.raises(ValueError):
        score_rfm([1], [0], [1.0])


values_st = st.lists(st.integers(-1000, 1000), min_size=1, max_size=60)


@given(values_st, st.booleans())
def test_scores_are_always_between_one_and_five(values, higher_is_better):
    scores = score_by_position(np.array(values), higher_is_better)
    assert scores.min() >= 1 and scores.max() <= 5


@given(values_st, st.booleans(), st.randoms(use_true_random=False))
def test_permuting_customers_permutes_their_scores(values, higher_is_better, rnd):
    arr = np.array(values)
    perm = np.array(rnd.sample(range(arr.size), arr.size))
    scores = score_by_position(arr, higher_is_better)
    assert score_by_position(arr[perm], higher_is_better).tolist() == scores[perm].tolist()


@given(values_st, st.booleans())
def test_equal_values_get_equal_scores_and_better_values_never_score_lower(values, hib):
    arr = np.array(values)
    scores = score_by_position(arr, hib)
    better = arr[:, None] > arr[None, :] if hib else arr[:, None] < arr[None, :]
    score_ge = scores[:, None] >= scores[None, :]
    assert np.all(score_ge[better])
    equal = arr[:, None] == arr[None, :]
    assert np.all((scores[:, None] == scores[None, :])[equal])


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=40))
def test_float_scores_are_deterministic_and_the_best_value_scores_highest(values):
    arr = np.array(values)
    first, second = score_by_position(arr), score_by_position(arr.copy())
    assert first.tolist() == second.tolist()
    assert first[arr.argmax()] == first.max()


@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5))
def test_segment_for_is_always_one_of_the_eleven(r, f, m):
    assert segment_for(r, f, m) in SEGMENTS


@given(values_st, st.booleans())
def test_every_score_is_the_fifth_of_the_shop_that_holds_the_groups_lowest_position(values, hib):
    n = len(values)
    for value, score in zip(values, score_by_position(np.array(values), hib).tolist(), strict=True):
        lowest = sum(1 for other in values if (other < value if hib else other > value))
        assert Fraction(score - 1, 5) <= Fraction(lowest, n) < Fraction(score, 5)


@given(st.sets(st.integers(-1000, 1000), min_size=1, max_size=60))
def test_distinct_values_split_into_five_groups_whose_sizes_differ_by_at_most_one(values):
    counts = Counter(score_by_position(np.array(sorted(values))).tolist())
    sizes = [counts.get(score, 0) for score in range(1, 6)]
    assert max(sizes) - min(sizes) <= 1


shop_st = st.lists(
    st.tuples(st.integers(0, 1000), st.integers(1, 6), st.integers(0, 10_000)),
    min_size=1,
    max_size=60,
)


@given(shop_st)
def test_the_least_frequent_buyers_score_f_one_and_one_order_buyers_are_never_top_segments(shop):
    rec, freq, mon = (np.array(column) for column in zip(*shop, strict=True))
    scores = score_rfm(rec, freq, mon)
    assert set(scores.f[freq == freq.min()].tolist()) == {1}
    assert not {CH, LC} & set(scores.segment[freq == 1].tolist())
