from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.kpis import (
    KPI_NAMES,
    Comparison,
    KpiTotals,
    average_order_value,
    compare,
    compare_totals,
    money,
    percent_change,
)

M = Decimal


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        (M("123.40"), M("100.00"), 23.4),
        (M("50.00"), M("100.00"), -50.0),
        (M("0.00"), M("100.00"), -100.0),
        (M("100.00"), M("100.00"), 0.0),
        (1, 3, -66.67),
        (2, 3, -33.33),
        (3, 2, 50.0),
        (M("-5.00"), M("-10.00"), 50.0),  # against |base|: less negative is an increase
        (M("5.00"), M("0.00"), None),
        (0, 0, None),
        (7, 0, None),
    ],
)
def test_percent_change_is_relative_to_the_base_and_null_when_the_base_is_zero(
    value, base, expected
):
    assert percent_change(value, base) == expected


@pytest.mark.parametrize(
    ("net", "orders", "expected"),
    [
        (M("190.00"), 4, M("47.50")),
        (M("100.00"), 3, M("33.33")),
        (M("0.05"), 2, M("0.03")),  # 0.025 rounds half up
        (M("0.00"), 1, M("0.00")),
        (M("0.00"), 0, None),
        (M("10.00"), 0, None),
    ],
)
def test_aov_is_net_revenue_per_order_rounded_to_cents_and_null_without_orders(
    net, orders, expected
):
    assert average_order_value(net, orders) == expected


def test_money_rounds_half_up_to_cents_and_treats_an_empty_sum_as_zero():
    assert money(None) == M("0.00")
    assert money("2.345") == M("2.35")
    assert money(3) == M("3.00")
    assert str(money(M("0"))) == "0.00"


def test_a_missing_value_on_either_side_gives_no_change():
    assert compare(None, M("50.00")) == Comparison(None, M("50.00"), None, None)
    assert compare(M("47.50"), None) == Comparison(M("47.50"), None, None, None)


def test_compare_totals_gives_every_kpi_in_order_with_value_previous_change_and_pct():
    current = KpiTotals(M("250.00"), M("60.00"), M("190.00"), 4, 3, 1)
    previous = KpiTotals(M("100.00"), M("0.00"), M("100.00"), 2, 2, 2)

    result = compare_totals(current, previous)

    assert list(result) == list(KPI_NAMES)
    assert result["revenue"] == Comparison(M("250.00"), M("100.00"), M("150.00"), 150.0)
    assert result["refunds"] == Comparison(M("60.00"), M("0.00"), M("60.00"), None)
    assert result["net_revenue"] == Comparison(M("190.00"), M("100.00"), M("90.00"), 90.0)
    assert result["orders"] == Comparison(4, 2, 2, 100.0)
    assert result["aov"] == Comparison(M("47.50"), M("50.00"), M("-2.50"), -5.0)
    assert result["customers"] == Comparison(3, 2, 1, 50.0)
    assert result["new_customers"] == Comparison(1, 2, -1, -50.0)


def test_an_empty_period_against_an_empty_period_has_zero_change_and_null_percentages():
    result = compare_totals(KpiTotals(), KpiTotals())

    assert result["revenue"] == Comparison(M("0.00"), M("0.00"), M("0.00"), None)
    assert result["orders"] == Comparison(0, 0, 0, None)
    assert result["aov"] == Comparison(None, None, None, None)


amounts = st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False)


@given(value=amounts, base=amounts)
def test_change_is_the_difference_and_its_percentage_has_the_same_sign(value, base):
    result = compare(value, base)

    assert result.change == value - base
    if base == 0:
        assert result.change_pct is None
    elif result.change_pct != 0:
        assert (result.change_pct > 0) == (result.change > 0)


@given(net=amounts, orders=st.integers(min_value=1, max_value=10**6))
def test_aov_times_orders_is_within_half_a_cent_per_order_of_net_revenue(net, orders):
    aov = average_order_value(net, orders)

    assert aov is not None
    assert abs(aov * orders - net) <= M("0.005") * orders
