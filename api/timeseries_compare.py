"""The timeseries with ``compare`` (issue 14): per bucket the customer columns of
api/customer_timeseries.py, gross revenue, orders and AOV, and the facing bucket of the
compared period (processors/analytics/series_compare.py) with its figures, for an overlay.

Over the views, three small aggregates: sale orders by revenue day and customers by first
sale day, from the compared period's first day to the period's last; and the customers who
first bought before the period (its running ``total_customers``). The buckets' and the
periods' figures are summed from those days in Python.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from api.context import RequestContext, envelope
from api.data_as_of import AS_OF_EVENT
from api.errors import InvalidParameter
from api.json_shapes import DAY, MONEY, Schema, nullable, obj, ref, row_schema, strings
from api.params import ParamSpec
from api.result import Result
from processors.analytics.kpis import money
from processors.analytics.periods import InvalidPeriod, Period
from processors.analytics.series_compare import (
    COMPARES,
    SERIES_METRICS,
    SeriesFigures,
    bucket_figures,
    compared_period,
    facing_buckets,
    period_figures,
)
from schemas.view_types import MONEY as MONEY_TYPE

COMPARE = ParamSpec(
    "compare",
    "enum",
    "Add gross revenue, orders and AOV to each bucket and compare with `previous` (the "
    "period right before; whole calendar months with as many months before), `year` (the "
    "same dates a year earlier) or `none`. Without it, the original six columns.",
    COMPARES,
)
_METRIC_TYPES: dict[str, pa.DataType] = {
    "gross_revenue": MONEY_TYPE,
    "net_revenue": MONEY_TYPE,
    "orders": pa.int64(),
    "aov": MONEY_TYPE,
    "new_customers": pa.int64(),
}
COMPARED_ROW = pa.schema(
    [
        ("bucket_start", pa.date32()),
        ("bucket_end", pa.date32()),
        ("total_customers", pa.int64()),
        ("new_customers", pa.int64()),
        ("net_revenue", MONEY_TYPE),
        ("transactions", pa.int64()),  # = orders, the original column
        ("gross_revenue", MONEY_TYPE),
        ("orders", pa.int64()),
        ("aov", MONEY_TYPE),
        ("previous_bucket_start", pa.date32()),
        ("previous_bucket_end", pa.date32()),
        *(("previous_" + name, _METRIC_TYPES[name]) for name in SERIES_METRICS),
    ]
)
COMPARE_DESCRIPTION = (
    "With `compare` (previous, year or none) each row also has gross_revenue (order "
    "totals), orders (= transactions) and aov (net_revenue / orders, null without orders), "
    "and the facing bucket of the compared period: previous_bucket_start/_end and its "
    "previous_gross_revenue, _net_revenue, _orders, _aov and _new_customers (all null "
    "with compare=none, or when no bucket faces it). Facing: by day or week, the days at "
    "the same offset from the compared period's first day, as many and cut to it (day 31 "
    "of March faces none of February); by month, the compared period's calendar months in "
    "order. `previous_period` names the compared days; `totals` and `previous_totals` are "
    "the figures of the whole periods (a compared day facing no bucket counts there)."
)

DAYS_SQL = """
SELECT revenue_day, sum(total), sum(net), count(*)
FROM orders
WHERE is_sale AND revenue_day BETWEEN $first AND $last
GROUP BY revenue_day
"""
FIRSTS_SQL = """
SELECT first_order_day, count(*)
FROM customers
WHERE first_order_day BETWEEN $first AND $last
GROUP BY first_order_day
"""
BEFORE_SQL = "SELECT count(*) FROM customers WHERE first_order_day < $start"


def _daily(
    connection: duckdb.DuckDBPyConnection, first: date, last: date
) -> dict[date, SeriesFigures]:
    span = {"first": first, "last": last}
    days = {
        day: SeriesFigures(money(gross), money(net), int(orders))
        for day, gross, net, orders in connection.execute(DAYS_SQL, span).fetchall()
    }
    for day, count in connection.execute(FIRSTS_SQL, span).fetchall():
        days[day] = days.get(day, SeriesFigures()) + SeriesFigures(new_customers=int(count))
    return days


def _compared(period: Period, compare: str) -> Period | None:
    try:
        return compared_period(period, compare)
    except InvalidPeriod as exc:
        raise InvalidParameter(str(exc)) from None


def _facing(
    buckets: list[Period], period: Period, other: Period | None, interval: str
) -> list[Period | None]:
    if other is None:
        return [None] * len(buckets)
    try:
        return facing_buckets(buckets, period, other, interval)
    except InvalidPeriod as exc:
        raise InvalidParameter(str(exc)) from None


def _rows(
    buckets: list[Period], facing: list[Period | None], days: dict[date, SeriesFigures], before: int
) -> list[tuple[Any, ...]]:
    """One row per bucket: its own figures (and customers so far), then its facing one's."""
    rows, total = [], before
    blank = (None,) * (2 + len(SERIES_METRICS))
    mine, theirs = bucket_figures(buckets, days), bucket_figures(facing, days)
    for bucket, own, face, their in zip(buckets, mine, facing, theirs, strict=True):
        own = own or SeriesFigures()
        total += own.new_customers
        head = (bucket.start, bucket.end, total, own.new_customers, own.net_revenue, own.orders)
        head += (own.gross_revenue, own.orders, own.aov)
        tail = blank if face is None or their is None else (face.start, face.end, *their.values())
        rows.append(head + tail)
    return rows


def _totals(period: Period | None, days: dict[date, SeriesFigures]) -> dict[str, Any] | None:
    if period is None:
        return None
    return dict(zip(SERIES_METRICS, period_figures(period, days).values(), strict=True))


def compared_result(ctx: RequestContext, period: Period, buckets: list[Period]) -> Result:
    """The series of ``buckets`` (of ``period``) with its comparison (``ctx.values``)."""
    interval, compare = ctx.values["interval"], ctx.values["compare"]
    other = _compared(period, compare)
    facing = _facing(buckets, period, other, interval)
    first = period.start if other is None else min(other.start, period.start)
    with ctx.views.connect("orders", "customers") as connection:
        days = _daily(connection, first, period.end)
        ((before,),) = connection.execute(BEFORE_SQL, {"start": period.start}).fetchall()
    meta = envelope(ctx) | {
        AS_OF_EVENT.name: AS_OF_EVENT.value(ctx),
        "period": {"name": period.name, "from": period.start, "to": period.end},
        "interval": interval,
        "compare": compare,
        "previous_period": None if other is None else {"from": other.start, "to": other.end},
        "totals": _totals(period, days),
        "previous_totals": _totals(other, days),
    }
    rows = _rows(buckets, facing, days, int(before))
    return Result(tuple(COMPARED_ROW.names), rows, meta)


def timeseries_schemas(bucket_row: pa.Schema) -> dict[str, Schema]:
    """OpenAPI components: the series without ``compare`` (``bucket_row``'s rows) or with
    it, and the figures of a whole period."""
    figures = {"orders": {"type": "integer"}, "new_customers": {"type": "integer"}}
    totals = obj({name: figures.get(name, MONEY) for name in SERIES_METRICS})
    totals["properties"]["aov"] = nullable(MONEY)
    period = obj({"name": {"type": "string"}, "from": DAY, "to": DAY})
    head = {
        "shop_id": {"type": "string"},
        "currency": {"type": "string"},
        AS_OF_EVENT.name: AS_OF_EVENT.schema,
        "period": period,
        "interval": {"type": "string"},
    }
    rows = strings()
    plain = obj(
        head | {"columns": rows, "data": {"type": "array", "items": ref("TimeseriesBucket")}}
    ) | {"additionalProperties": False}  # so a compared answer fits only the other
    compared = obj(
        head
        | {
            "compare": {"type": "string", "enum": list(COMPARES)},
            "previous_period": nullable(obj({"from": DAY, "to": DAY})),
            "totals": ref("SeriesTotals"),
            "previous_totals": {"oneOf": [ref("SeriesTotals"), {"type": "null"}]},
            "columns": rows,
            "data": {"type": "array", "items": ref("TimeseriesComparedBucket")},
        }
    )
    return {
        "TimeseriesBucket": row_schema(bucket_row),
        "TimeseriesComparedBucket": row_schema(COMPARED_ROW),
        "SeriesTotals": totals,
        "Timeseries": {"oneOf": [plain, compared]},
    }
