"""Predictions publish only what the views and the API can hold (issue 10): an expected next
order within NEXT_ORDER_HORIZON_DAYS or none, finite numbers or null, money that fits
decimal(18, 2) or null."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.bgnbd import MbgNbdParams
from processors.analytics.btyd import median_time_to_next_purchase
from processors.analytics.clv import (
    NEXT_ORDER_HORIZON_DAYS,
    History,
    ShopModels,
    predict_churn,
    within_horizon,
)
from processors.projections.predictions import _floats, _money

MBG = MbgNbdParams(r=0.525, alpha=6.183 * 7, a=0.891, b=1.614, log_likelihood=0.0)
FITTED = ShopModels(mbgnbd=MBG)


def _history(x, t_x, T, cycle=30.0) -> History:
    x = np.asarray(x, dtype=float)
    n = x.size
    return History(
        x,
        np.asarray(t_x, dtype=float),
        np.asarray(T, dtype=float),
        np.full(n, np.nan),
        np.full(n, 50.0),
        np.broadcast_to(np.asarray(cycle, dtype=float), (n,)).copy(),
    )


def test_ten_years_is_the_horizon():
    assert NEXT_ORDER_HORIZON_DAYS == 3653


@pytest.mark.parametrize(
    ("days", "kept"),
    [
        (0.0, 0.0),
        (12.5, 12.5),
        (3653.0, 3653.0),
        (3653.01, None),
        (1e300, None),
        (np.inf, None),
        (np.nan, None),
        (-1.0, None),
    ],
)
def test_a_next_order_further_than_the_horizon_is_not_expected(days, kept):
    got = within_horizon(np.array([days]))[0]

    assert np.isnan(got) if kept is None else got == kept


def test_a_customer_just_on_the_alive_side_has_no_next_order_though_the_median_is_finite():
    # one repeat purchase on day 30, predicted on day 104: P(alive) 0.503, median wait
    # 4,139 days (nearer 1/2 it grows without bound: centuries, then past year 9999)
    x, t_x, T = np.array([1.0]), np.array([30.0]), np.array([104.0])
    median = median_time_to_next_purchase(MBG, x, t_x, T)
    got = predict_churn(_history(x, t_x, T), FITTED)

    assert np.isfinite(median[0]) and median[0] > NEXT_ORDER_HORIZON_DAYS
    assert got.probability[0] < 0.5
    assert np.isnan(got.next_order_days[0])


@given(
    x=st.integers(0, 40),
    gap=st.floats(0.0, 2000.0),
    since=st.floats(0.0, 4000.0),
)
def test_every_expected_next_order_lies_within_the_horizon_or_is_none(x, gap, since):
    t_x = gap if x else 0.0
    history = _history([x], [t_x], [t_x + since])
    median = median_time_to_next_purchase(MBG, history.x, history.t_x, history.T)[0]
    got = predict_churn(history, FITTED).next_order_days[0]

    if np.isfinite(median) and median <= NEXT_ORDER_HORIZON_DAYS:
        assert got == median
    else:
        assert np.isnan(got)


def test_the_fallback_does_not_expect_a_customer_whose_cycle_is_longer_than_the_horizon():
    history = _history([0, 0], [0, 0], [10, 10], cycle=[40.0, 5000.0])
    got = predict_churn(history, ShopModels())

    assert got.fallback
    assert got.next_order_days[0] == 30.0 and np.isnan(got.next_order_days[1])


def test_numbers_that_are_not_finite_are_published_as_null():
    column = _floats(np.array([0.12345, np.nan, np.inf, -np.inf]), 2)

    assert column.to_pylist() == [0.12, None, None, None]


def test_money_that_decimal_18_2_cannot_hold_is_published_as_null():
    column = _money(np.array([12.3456, 123456789012345.0, 1e16, -1e20, np.nan, np.inf]))

    assert column.to_pylist() == [Decimal("12.35"), Decimal("123456789012345.00")] + [None] * 4
