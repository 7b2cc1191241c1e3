"""Product scores, grades, kept distributions, stock cover and trends (pure, SPEC §4)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.products import (
    ProductSales,
    ScoreDistribution,
    ScoringSettings,
    Weights,
    grade_for,
    grades_for,
    percentile_ranks,
    score_against,
    score_distribution,
    score_products,
    stock_cover,
    trend,
)

NAN = float("nan")


def sales(rows: list[tuple[float, float, float, float]], shop_revenue: float | None = None):
    """rows: (units, revenue, cost, price); ids are p0, p1, ... in row order."""
    units, revenue, cost, price = (list(column) for column in zip(*rows, strict=True))
    total = sum(revenue) if shop_revenue is None else shop_revenue
    ids = [f"p{i}" for i in range(len(rows))]
    return ProductSales(ids, units, revenue, cost, price, total)


# (units, revenue, cost, price) over 30 days; worked by hand in the tests below.
THREE = [
    (30, 300.0, 5.0, 10.0),  # velocity 1.0, margin 50 %
    (60, 120.0, NAN, 2.0),  # velocity 2.0, margin 30 % assumed
    (15, 900.0, 20.0, 60.0),  # velocity 0.5, margin 66.7 %
]


@pytest.mark.parametrize(
    ("score", "grade", "recommendation"),
    [
        (0, "F", "DISCONTINUE"),
        (19, "F", "DISCONTINUE"),
        (20, "D", "DISCOUNT"),
        (39, "D", "DISCOUNT"),
        (40, "C", "MAINTAIN"),
        (59, "C", "MAINTAIN"),
        (60, "B", "OPTIMIZE"),
        (79, "B", "OPTIMIZE"),
        (80, "A+", "PROMOTE"),
        (100, "A+", "PROMOTE"),
    ],
)
def test_each_grade_starts_and_ends_where_the_spec_says(score, grade, recommendation):
    assert grade_for(score) == (grade, recommendation)


@pytest.mark.parametrize("score", [-1, 101])
def test_a_score_outside_0_to_100_has_no_grade(score):
    with pytest.raises(ValueError, match="0 to 100"):
        grades_for([score])


def test_three_products_get_the_metrics_ranks_and_scores_worked_by_hand():
    result = score_products(sales(THREE))
    assert result.velocity.tolist() == [1.0, 2.0, 0.5]
    assert result.revenue_pct.tolist() == pytest.approx([300 / 13.2, 120 / 13.2, 900 / 13.2])
    assert result.margin_pct.tolist() == pytest.approx([50.0, 30.0, 200 / 3])
    assert result.margin_assumed.tolist() == [False, True, False]
    low, mid, high = 100 / 6, 50.0, 500 / 6
    assert result.velocity_rank.tolist() == pytest.approx([mid, high, low])
    assert result.revenue_rank.tolist() == pytest.approx([mid, low, high])
    assert result.margin_rank.tolist() == pytest.approx([mid, low, high])
    # p1: 50; p2: (40 * 83.3 + 40 * 16.7 + 20 * 16.7) / 100 = 43.3; p3: 56.7
    assert result.score.tolist() == [50, 43, 57]
    assert result.grade.tolist() == ["C", "C", "C"]
    assert (
        result.reason[1] == "percentile ranks: velocity 83, revenue 17, margin 17 (margin assumed)"
    )


@pytest.mark.parametrize(
    ("weights", "best_to_worst"),
    [
        (Weights(1, 0, 0), ["p1", "p0", "p2"]),  # velocity only
        (Weights(0, 1, 0), ["p2", "p0", "p1"]),  # revenue only
        (Weights(0, 0, 1), ["p2", "p0", "p1"]),  # margin only
        (Weights(2, 0, 1), ["p1", "p0", "p2"]),  # p1: 61.1, p0: 50, p2: 38.9
        (Weights(1, 0, 2), ["p2", "p0", "p1"]),  # the same metrics, the other way round
    ],
)
def test_changing_the_weights_reorders_the_products_as_the_weighted_metric_orders_them(
    weights, best_to_worst
):
    result = score_products(sales(THREE), ScoringSettings(weights=weights))
    by_score = sorted(zip(result.score.tolist(), result.product_id.tolist(), strict=True))
    assert [pid for _, pid in reversed(by_score)] == best_to_worst


def test_velocity_only_weights_give_the_velocity_rank_rounded_as_the_score():
    result = score_products(sales(THREE), ScoringSettings(weights=Weights(5, 0, 0)))
    assert result.score.tolist() == [50, 83, 17]
    assert result.grade.tolist() == ["C", "A+", "F"]


@pytest.mark.parametrize(
    "weights",
    [
        {"velocity": -1.0},
        {"velocity": 0.0, "revenue": 0.0, "margin": 0.0},
        {"margin": NAN},
        {"revenue": math.inf},
    ],
)
def test_weights_must_be_finite_not_negative_and_not_all_zero(weights):
    with pytest.raises(ValueError, match="weight"):
        Weights(**weights)


def test_a_product_with_no_sales_scores_0_says_so_and_does_not_move_the_others():
    with_unsold = sales([*THREE, (0, 0.0, 1.0, 9.0), (-2, -18.0, NAN, 9.0)])
    result = score_products(with_unsold, ScoringSettings(window_days=30))
    assert result.score.tolist() == [50, 43, 57, 0, 0]
    assert result.grade[3:].tolist() == ["F", "F"]
    assert result.recommendation[3:].tolist() == ["DISCONTINUE", "DISCONTINUE"]
    assert result.reason[3:].tolist() == ["no sales in the last 30 days"] * 2
    assert np.isnan(result.velocity_rank[3:]).all()
    short = score_products(sales([(0, 0.0, NAN, 5.0)]), ScoringSettings(window_days=14))
    assert short.reason.tolist() == ["no sales in the last 14 days"]


def test_a_single_product_ranks_50_on_every_metric_and_scores_50():
    result = score_products(sales([(7, 70.0, 4.0, 10.0)]))
    assert [result.velocity_rank[0], result.revenue_rank[0], result.margin_rank[0]] == [50.0] * 3
    assert (result.score[0], result.grade[0], result.recommendation[0]) == (50, "C", "MAINTAIN")


def test_all_equal_products_score_50_and_a_metric_where_all_tie_adds_the_same_points():
    assert score_products(sales([(3, 30.0, NAN, 10.0)] * 4)).score.tolist() == [50] * 4
    distinct = [(units, units * 10.0, NAN, 10.0) for units in range(1, 11)]  # margins all assumed
    best = score_products(sales(distinct)).score.max()
    assert best == round(0.8 * 95 + 0.2 * 50)  # 86: the best seller can still reach A+


def test_percentile_ranks_follow_the_mid_rank_rule_and_an_empty_distribution_ranks_50():
    assert percentile_ranks([1, 2, 2, 3]).tolist() == [12.5, 50.0, 50.0, 87.5]
    assert percentile_ranks([0.5, 2, 9], distribution=[1, 2, 3, 4]).tolist() == [0.0, 37.5, 100.0]
    assert percentile_ranks([4.0], distribution=[]).tolist() == [50.0]
    with pytest.raises(ValueError, match="NaN"):
        percentile_ranks([1.0, NAN])


def test_revenue_share_is_of_the_shop_total_passed_in_not_of_the_products_scored():
    result = score_products(sales(THREE, shop_revenue=6000.0))
    assert result.revenue_pct.tolist() == pytest.approx([5.0, 2.0, 15.0])
    assert score_products(sales(THREE, shop_revenue=0.0)).revenue_pct.tolist() == [0, 0, 0]


@pytest.mark.parametrize(
    ("cost", "price", "margin", "assumed"),
    [
        (6.0, 10.0, 40.0, False),
        (NAN, 10.0, 25.0, True),
        (6.0, 0.0, 25.0, True),
        (12.0, 10.0, -20.0, False),
    ],
)
def test_margin_comes_from_cost_when_known_and_from_the_shop_default_otherwise(
    cost, price, margin, assumed
):
    settings = ScoringSettings(default_margin=0.25)
    result = score_products(sales([(1, 10.0, cost, price)]), settings)
    assert result.margin_pct[0] == pytest.approx(margin)
    assert bool(result.margin_assumed[0]) is assumed


def test_equal_margins_from_different_costs_and_prices_tie():
    result = score_products(sales([(1, 3.0, 1.0, 3.0), (1, 3.0, 0.3, 0.9), (1, 3.0, 2.0, 6.0)]))
    assert len(set(result.margin_rank.tolist())) == 1
    assert len(set(result.score.tolist())) == 1


def test_non_finite_units_are_refused_naming_the_field():
    with pytest.raises(ValueError, match="units must be"):
        score_products(sales([(NAN, 1.0, 1.0, 2.0)]))


row = st.tuples(
    st.integers(-2, 40),
    st.integers(0, 500).map(float),
    st.sampled_from([NAN, 1.0, 3.0, 5.0]),
    st.sampled_from([NAN, 4.0, 6.0, 10.0]),
)
rows = st.lists(row, min_size=1, max_size=25)
weights = st.tuples(*(st.integers(0, 5) for _ in range(3))).filter(any).map(lambda w: Weights(*w))


def scores_by_row(rows_, settings) -> dict[tuple, set[int]]:
    result = score_products(sales(rows_, shop_revenue=1000.0), settings)
    found: dict[tuple, set[int]] = {}
    for key, score in zip(map(repr, rows_), result.score.tolist(), strict=True):
        found.setdefault(key, set()).add(score)
    return found


@given(rows, weights, st.randoms(use_true_random=False))
def test_scores_depend_on_the_values_only_not_on_the_order_and_ties_score_equal(rows_, w, rnd):
    settings = ScoringSettings(weights=w)
    shuffled = list(rows_)
    rnd.shuffle(shuffled)
    original = scores_by_row(rows_, settings)
    assert all(len(scores) == 1 for scores in original.values())  # equal rows, equal scores
    assert scores_by_row(shuffled, settings) == original


@given(rows, weights)
def test_every_score_is_an_integer_0_to_100_with_the_grade_of_its_band(rows_, w):
    result = score_products(sales(rows_), ScoringSettings(weights=w))
    assert all(0 <= s <= 100 for s in result.score.tolist())
    assert [grade_for(s)[0] for s in result.score.tolist()] == result.grade.tolist()


@given(rows, weights, st.data())
def test_scoring_against_the_kept_distribution_equals_the_full_run_for_its_values(rows_, w, data):
    settings = ScoringSettings(weights=w)
    full = score_products(sales(rows_, shop_revenue=1000.0), settings)
    kept_json = json.dumps(
        score_distribution(sales(rows_, shop_revenue=1000.0), settings).as_json()
    )
    kept = ScoreDistribution.from_json(json.loads(kept_json))  # as the state would keep it
    picked = data.draw(st.lists(st.sampled_from(range(len(rows_))), min_size=1, unique=True))
    subset = sales([rows_[i] for i in picked], shop_revenue=1000.0)
    against = score_against(subset, kept, settings)
    assert against.score.tolist() == [full.score[i] for i in picked]
    assert against.reason.tolist() == [full.reason[i] for i in picked]


def test_a_changed_product_ranks_by_its_place_in_the_kept_distribution():
    kept = score_distribution(sales(THREE))  # velocities 0.5, 1.0, 2.0
    faster = sales([(90, 300.0, 5.0, 10.0)], shop_revenue=1320.0)  # velocity 3.0: above all
    result = score_against(faster, kept)
    assert result.velocity_rank.tolist() == [100.0]
    assert result.revenue_rank.tolist() == [50.0]  # revenue 300 is the middle of 120, 300, 900
    assert result.score.tolist() == [round(0.4 * 100 + 0.4 * 50 + 0.2 * 50)]
    empty = ScoreDistribution((), (), ())
    assert score_against(faster, empty).score.tolist() == [50]  # as a one-product shop


@pytest.mark.parametrize(
    ("stock", "velocity", "cover", "low"),
    [
        (14, 2.0, 7.0, False),  # exactly the lead time: not below it
        (13, 2.0, 6.5, True),
        (0, 2.0, 0.0, True),
        (-3, 2.0, 0.0, True),  # backorders
        (None, 2.0, None, False),  # stock not managed
        (50, 0.0, None, False),  # no sales: nothing runs out
        (50, -0.1, None, False),  # net refunds
    ],
)
def test_days_of_cover_divide_stock_by_velocity_and_flag_cover_under_the_lead_time(
    stock, velocity, cover, low
):
    result = stock_cover(stock, velocity, lead_time_days=7)
    assert (result.days_of_cover, result.low_stock) == (cover, low)


def test_a_longer_lead_time_makes_the_same_cover_low():
    assert stock_cover(20, 2.0, lead_time_days=14).low_stock is True


@pytest.mark.parametrize(
    ("last", "previous", "change", "trending"),
    [
        (10, 6, 200 / 3, True),
        (9, 6, 50.0, True),  # exactly +50 %
        (8, 6, 100 / 3, False),
        (4, 1, 300.0, False),  # below the minimum volume
        (5, 0, None, True),  # new seller at the minimum volume
        (4, 0, None, False),
        (3, 12, -75.0, False),
    ],
)
def test_trending_needs_a_rise_of_50_percent_and_the_minimum_volume(
    last, previous, change, trending
):
    result = trend(last, previous, min_units=5)
    assert result.trending is trending
    assert result.change_pct == (None if change is None else pytest.approx(change))
