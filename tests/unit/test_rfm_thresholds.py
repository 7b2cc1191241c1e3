"""Scoring against a kept distribution gives the rescoring's scores exactly (pure)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.rfm import score_by_position, score_rfm
from processors.analytics.rfm_thresholds import (
    RfmThresholds,
    rfm_thresholds,
    score_against,
    score_rfm_against,
    thresholds,
)

values = st.lists(st.integers(0, 30), min_size=1, max_size=60)


@given(values, st.booleans())
def test_a_value_of_the_distribution_scores_as_the_rescoring_scored_it(population, better_high):
    limits = thresholds(population, higher_is_better=better_high)
    expected = score_by_position(np.array(population), higher_is_better=better_high)
    assert score_against(population, limits).tolist() == expected.tolist()


@given(values, st.lists(st.integers(-5, 35), max_size=10), st.booleans())
def test_a_new_value_scores_by_its_position_among_the_rescorings_values(population, new, high):
    ref = np.array(population)
    worse = [int(np.sum(ref < v)) if high else int(np.sum(ref > v)) for v in new]
    expected = [min(5, 1 + (5 * w) // ref.size) for w in worse]  # better than all: 5
    got = score_against(new, thresholds(population, higher_is_better=high)).tolist()
    assert got == expected


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 9), st.integers(1, 900)), min_size=1))
def test_rfm_against_its_own_thresholds_is_the_rescoring(rows):
    r, f, m = (np.array(column) for column in zip(*rows, strict=True))
    limits = rfm_thresholds(r, f, m)
    kept = RfmThresholds.from_json(limits.as_json())  # as the state keeps them
    ours, theirs = score_rfm_against(kept, r, f, m), score_rfm(r, f, m)
    assert ours.segment.tolist() == theirs.segment.tolist()
    assert [ours.r.tolist(), ours.f.tolist(), ours.m.tolist()] == [
        theirs.r.tolist(),
        theirs.f.tolist(),
        theirs.m.tolist(),
    ]


def test_one_order_buyers_in_a_shop_of_mostly_one_order_buyers_keep_f_1_against_thresholds():
    frequency = [1] * 80 + [2] * 15 + [5] * 5
    limits = thresholds(frequency)
    assert score_against([1, 2, 3, 5, 9], limits).tolist() == [1, 5, 5, 5, 5]
