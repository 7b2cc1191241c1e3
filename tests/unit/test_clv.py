"""Per-customer CLV and churn outputs (processors/analytics/clv.py, SPEC §4)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.analytics.bgnbd import BgNbdParams, GammaGammaParams, MbgNbdParams
from processors.analytics.btyd import expected_purchases, probability_alive
from processors.analytics.clv import (
    FALLBACK_CONFIDENCE,
    History,
    ShopModels,
    churn_levels,
    confidence,
    confidence_bands,
    fit_quality,
    history_cycles,
    monthly_rate,
    predict_churn,
    predict_clv,
    predict_purchases,
    value_segments,
    winback_discount,
)

# CDNOW's published fits, time in days (alpha x 7)
BG = BgNbdParams(r=0.243, alpha=4.414 * 7, a=0.793, b=2.426, log_likelihood=0.0)
MBG = MbgNbdParams(r=0.525, alpha=6.183 * 7, a=0.891, b=1.614, log_likelihood=0.0)
GG = GammaGammaParams(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
FITTED = ShopModels(bgnbd=BG, gamma_gamma=GG, mbgnbd=MBG, quality=1.0)


def _history(x, t_x, T, m=None, value=None, cycle=None) -> History:
    x = np.asarray(x, dtype=float)
    n = x.size
    return History(
        x,
        np.asarray(t_x, dtype=float),
        np.asarray(T, dtype=float),
        np.full(n, np.nan) if m is None else np.asarray(m, dtype=float),
        np.full(n, 50.0) if value is None else np.asarray(value, dtype=float),
        np.full(n, 30.0) if cycle is None else np.asarray(cycle, dtype=float),
    )


def test_churn_levels_follow_the_spec_bounds_with_each_bound_in_the_higher_level():
    got = churn_levels(np.array([0.0, 0.2499, 0.25, 0.4999, 0.5, 0.75, 1.0]))
    assert got.tolist() == ["Low", "Low", "Medium", "Medium", "High", "Critical", "Critical"]


def test_value_segments_are_high_above_2000_medium_above_500_else_low():
    got = value_segments(np.array([2000.01, 2000.0, 500.01, 500.0, 0.0]), 2000.0, 500.0)
    assert got.tolist() == ["High", "Medium", "Medium", "Low", "Low"]


def test_confidence_bands_are_high_from_08_medium_from_05():
    got = confidence_bands(np.array([0.8, 0.79, 0.5, 0.49]))
    assert got.tolist() == ["high", "medium", "medium", "low"]


def test_the_winback_discount_grows_within_its_level_and_never_passes_the_margin():
    probability = np.array([0.1, 0.3, 0.5, 0.7499, 0.75, 1.0])
    assert winback_discount(probability, 0.5).tolist() == [0, 10, 15, 20, 25, 30]
    assert winback_discount(probability, 0.18).tolist() == [0, 10, 15, 18, 18, 18]


def test_monthly_discounting_compounds_to_the_annual_rate():
    assert (1 + monthly_rate(0.10)) ** 12 == pytest.approx(1.10)


def test_confidence_grows_with_purchases_and_tenure_and_stops_at_the_cap():
    history = _history([0, 2, 5, 5], [0, 60, 300, 300], [10, 120, 400, 400])
    got = confidence(history, 0.9)
    assert got[0] < got[1] < got[2] == got[3] == pytest.approx(0.9)


def test_the_fit_quality_cap_grows_with_repeat_buyers_and_drops_with_backtest_error():
    assert fit_quality(0, None) == 0.5
    assert fit_quality(150, None) == pytest.approx(0.75)
    assert fit_quality(1000, None) == 1.0
    assert fit_quality(1000, -20.0) == pytest.approx(0.8)
    assert fit_quality(1000, 300.0) == pytest.approx(0.5)


def test_predicted_clv_is_the_discounted_sum_of_monthly_expected_purchases_times_spend():
    history = _history([3], [200], [250], m=[40.0])
    got = predict_clv(history, FITTED, 0.10)
    months = np.arange(0, 13) * 365.25 / 12
    cumulative = np.array(
        [expected_purchases(BG, t, history.x, history.t_x, history.T)[0] for t in months]
    )
    spend = (15.44 + 40.0 * 3) * 6.25 / (6.25 * 3 + 3.74 - 1)
    discount = (1.1 ** (1 / 12)) ** -np.arange(1, 13)
    expected_12m = spend * float(np.diff(cumulative) @ discount)
    assert got.clv_12m[0] == pytest.approx(expected_12m, rel=1e-9)
    assert got.clv_6m[0] == pytest.approx(
        spend * float(np.diff(cumulative)[:6] @ discount[:6]), rel=1e-9
    )
    assert got.spend[0] == pytest.approx(spend)
    assert got.low_12m[0] <= got.clv_12m[0] <= got.high_12m[0]
    assert not got.fallback


def test_customers_with_the_same_history_get_the_same_prediction_in_any_order():
    history = _history(
        [0, 3, 0, 3], [0, 200, 0, 200], [90, 250, 90, 250], m=[np.nan, 40, np.nan, 40]
    )
    got = predict_clv(history, FITTED, 0.10)
    assert got.clv_12m[0] == got.clv_12m[2] and got.clv_12m[1] == got.clv_12m[3]
    assert got.clv_12m[1] > got.clv_12m[0]


def test_without_a_fit_every_customer_gets_the_fallback_with_low_confidence():
    history = _history([0, 4], [0, 120], [400, 130], value=[80.0, 20.0], cycle=[30.0, 30.0])
    clv = predict_clv(history, ShopModels(), 0.10)
    churn = predict_churn(history, ShopModels())
    assert clv.fallback and churn.fallback
    assert (clv.confidence <= FALLBACK_CONFIDENCE).all()
    # the first customer is 370 days past a 30-day cycle: all but gone
    assert churn.probability[0] > 0.99 and churn.probability[1] == 0.0
    assert clv.clv_12m[0] < 1.0 < clv.clv_12m[1]
    assert np.isnan(churn.next_order_days[0]) and churn.next_order_days[1] == 20.0


def test_churn_is_one_minus_mbgnbd_p_alive_and_one_time_buyers_are_not_pinned_alive():
    history = _history([0, 0, 5], [0, 0, 300], [10, 500, 310])
    got = predict_churn(history, FITTED)
    alive = probability_alive(MBG, history.x, history.t_x, history.T)
    assert got.probability == pytest.approx(1 - alive)
    assert got.probability[1] > got.probability[0] > 0
    assert np.isfinite(got.next_order_days[2])


def test_the_backtest_prediction_uses_the_fit_or_else_the_fallback():
    history = _history([2, 0], [100, 0], [150, 60], m=[30.0, np.nan])
    expected, low, high, fallback = predict_purchases(history, FITTED, 180.0)
    assert not fallback
    assert expected == pytest.approx(
        expected_purchases(BG, 180.0, history.x, history.t_x, history.T)
    )
    assert (low <= expected).all() and (expected <= high).all()
    assert predict_purchases(history, ShopModels(), 180.0)[3]


def test_history_cycles_use_the_own_mean_gap_else_the_shop_median():
    assert history_cycles(np.array([2.0, 1.0, 0.0]), np.array([60.0, 40.0, 0.0])).tolist() == [
        30.0,
        40.0,
        35.0,
    ]


@st.composite
def histories(draw):
    n = draw(st.integers(1, 40))
    T = np.array(draw(st.lists(st.integers(0, 1500), min_size=n, max_size=n)), dtype=float)
    share = np.array(draw(st.lists(st.floats(0, 1), min_size=n, max_size=n)))
    x = np.array(draw(st.lists(st.integers(0, 60), min_size=n, max_size=n)), dtype=float)
    x = np.minimum(x, T)  # at most one purchase day per day
    t_x = np.where(x > 0, np.maximum(x, np.floor(T * share)), 0.0)
    m = np.where(x > 0, draw(st.floats(1, 500)), np.nan)
    cycle = np.array(draw(st.lists(st.floats(1, 400), min_size=n, max_size=n)))
    return _history(x, t_x, T, m=m, value=np.full(n, 42.0), cycle=cycle)


def _take(history: History, order: np.ndarray) -> History:
    return History(
        *(getattr(history, f)[order] for f in ("x", "t_x", "T", "m", "day_value", "cycle"))
    )


@settings(max_examples=60, deadline=None)
@given(histories(), st.booleans(), st.randoms(use_true_random=False))
def test_predictions_are_finite_ordered_and_do_not_depend_on_customer_order(history, fitted, rnd):
    models = FITTED if fitted else ShopModels()
    order = np.arange(history.x.size)
    rnd.shuffle(order)
    clv, shuffled = (
        predict_clv(history, models, 0.1),
        predict_clv(_take(history, order), models, 0.1),
    )
    churn = predict_churn(history, models)
    for value in (clv.clv_6m, clv.clv_12m, clv.low_12m, clv.high_12m, churn.probability):
        assert np.isfinite(value).all() and (value >= 0).all()
    assert (clv.clv_6m <= clv.clv_12m + 1e-9).all() and (clv.low_12m <= clv.high_12m).all()
    assert (churn.probability <= 1).all()
    np.testing.assert_allclose(shuffled.clv_12m, clv.clv_12m[order], rtol=1e-12)
    np.testing.assert_allclose(shuffled.high_12m, clv.high_12m[order], rtol=1e-12)


def test_a_fully_refunded_history_predicts_no_value_rather_than_a_negative_one():
    history = _history([0, 2], [0, 40], [100, 60], m=[np.nan, -10.0], value=[-5.0, -10.0])
    for models in (FITTED, ShopModels()):
        got = predict_clv(history, models, 0.10)
        assert (got.clv_12m >= 0).all() and (got.low_12m >= 0).all()
    # the fallback values a purchase at the customer's own average: here nothing
    assert predict_clv(history, ShopModels(), 0.10).clv_12m.tolist() == [0.0, 0.0]
