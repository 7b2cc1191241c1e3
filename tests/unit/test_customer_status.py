from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.customer_status import (
    ACTIVE,
    AT_RISK,
    LOST,
    NEW,
    classify_status,
    expected_cycle_days,
    purchase_days,
    score_customer_status,
)


def days(*isos: str) -> np.ndarray:
    return np.array(isos, dtype="datetime64[D]")


D = np.datetime64


@pytest.mark.parametrize(
    ("elapsed", "cycle", "n_days", "expected"),
    [
        (0, 10.0, 1, NEW),
        (10, 10.0, 1, NEW),  # exactly one cycle
        (12, 10.0, 1, NEW),  # between 1 and 1.5 cycles: overdue but still New
        (15, 10.0, 1, NEW),  # exactly 1.5 cycles
        (16, 10.0, 1, AT_RISK),
        (15, 10.0, 2, ACTIVE),
        (16, 10.0, 3, AT_RISK),
        (30, 10.0, 2, AT_RISK),  # exactly 3 cycles
        (31, 10.0, 2, LOST),
        (31, 10.0, 1, LOST),
        (22, 14.5, 2, AT_RISK),  # 1.5 * 14.5 = 21.75
        (21, 14.5, 2, ACTIVE),
        (43, 14.5, 2, AT_RISK),  # 3 * 14.5 = 43.5 -> 43 is not more
        (44, 14.5, 2, LOST),
    ],
)
def test_status_boundaries_are_more_than_one_and_a_half_and_more_than_three_cycles(
    elapsed, cycle, n_days, expected
):
    assert classify_status([elapsed], [cycle], [n_days])[0] == expected


def test_own_cycle_is_the_median_gap_between_a_customers_purchase_days():
    cycles = expected_cycle_days(
        ["a"] * 4, days("2024-01-01", "2024-01-05", "2024-01-25", "2024-02-04")
    )
    # gaps 4, 20, 10 -> median 10
    assert cycles.cycle_days.tolist() == [10.0]
    assert cycles.source.tolist() == ["own"]


def test_even_number_of_gaps_takes_the_mean_of_the_two_middle_gaps():
    cycles = expected_cycle_days(["a"] * 3, days("2024-01-01", "2024-01-05", "2024-01-14"))
    assert cycles.cycle_days.tolist() == [6.5]


def test_one_time_buyers_get_the_shop_median_days_from_first_to_second_purchase():
    customer = ["a", "a", "a", "b", "b", "c", "d", "d"]
    order_day = days(
        "2024-01-01", "2024-01-11", "2024-03-01",  # a: first->second 10
        "2024-01-01", "2024-01-31",  # b: 30
        "2024-02-01",  # c: one purchase
        "2024-01-01", "2024-01-21",  # d: 20
    )  # fmt: skip
    cycles = expected_cycle_days(customer, order_day)
    assert cycles.customer.tolist() == ["a", "b", "c", "d"]
    assert cycles.cycle_days.tolist() == [30.0, 30.0, 20.0, 20.0]
    assert cycles.source.tolist() == ["own", "own", "shop", "own"]


def test_a_shop_without_repeat_buyers_falls_back_to_ninety_days_or_the_given_fallback():
    customer, order_day = ["a", "b"], days("2024-01-01", "2024-02-01")
    default = expected_cycle_days(customer, order_day)
    assert default.cycle_days.tolist() == [90.0, 90.0]
    assert default.source.tolist() == ["fallback", "fallback"]
    assert expected_cycle_days(customer, order_day, 45.0).cycle_days.tolist() == [45.0, 45.0]
    with pytest.raises(ValueError):
        expected_cycle_days(customer, order_day, 0.0)


def test_same_day_orders_are_one_purchase_and_a_customer_with_two_on_day_one_is_new():
    status = score_customer_status(["a", "a"], days("2024-01-01", "2024-01-01"), D("2024-01-10"))
    assert status.purchase_days.tolist() == [1]
    assert status.cycle_source.tolist() == ["fallback"]
    assert status.status.tolist() == [NEW]


def test_status_expected_return_and_overdue_days_for_a_small_shop():
    customer = ["a", "a", "a", "b", "c"]
    order_day = days("2024-01-01", "2024-01-11", "2024-01-31", "2024-02-01", "2024-03-01")
    status = score_customer_status(customer, order_day, dt.date(2024, 3, 10))
    assert status.customer.tolist() == ["a", "b", "c"]
    assert status.purchase_days.tolist() == [3, 1, 1]
    assert status.last_order.tolist() == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 1),
        dt.date(2024, 3, 1),
    ]
    assert status.cycle_days.tolist() == [15.0, 10.0, 10.0]
    assert status.days_since_last.tolist() == [39, 38, 9]
    assert status.days_overdue.tolist() == [24.0, 28.0, -1.0]
    assert status.expected_return.tolist() == [
        dt.date(2024, 2, 15),
        dt.date(2024, 2, 11),
        dt.date(2024, 3, 11),
    ]
    assert status.status.tolist() == [AT_RISK, LOST, NEW]


def test_expected_return_rounds_a_half_day_cycle_up():
    status = score_customer_status(
        ["a"] * 3, days("2024-01-01", "2024-01-05", "2024-01-14"), D("2024-01-15")
    )
    assert status.cycle_days.tolist() == [6.5]
    assert status.expected_return.tolist() == [dt.date(2024, 1, 21)]
    assert status.status.tolist() == [ACTIVE]


def test_orders_after_as_of_are_ignored():
    customer, order_day = ["a", "a", "b"], days("2024-01-01", "2024-01-11", "2024-02-01")
    status = score_customer_status(customer, order_day, D("2024-01-05"))
    assert status.customer.tolist() == ["a"]
    assert status.purchase_days.tolist() == [1]
    assert status.cycle_source.tolist() == ["fallback"]


def test_an_empty_shop_has_no_statuses():
    status = score_customer_status([], days(), D("2024-01-01"))
    assert status.status.size == 0 and status.customer.size == 0


def test_purchase_days_rejects_mismatched_inputs():
    with pytest.raises(ValueError):
        purchase_days(["a", "b"], days("2024-01-01"))


orders_st = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 400)), min_size=1, max_size=40)


@given(orders_st, st.randoms(use_true_random=False))
def test_duplicated_and_reordered_orders_do_not_change_any_status(orders, rnd):
    shuffled = orders + rnd.sample(orders, len(orders))
    rnd.shuffle(shuffled)
    as_of = D("2025-06-01")

    def run(rows):
        cust = np.array([c for c, _ in rows])
        day = np.array([D("2024-01-01") + d for _, d in rows], dtype="datetime64[D]")
        s = score_customer_status(cust, day, as_of)
        return (
            s.customer.tolist(),
            s.cycle_days.tolist(),
            s.status.tolist(),
            s.expected_return.tolist(),
        )

    assert run(orders) == run(shuffled)


@given(orders_st)
def test_cycles_are_positive_and_status_matches_the_elapsed_cycles(orders):
    cust = np.array([c for c, _ in orders])
    day = np.array([D("2024-01-01") + d for _, d in orders], dtype="datetime64[D]")
    s = score_customer_status(cust, day, D("2025-06-01"))
    assert np.all(s.cycle_days >= 1)
    ratio = s.days_since_last / s.cycle_days
    assert np.all((s.status == LOST) == (ratio > 3))
    assert np.all((s.status == AT_RISK) == ((ratio > 1.5) & (ratio <= 3)))
    assert np.all(np.isin(s.status[ratio <= 1.5], [NEW, ACTIVE]))
    assert np.all((s.status == NEW) == ((ratio <= 1.5) & (s.purchase_days == 1)))
