"""The sales summary (``sales/summary``, SPEC §3, seed 001): six tiles at once (today so far,
yesterday, last 7 and 30 days, quarter and year to date), each with net revenue, sale
orders and AOV, the previous period's values and the change.

The periods are processors/analytics/summary_periods.py's, the figures
processors/analytics/sales_summary.py's. Over the ``orders`` view, two small aggregates:
sale orders by revenue day (whole days, from the earliest day a tile needs), and, for the
few days a period stops on at a time of day (today, and the previous periods' last days),
that day's sale orders whose ``revenue_at`` is before the stop. The answer moves with the
clock: its ETag changes every minute as well as with the views.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from api.context import RequestContext, envelope
from api.json_shapes import DAY, MONEY, TIME, Schema, nullable, obj, ref
from api.params import FORMAT
from api.result import Result
from processors.analytics.kpis import money
from processors.analytics.sales_summary import (
    SUMMARY_METRICS,
    SaleTotals,
    TileFigures,
    cut_points,
    first_day,
    tile_figures,
)
from processors.analytics.summary_periods import TILE_NAMES, Span, summary_tiles

SUMMARY_PARAMS = (FORMAT,)
_SPAN_COLUMNS = ("from", "to", "start", "end")
SUMMARY_COLUMNS: tuple[str, ...] = (
    "tile",
    *_SPAN_COLUMNS,
    *("previous_" + name for name in _SPAN_COLUMNS),
    *(
        column
        for metric in SUMMARY_METRICS
        for column in (metric, "previous_" + metric, metric + "_change", metric + "_change_pct")
    ),
)
SUMMARY_DESCRIPTION = (
    "Six tiles, keyed by name: `today` (from the shop's local midnight to `as_of`, the "
    "request's clock) against yesterday from midnight to the same time of day; "
    "`yesterday` against the day before; `last_7_days` and `last_30_days` (whole days "
    "before today) against as many days right before them; `quarter_to_date` (from the "
    "quarter's first day to `as_of`) against the previous quarter from its first day to "
    "the day at the same offset (its last day when that quarter is shorter), until the "
    "same time of day; `year_to_date` against last year from 1 January to the same date "
    "(28 February for 29 February), until the same time of day. Days are the shop's "
    "(`timezone`); `from`/`to` are a period's first and last day, `start`/`end` its "
    "instants (UTC, end exclusive: the midnight after `to`, or where the period stops on "
    "`to`). Per period: `revenue` = net revenue (order totals less refunds) of the sale "
    "orders by revenue day, as `kpis` has it; `orders` = sale orders; `aov` = revenue / "
    "orders (null without orders). Each with `previous_*`, `*_change` (value - previous) "
    "and `*_change_pct` (percent, 2 decimals; null when the previous value is 0 or null). "
    "The answer moves with the clock: its ETag changes every minute as well as with the "
    "views. CSV: one row per tile, the same columns."
)

DAYS_SQL = """
SELECT revenue_day, count(*), sum(net)
FROM orders
WHERE is_sale AND revenue_day BETWEEN $first AND $last
GROUP BY revenue_day
"""
CUT_SQL = """
SELECT revenue_day, count(*), sum(net)
FROM orders
WHERE is_sale AND list_contains($days, revenue_day)
    AND revenue_at < $ends[list_position($days, revenue_day)]
GROUP BY revenue_day
"""


def _totals(
    connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object]
) -> dict[date, SaleTotals]:
    rows = connection.execute(sql, params).fetchall()
    return {day: SaleTotals(money(net), int(orders)) for day, orders, net in rows}


def _span_cells(span: Span) -> tuple[date, date, datetime, datetime]:
    return span.first_day, span.last_day, span.start, span.end


def _row(figures: TileFigures) -> tuple[object, ...]:
    tile = figures.tile
    values = [tile.name, *_span_cells(tile.current), *_span_cells(tile.previous)]
    for metric in SUMMARY_METRICS:
        item = figures.metrics[metric]
        values += [item.value, item.previous, item.change, item.change_pct]
    return tuple(values)


def sales_summary_result(ctx: RequestContext) -> Result:
    """The six tiles as of the request's clock, in the shop's timezone and currency."""
    if ctx.now is None:
        raise ValueError("the sales summary needs the request's clock (RequestContext.now)")
    tiles = summary_tiles(ctx.now, ctx.shop.timezone)
    cuts = cut_points(tiles)
    whole = {"first": first_day(tiles), "last": ctx.today}
    partial = {"days": list(cuts), "ends": list(cuts.values())}
    with ctx.views.connect("orders") as connection:
        days = _totals(connection, DAYS_SQL, whole)
        cut = _totals(connection, CUT_SQL, partial)
    rows = [_row(figures) for figures in tile_figures(tiles, days, cut)]
    meta = envelope(ctx) | {"timezone": ctx.shop.timezone, "as_of": ctx.now}
    return Result(SUMMARY_COLUMNS, rows, meta, layout="keyed", key="tiles")


def sales_summary_schemas() -> dict[str, Schema]:
    """OpenAPI components: one tile's fields (``SalesSummaryTile``) and the whole answer."""
    money_or_null = nullable(MONEY)
    shapes: dict[str, Schema] = {"from": DAY, "to": DAY, "start": TIME, "end": TIME}
    shapes |= {"previous_" + name: shapes[name] for name in _SPAN_COLUMNS}
    for metric in SUMMARY_METRICS:
        value = {"type": "integer"} if metric == "orders" else MONEY
        shapes[metric] = money_or_null if metric == "aov" else value
        shapes["previous_" + metric] = shapes[metric]
        shapes[metric + "_change"] = money_or_null if metric == "aov" else value
        shapes[metric + "_change_pct"] = {
            "type": ["number", "null"],
            "description": "percent; null when the previous value is 0 or null",
        }
    tile = obj({name: shapes[name] for name in SUMMARY_COLUMNS[1:]})
    summary = obj(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "timezone": {"type": "string", "description": "the shop's IANA timezone"},
            "as_of": TIME | {"description": "the request's clock the tiles are computed at"},
            "tiles": obj({name: ref("SalesSummaryTile") for name in TILE_NAMES}),
        }
    )
    return {"SalesSummaryTile": tile, "SalesSummary": summary}
