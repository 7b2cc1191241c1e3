"""Retention (seeds 001, 004): customers by number of purchases now and at each month's end,
the repeat purchase rate, monthly cohorts, and contact stats.

Four tables. JSON without ``table`` carries all of them, each as ``{"columns", "data"}``
under its name; ``table=<name>`` answers with that one only, and CSV is the table named by
``table`` (default ``purchase_counts``) with the same columns and rows as in JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from api.context import RequestContext, envelope
from api.errors import InvalidParameter
from api.params import FORMAT, ParamSpec
from api.period_params import FROM_BEFORE_TO
from api.result import Result, table_block
from api.retention_queries import CustomerTotals, cohort_cells, customer_totals, reached_by_month
from api.shares import share
from api.version_memo import remembered
from processors.analytics.periods import Period, month_start, split_period
from processors.analytics.retention import PURCHASE_COUNT_LABELS
from schemas.shop import CONSENT_CHANNELS

MAX_MONTHS = 120
DEFAULT_MONTHS = 12
SPAN_RULE = f"from..to spans at most {MAX_MONTHS} months"
RETENTION_RULES = (FROM_BEFORE_TO, SPAN_RULE)

PURCHASE_COUNT_ROW = pa.schema(
    [("purchases", pa.string()), ("customers", pa.int64()), ("share", pa.float64())]
)
OVER_TIME_ROW = pa.schema(
    [("month", pa.date32()), ("as_of", pa.date32()), ("customers", pa.int64())]
    + [(f"purchases_{label}", pa.int64()) for label in ("1", "2", "3", "4", "5_plus")]
    + [("repeat_rate", pa.float64())]
)
COHORT_ROW = pa.schema(
    [
        ("cohort", pa.date32()),  # first day of the month of the first sale order
        ("size", pa.int64()),
        ("month_offset", pa.int64()),
        ("customers", pa.int64()),
        ("share", pa.float64()),
    ]
)
CONTACTS_ROW = pa.schema(
    [(name, pa.int64()) for name in ("customers", "buyers", "new_yesterday", "new_last_7_days")]
    + [
        (f"{channel}_{answer}", pa.int64())
        for channel in CONSENT_CHANNELS
        for answer in ("granted", "refused", "unknown")
    ]
)
TABLES: dict[str, pa.Schema] = {
    "purchase_counts": PURCHASE_COUNT_ROW,
    "over_time": OVER_TIME_ROW,
    "cohorts": COHORT_ROW,
    "contacts": CONTACTS_ROW,
}
RETENTION_PARAMS = (
    ParamSpec("table", "enum", "Only this table (and the one CSV carries).", tuple(TABLES)),
    ParamSpec(
        "from",
        "date",
        "A day in the first month of over_time and cohorts, on or before `to` (default: 11 "
        f"months before `to`'s month); from..to spans at most {MAX_MONTHS} months.",
    ),
    ParamSpec("to", "date", "Last day of over_time and cohorts (default today)."),
    FORMAT,
)


def requested_months(values: Mapping[str, Any], today: date) -> list[Period]:
    """The months from ``from``'s to ``to``'s (default: the 12 up to today's), the last
    one ending on ``to``; a 400 naming the problem otherwise."""
    end = values.get("to") or today
    first = month_start(values.get("from") or _months_before(end, DEFAULT_MONTHS - 1))
    if first > end:
        raise InvalidParameter(FROM_BEFORE_TO)
    count = _month_index(end) - _month_index(first) + 1
    if count > MAX_MONTHS:
        raise InvalidParameter(f"{SPAN_RULE} (this one: {count})")
    return split_period(Period("range", first, end), "month", MAX_MONTHS)


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _months_before(day: date, count: int) -> date:
    index = max(_month_index(day) - count, _month_index(date.min))
    return date(index // 12, index % 12 + 1, 1)


def purchase_count_rows(totals: CustomerTotals) -> list[tuple[Any, ...]]:
    return [
        (label, count, share(count, totals.buyers))
        for label, count in zip(PURCHASE_COUNT_LABELS, totals.purchase_counts, strict=True)
    ]


def over_time_rows(reached: list[tuple[Any, ...]], months: list[Period]) -> list[tuple[Any, ...]]:
    """Customers by purchases made up to each month's end (``as_of``)."""
    rows = []
    for (month, *at_least), period in zip(reached, months, strict=True):
        counts = [a - b for a, b in zip(at_least, [*at_least[1:], 0], strict=True)]
        rows.append((month, period.end, at_least[0], *counts, share(at_least[1], at_least[0])))
    return rows


def cohort_rows(cells: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return [(*cell, share(cell[3], cell[1])) for cell in cells]


def contacts_rows(totals: CustomerTotals) -> list[tuple[Any, ...]]:
    counts = (totals.customers, totals.buyers, totals.new_yesterday, totals.new_last_7_days)
    return [(*counts, *totals.consents)]


def table_rows(
    name: str, connection: duckdb.DuckDBPyConnection, totals: CustomerTotals, months: list[Period]
) -> list[tuple[Any, ...]]:
    """The rows of the retention table ``name``."""
    if name == "purchase_counts":
        return purchase_count_rows(totals)
    if name == "contacts":
        return contacts_rows(totals)
    if name == "over_time":
        return over_time_rows(reached_by_month(connection, months), months)
    return cohort_rows(cohort_cells(connection, Period("range", months[0].start, months[-1].end)))


def retention_result(ctx: RequestContext) -> Result:
    chosen = ctx.values.get("table")
    selected = chosen or "purchase_counts"
    wanted = [selected] if chosen or ctx.fmt == "csv" else list(TABLES)
    months = requested_months(ctx.values, ctx.today)
    span = (ctx.today, months[0].start, months[-1].end)
    with ctx.views.connect("customers", "orders") as connection:
        totals = remembered(
            ctx.views, ("retention", *span), lambda: customer_totals(connection, ctx.today)
        )
        tables = {
            name: remembered(
                ctx.views,
                ("retention", name, *span),
                lambda name=name: tuple(table_rows(name, connection, totals, months)),
            )
            for name in wanted
        }
    meta = envelope(ctx) | {
        "as_of": ctx.today,
        "from": months[0].start,
        "to": months[-1].end,
        "repeat_purchase_rate": share(totals.repeat_buyers, totals.buyers),
        "table": chosen,
    }
    meta |= {name: table_block(TABLES[name].names, rows) for name, rows in tables.items()}
    columns = tuple(TABLES[selected].names)
    return Result(columns, list(tables[selected]), meta, layout="block", key=selected)
