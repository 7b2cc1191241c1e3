"""The sales summary tiles' figures from day totals: whole days, cut days, the change and
its percentage (null, never infinite, on a zero base)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from processors.analytics.kpis import Comparison
from processors.analytics.sales_summary import (
    SaleTotals,
    cut_points,
    first_day,
    span_totals,
    tile_figures,
)
from processors.analytics.summary_periods import Span, Tile, summary_tiles

D = date.fromisoformat
M = Decimal
NOW = datetime(2026, 5, 20, 9, 15, tzinfo=UTC)  # UTC shop: today is 20 May


def _span(first: str, last: str, partial: bool = False) -> Span:
    start = datetime.combine(D(first), datetime.min.time(), UTC)
    end = datetime.combine(D(last) + timedelta(days=1), datetime.min.time(), UTC)
    return Span(D(first), D(last), start, end - timedelta(hours=1) if partial else end, partial)


def _by_name(days, cut) -> dict[str, dict[str, Comparison]]:
    tiles = summary_tiles(NOW, "UTC")
    return {figures.tile.name: figures.metrics for figures in tile_figures(tiles, days, cut)}


def test_a_span_adds_its_whole_days_and_takes_a_partial_last_day_from_the_cut_totals():
    days = {
        D("2026-05-01"): SaleTotals(M("10.00"), 1),
        D("2026-05-02"): SaleTotals(M("20.00"), 2),
        D("2026-05-03"): SaleTotals(M("999.00"), 9),  # the whole day: not the partial one's
        D("2026-04-30"): SaleTotals(M("500.00"), 5),  # outside
    }
    cut = {D("2026-05-03"): SaleTotals(M("3.50"), 1), D("2026-05-02"): SaleTotals(M("1"), 1)}

    assert span_totals(_span("2026-05-01", "2026-05-03", True), days, cut) == SaleTotals(
        M("33.50"), 4
    )
    assert span_totals(_span("2026-05-01", "2026-05-03"), days, cut) == SaleTotals(M("1029.00"), 12)
    assert span_totals(_span("2026-05-04", "2026-05-10"), days, cut) == SaleTotals()


def test_a_zero_base_gives_a_null_percentage_and_no_previous_aov_a_null_change():
    cut = {D("2026-05-20"): SaleTotals(M("50.00"), 2)}  # today so far; yesterday morning: 0

    today = _by_name({}, cut)["today"]

    assert today["revenue"] == Comparison(M("50.00"), M("0.00"), M("50.00"), None)
    assert today["orders"] == Comparison(2, 0, 2, None)
    assert today["aov"] == Comparison(M("25.00"), None, None, None)


def test_nothing_sold_anywhere_is_zeros_and_nulls_not_errors():
    figures = _by_name({}, {})

    for metrics in figures.values():
        assert metrics["revenue"] == Comparison(M("0.00"), M("0.00"), M("0.00"), None)
        assert metrics["orders"] == Comparison(0, 0, 0, None)
        assert metrics["aov"] == Comparison(None, None, None, None)


def test_a_fully_refunded_base_is_zero_revenue_with_an_order_so_the_aov_change_is_null_too():
    days = {
        D("2026-05-19"): SaleTotals(M("30.00"), 1),
        D("2026-05-18"): SaleTotals(M("0.00"), 1),  # refunded: counts, worth 0 net
    }

    yesterday = _by_name(days, {})["yesterday"]

    assert yesterday["revenue"] == Comparison(M("30.00"), M("0.00"), M("30.00"), None)
    assert yesterday["orders"] == Comparison(1, 1, 0, 0.0)
    assert yesterday["aov"] == Comparison(M("30.00"), M("0.00"), M("30.00"), None)


def test_changes_are_amounts_and_percentages_of_the_previous_value():
    days = {D("2026-05-19"): SaleTotals(M("90.00"), 3), D("2026-05-18"): SaleTotals(M("120.00"), 2)}

    yesterday = _by_name(days, {})["yesterday"]

    assert yesterday["revenue"] == Comparison(M("90.00"), M("120.00"), M("-30.00"), -25.0)
    assert yesterday["orders"] == Comparison(3, 2, 1, 50.0)
    assert yesterday["aov"] == Comparison(M("30.00"), M("60.00"), M("-30.00"), -50.0)


def test_the_cut_days_are_today_and_the_previous_periods_last_days_at_one_instant_each():
    tiles = summary_tiles(NOW, "UTC")

    points = cut_points(tiles)

    at = NOW.replace(tzinfo=None).time()
    assert points == {
        D("2026-05-20"): NOW,  # today, quarter and year to date
        D("2026-05-19"): datetime.combine(D("2026-05-19"), at, UTC),  # yesterday morning
        D("2026-02-19"): datetime.combine(D("2026-02-19"), at, UTC),  # Q1 at offset 49
        D("2025-05-20"): datetime.combine(D("2025-05-20"), at, UTC),  # last year
    }
    assert first_day(tiles) == D("2025-01-01")


def test_two_spans_cutting_one_day_at_different_instants_are_refused():
    early = Tile("a", _span("2026-05-01", "2026-05-03", True), _span("2026-04-01", "2026-04-01"))
    late = Span(early.current.first_day, early.current.last_day, early.current.start,
                early.current.end + timedelta(minutes=1), True)  # fmt: skip

    with pytest.raises(ValueError, match="two different instants"):
        cut_points([early, Tile("b", late, early.previous)])
