"""The sales summary tiles' figures (SPEC §3, seed 001): net revenue, sale orders and AOV of
each tile's period and of the period it is compared with, and the change.

Pure: sale totals come in by local day (``days``: whole days) and for the days a span stops
on at a time of day (``cut``: that day's sales before the span's end); the read API sums
them in DuckDB. Money is Decimal with 2 places, the change maths is the KPIs' (a ``null``
percentage when the base is 0).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from processors.analytics.kpis import ZERO, Comparison, average_order_value, compare
from processors.analytics.summary_periods import Span, Tile

SUMMARY_METRICS: tuple[str, ...] = ("revenue", "orders", "aov")


@dataclass(frozen=True)
class SaleTotals:
    """Net revenue (total less refunds) and the number of sale orders."""

    revenue: Decimal = ZERO
    orders: int = 0

    def __add__(self, other: SaleTotals) -> SaleTotals:
        return SaleTotals(self.revenue + other.revenue, self.orders + other.orders)

    @property
    def aov(self) -> Decimal | None:
        return average_order_value(self.revenue, self.orders)


@dataclass(frozen=True)
class TileFigures:
    tile: Tile
    metrics: dict[str, Comparison]  # SUMMARY_METRICS, in that order


def cut_points(tiles: Iterable[Tile]) -> dict[date, datetime]:
    """The days some span stops on at a time of day, and where it stops (one instant per
    day: ``summary_tiles`` cuts a day always at the same instant)."""
    points: dict[date, datetime] = {}
    for tile in tiles:
        for span in (tile.current, tile.previous):
            if span.partial and points.setdefault(span.last_day, span.end) != span.end:
                raise ValueError("a day is cut at two different instants")
    return points


def first_day(tiles: Iterable[Tile]) -> date:
    """The earliest day any span covers."""
    return min(min(tile.current.first_day, tile.previous.first_day) for tile in tiles)


def span_totals(
    span: Span, days: Mapping[date, SaleTotals], cut: Mapping[date, SaleTotals]
) -> SaleTotals:
    """The sales of ``span``: its whole days from ``days``, a partial last day from ``cut``."""
    total = SaleTotals()
    day = span.first_day
    while day <= span.last_day:
        whole = not (span.partial and day == span.last_day)
        total += (days if whole else cut).get(day, SaleTotals())
        day += timedelta(days=1)
    return total


def tile_figures(
    tiles: Iterable[Tile], days: Mapping[date, SaleTotals], cut: Mapping[date, SaleTotals]
) -> list[TileFigures]:
    """Each tile's revenue, orders and AOV against its previous period's."""
    figures = []
    for tile in tiles:
        now = span_totals(tile.current, days, cut)
        before = span_totals(tile.previous, days, cut)
        metrics = {
            "revenue": compare(now.revenue, before.revenue),
            "orders": compare(now.orders, before.orders),
            "aov": compare(now.aov, before.aov),
        }
        figures.append(TileFigures(tile, metrics))
    return figures
