from __future__ import annotations

import itertools
from decimal import ROUND_HALF_UP, Decimal

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
        # mid-rank percentiles 0.05, 0.15, ..., 0.95 -> 1,1,2,2,3,3,4,4,5,5
        (list(range(10)), True, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]),
        (list(range(10)), False, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]),
        # three tied lowest values: p = 1.5/10 -> 1 for all three
        ([1, 1, 1, 2, 3, 4, 5, 6, 7, 8], True, [1, 1, 1, 2, 3, 3, 4, 4, 5, 5]),
        # six tied ones (p = 0.3 -> 2) and four higher values
        ([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], True, [2, 2, 2, 2, 2, 2, 4, 4, 5, 5]),
        ([10, 1, 5], False, [1, 5, 3]),
        ([10, 1, 5], True, [5, 1, 3]),
        ([2.5, 2.5], True, [3, 3]),
    ],
)
def test_scores_follow_the_mid_rank_percentile_rule(values, higher_is_better, expected):
    assert score_by_position(np.array(values), higher_is_better).tolist() == expected


def test_a_one_customer_shop_scores_three_on_every_axis_and_needs_attention():
    scores = score_rfm([0], [1], [10.0])
    assert (scores.r[0], scores.f[0], scores.m[0], scores.fm[0]) == (3, 3, 3, 3)
    assert scores.segment[0] == "Needs Attention"


def test_all_equal_values_all_get_the_middle_score():
    assert score_by_position(np.full(7, 4.0)).tolist() == [3] * 7
    assert score_by_position(np.full(7, 4), higher_is_better=False).tolist() == [3] * 7


def test_recency_counts_fewer_days_as_better():
    scores = score_rfm([1, 400, 30, 90, 7], [1, 1, 1, 1, 1], [1, 1, 1, 1, 1])
    assert scores.r.tolist() == [5, 1, 3, 2, 4]


def test_score_rfm_scores_and_segments_each_customer_in_input_order():
    scores = score_rfm([1, 30, 300], [3, 1, 1], [100.0, 20.0, 5.0])
    assert scores.r.tolist() == [5, 3, 1]
    assert scores.f.tolist() == [5, 2, 2]
    assert scores.m.tolist() == [5, 3, 1]
    assert scores.fm.tolist() == [5, 3, 2]
    assert scores.segment.tolist() == ["Champions", "Needs Attention", "Hibernating"]
    assert scores.r.dtype == np.int8


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
