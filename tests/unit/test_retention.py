from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.retention import (
    PURCHASE_COUNT_LABELS,
    cohort_retention,
    orders_per_customer,
    purchase_count_distribution,
    repeat_purchase_rate,
)

D = np.datetime64


def days(*isos: str) -> np.ndarray:
    return np.array(isos, dtype="datetime64[D]")


def test_purchase_counts_are_bucketed_one_to_four_and_five_or_more():
    customer = ["a"] + ["b"] * 2 + ["c"] * 3 + ["d"] * 5 + ["e"] * 9 + ["f"]
    dist = purchase_count_distribution(customer)
    assert dist.labels == PURCHASE_COUNT_LABELS == ("1", "2", "3", "4", "5+")
    assert dist.customers.tolist() == [2, 1, 1, 0, 2]
    assert dist.share.tolist() == pytest.approx([2 / 6, 1 / 6, 1 / 6, 0.0, 2 / 6])
    assert dist.repeat_rate == pytest.approx(4 / 6)


def test_repeat_rate_is_customers_with_two_or_more_orders_over_all_customers():
    assert repeat_purchase_rate(["a", "b", "b", "c"]) == pytest.approx(1 / 3)
    assert repeat_purchase_rate(["a", "b", "c"]) == 0.0
    assert repeat_purchase_rate(["a", "a"]) == 1.0


def test_repeat_rate_is_null_without_customers():
    assert repeat_purchase_rate([]) is None
    dist = purchase_count_distribution([])
    assert dist.customers.tolist() == [0] * 5 and dist.share.tolist() == [0.0] * 5
    assert dist.repeat_rate is None


def test_orders_per_customer_counts_rows_per_sorted_key():
    keys, counts = orders_per_customer([7, 3, 7, 7])
    assert keys.tolist() == [3, 7] and counts.tolist() == [1, 3]


def test_cohort_matrix_on_a_hand_made_shop():
    customer = ["a", "a", "a", "b", "b", "c", "d", "d", "e"]
    order_day = days(
        "2024-01-05", "2024-02-10", "2024-04-01",  # a: Jan cohort, back in Feb and Apr
        "2024-01-20", "2024-01-25",  # b: Jan cohort, only January
        "2024-01-31",  # c: Jan cohort
        "2024-02-01", "2024-03-15",  # d: Feb cohort, back in March
        "2024-05-02",  # e: after as_of, ignored
    )  # fmt: skip
    result = cohort_retention(customer, order_day, D("2024-04-15"))
    assert result.cohort.tolist() == [D("2024-01", "M").item(), D("2024-02", "M").item()]
    assert result.size.tolist() == [3, 1]
    assert result.customers.tolist() == [[3, 1, 0, 1], [1, 1, 0, 0]]
    expected = np.array([[1.0, 1 / 3, 0.0, 1 / 3], [1.0, 1.0, 0.0, np.nan]])
    np.testing.assert_allclose(result.share, expected)


def test_several_orders_in_one_month_count_the_customer_once():
    result = cohort_retention(
        ["a"] * 3, days("2024-01-01", "2024-01-02", "2024-02-03"), D("2024-02-28")
    )
    assert result.customers.tolist() == [[1, 1]]
    assert result.share.tolist() == [[1.0, 1.0]]


def test_an_empty_shop_has_an_empty_cohort_matrix():
    result = cohort_retention([], days(), D("2024-01-01"))
    assert result.cohort.size == 0 and result.share.shape == (0, 0)


def test_cohort_inputs_must_line_up():
    with pytest.raises(ValueError):
        cohort_retention(["a"], days("2024-01-01", "2024-01-02"), D("2024-02-01"))


orders_st = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 500)), min_size=1, max_size=50)


def _run(rows):
    cust = np.array([c for c, _ in rows])
    day = np.array([D("2024-01-01") + d for _, d in rows], dtype="datetime64[D]")
    return cohort_retention(cust, day, D("2025-06-30"))


@given(orders_st, st.randoms(use_true_random=False))
def test_duplicated_and_reordered_orders_do_not_change_the_cohort_matrix(orders, rnd):
    shuffled = orders + rnd.sample(orders, len(orders))
    rnd.shuffle(shuffled)
    first, second = _run(orders), _run(shuffled)
    assert first.cohort.tolist() == second.cohort.tolist()
    assert first.customers.tolist() == second.customers.tolist()
    np.testing.assert_array_equal(first.share, second.share)


@given(orders_st)
def test_month_zero_is_the_whole_cohort_and_shares_stay_between_zero_and_one(orders):
    result = _run(orders)
    assert result.customers[:, 0].tolist() == result.size.tolist()
    assert result.size.sum() == len({c for c, _ in orders})
    observed = result.share[~np.isnan(result.share)]
    assert np.all((observed >= 0) & (observed <= 1))
