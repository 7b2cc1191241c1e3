"""Price elasticity from a product's own daily history, and the guarded optimal price (pure)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.elasticity import (
    MAX_CHANGE,
    NOT_ENOUGH_VARIATION,
    ElasticityFit,
    estimate_elasticity,
    optimal_price,
)

PRICE_LEVELS = [16.0, 18.0, 20.0, 22.0, 24.0]


def synthetic_history(elasticity: float, seed: int, days: int = 120, sigma: float = 0.3):
    """Daily units = 400 * price ** e, times log-normal noise; prices cycle through 5 levels."""
    rng = np.random.default_rng(seed)
    prices = rng.choice(PRICE_LEVELS, size=days)
    units = 400.0 * prices**elasticity * rng.lognormal(0.0, sigma, size=days)
    return units, prices


def fit(elasticity: float, se: float) -> ElasticityFit:
    return ElasticityFit(elasticity, se, 0.8, 60, 4)


@pytest.mark.parametrize(("true_e", "seed"), [(-1.8, 7), (-0.6, 11), (-3.0, 23)])
def test_the_fit_recovers_a_known_elasticity_within_two_standard_errors(true_e, seed):
    units, prices = synthetic_history(true_e, seed)
    result = estimate_elasticity(units, prices)
    assert result.reason is None
    assert abs(result.elasticity - true_e) <= 2 * result.standard_error
    assert (result.n_days, result.n_prices) == (120, 5)
    assert 0 < result.r_squared <= 1


def test_the_standard_error_is_honest_about_95_percent_of_fits_fall_within_two_of_it():
    hits = 0
    for seed in range(200):
        result = estimate_elasticity(*synthetic_history(-1.5, seed, days=40))
        hits += abs(result.elasticity + 1.5) <= 2 * result.standard_error
    assert 180 <= hits <= 200  # nominal ~95 %; a wrong standard error misses this band


def test_noiseless_constant_elasticity_sales_fit_exactly():
    prices = np.array([10.0, 12.0, 15.0, 10.0, 12.0])
    result = estimate_elasticity(50.0 * prices**-2.0, prices)
    assert result.elasticity == pytest.approx(-2.0)
    assert result.standard_error == pytest.approx(0.0, abs=1e-9)
    assert result.r_squared == pytest.approx(1.0)


def test_days_without_sales_are_left_out_of_the_fit():
    units, prices = synthetic_history(-1.8, 3, days=60)
    with_zeros = estimate_elasticity(np.append(units, [0, 0, -1]), np.append(prices, [30, 30, 16]))
    plain = estimate_elasticity(units, prices)
    assert with_zeros == plain
    assert with_zeros.n_days == 60


@pytest.mark.parametrize(
    "prices",
    [
        [19.99] * 30,  # the price never changed
        [19.99, 24.99] * 15,  # only two prices
        [19.99, 19.990001, 24.99] * 10,  # two prices once rounded to cents
    ],
)
def test_a_product_without_three_distinct_prices_gets_no_elasticity_and_says_why(prices):
    units = np.linspace(5, 9, len(prices))
    result = estimate_elasticity(units, prices)
    assert (result.elasticity, result.standard_error, result.reason) == (
        None,
        None,
        NOT_ENOUGH_VARIATION,
    )
    assert result.n_prices == len(set(np.round(prices, 2)))
    assert optimal_price(result, 19.99).reason == NOT_ENOUGH_VARIATION


def test_a_product_that_never_sold_has_no_elasticity():
    assert estimate_elasticity([0, 0, 0], [10.0, 11.0, 12.0]).reason == "no days with sales"


def test_units_that_are_not_numbers_are_refused():
    with pytest.raises(ValueError, match="units must be finite"):
        estimate_elasticity([1.0, math.nan, 2.0], [10.0, 11.0, 12.0])


def test_elastic_demand_lowers_the_price_to_the_guard_for_revenue():
    suggestion = optimal_price(fit(-2.5, 0.2), 20.0, "revenue")
    assert suggestion.optimal_price == pytest.approx(16.0)
    assert suggestion.clamped is True and suggestion.reason is None


def test_inelastic_demand_raises_the_price_to_the_guard_for_revenue_and_for_profit():
    assert optimal_price(fit(-0.4, 0.1), 20.0, "revenue").optimal_price == pytest.approx(24.0)
    profit = optimal_price(fit(-0.4, 0.1), 20.0, "profit", unit_cost=8.0)
    assert profit.optimal_price == pytest.approx(24.0)
    assert profit.unclamped_price is None  # profit keeps rising with the price


@pytest.mark.parametrize(
    ("unit_cost", "lerner", "price", "clamped"),
    [
        (11.0, 22.0, 22.0, False),  # inside the guard: p* = c * e / (1 + e) = 2c
        (5.0, 10.0, 20.0, True),  # -20 % guard
        (20.0, 40.0, 30.0, True),  # +20 % guard
    ],
)
def test_the_profit_price_is_the_lerner_price_clamped_to_20_percent(
    unit_cost, lerner, price, clamped
):
    suggestion = optimal_price(fit(-2.0, 0.1), 25.0, "profit", unit_cost=unit_cost)
    assert suggestion.unclamped_price == pytest.approx(lerner)
    assert suggestion.optimal_price == pytest.approx(price)
    assert suggestion.clamped is clamped


@pytest.mark.parametrize(
    ("elasticity", "se", "objective", "cost", "current", "reason"),
    [
        (-1.1, 0.2, "revenue", None, 20.0, "elasticity not distinguishable from -1"),
        (0.3, 0.1, "revenue", None, 20.0, "demand not shown to fall with the price"),
        (-0.3, 0.2, "profit", 5.0, 20.0, "demand not shown to fall with the price"),
        (-2.0, 0.1, "profit", None, 20.0, "unit cost unknown"),
        (-2.0, 0.1, "profit", math.nan, 20.0, "unit cost unknown"),
        (-2.0, 0.1, "revenue", None, 0.0, "current price unknown"),
    ],
)
def test_when_there_is_no_optimal_price_the_suggestion_says_why(
    elasticity, se, objective, cost, current, reason
):
    suggestion = optimal_price(fit(elasticity, se), current, objective, unit_cost=cost)
    assert (suggestion.optimal_price, suggestion.reason) == (None, reason)


def test_an_unknown_objective_is_refused():
    with pytest.raises(ValueError, match="objective"):
        optimal_price(fit(-2.0, 0.1), 20.0, "volume")


@given(
    st.floats(-6, 2),
    st.floats(0, 1),
    st.floats(0.01, 1e5),
    st.sampled_from(["revenue", "profit"]),
    st.one_of(st.none(), st.floats(0, 1e5)),
)
def test_any_suggested_price_is_within_20_percent_of_the_current_price(e, se, price, goal, cost):
    suggestion = optimal_price(fit(e, se), price, goal, unit_cost=cost)
    if suggestion.optimal_price is None:
        assert suggestion.reason
    else:
        low, high = price * (1 - MAX_CHANGE), price * (1 + MAX_CHANGE)
        assert low <= suggestion.optimal_price <= high


def test_a_fitted_history_gives_a_guarded_price_in_the_direction_its_elasticity_says():
    elastic = estimate_elasticity(*synthetic_history(-2.5, 5))
    inelastic = estimate_elasticity(*synthetic_history(-0.5, 5))
    assert optimal_price(elastic, 20.0).optimal_price == pytest.approx(16.0)
    assert optimal_price(inelastic, 20.0).optimal_price == pytest.approx(24.0)
