"""Read-only queries over a shop's views; each returns plain rows for one Result.

Parameterised SQL only: the statements are built from constants (api/listing.py) and
every user value is a named parameter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from api.listing import ListView, order_by, select_list, where_clause
from api.version_memo import remembered
from api.viewfiles import ShopViews
from processors.analytics.kpis import KpiTotals, money
from processors.analytics.periods import Period
from store.arrow_results import arrow_of

_EXPORT_BATCH_ROWS = 10_000
_FIRST_DAY = (date.min - date(1970, 1, 1)).days  # days since 1970-01-01 of 0001-01-01
_LAST_DAY = (date.max - date(1970, 1, 1)).days + 1  # ... of the day after 9999-12-31
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000}
# per unit, the first and last value Python can hold (a date, or a time in that unit)
# as Arrow scalars of the counts' types: a Python int beside an array costs pyarrow a type
# inference each time
_PYTHON_RANGE = {
    "day": (pa.scalar(_FIRST_DAY, pa.int32()), pa.scalar(_LAST_DAY - 1, pa.int32()))
} | {
    unit: (
        pa.scalar(_FIRST_DAY * per_day, pa.int64()),
        pa.scalar(_LAST_DAY * per_day - 1, pa.int64()),
    )
    for unit, per_day in _PER_DAY.items()
}


@dataclass(frozen=True)
class Page:
    number: int  # 1-based
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def pagination(page: Page, total: int) -> dict[str, int]:
    """What JSON says about a page: ``{"page", "per_page", "total", "pages"}``."""
    return {
        "page": page.number,
        "per_page": page.size,
        "total": total,
        "pages": -(-total // page.size),
    }


@dataclass(frozen=True)
class PageRows:
    rows: list[tuple[Any, ...]]
    total: int


def _renderable(column: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """``column`` with null where a value has no JSON or CSV form: NaN and infinite
    numbers, and dates and times outside years 1..9999 (Parquet holds them; Python's
    date and datetime do not). A view that holds one still answers, with null there."""
    kind = column.type
    if pa.types.is_floating(kind):
        keep = pc.is_finite(column)
    elif pa.types.is_date32(kind) or (pa.types.is_timestamp(kind) and kind.unit != "ns"):
        count = column.cast(pa.int64()) if pa.types.is_timestamp(kind) else column.cast(pa.int32())
        low, high = _PYTHON_RANGE[kind.unit if pa.types.is_timestamp(kind) else "day"]
        keep = pc.and_(pc.greater_equal(count, low), pc.less_equal(count, high))
    else:  # ns timestamps (years 1677..2262), date64 never written by the views, the rest
        return column
    if pc.all(pc.fill_null(keep, True)).as_py():
        return column
    return pc.if_else(keep, column, pa.scalar(None, kind))


def _python_values(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    """A column as Python values (see ``_renderable``); UTC timestamps go through naive
    datetimes, which pyarrow converts about three times faster than zone-aware ones."""
    column = _renderable(column)
    if pa.types.is_timestamp(column.type) and column.type.tz is not None:
        naive = column.cast(pa.timestamp(column.type.unit)).to_pylist()
        return [value and value.replace(tzinfo=UTC) for value in naive]
    return column.to_pylist()


def table_rows(table: pa.Table | pa.RecordBatch) -> list[tuple[Any, ...]]:
    return list(zip(*(_python_values(column) for column in table.columns), strict=True))


def rendered_rows(table: pa.Table | pa.RecordBatch) -> list[tuple[Any, ...]]:
    """``table_rows`` with times, dates and money already the text JSON and CSV show for
    them (``api.render``: ``2024-01-05T10:00:00Z``, ``2024-01-05``, ``12.30``), formatted
    by Arrow a column at a time instead of a Python call per cell: a page of 250 orders
    renders in about a third of the time. Times with a fraction of a second and money of
    another scale keep their Python values (the renderers format them as before)."""
    return list(zip(*(_rendered(column) for column in table.columns), strict=True))


def _rendered(column: pa.ChunkedArray | pa.Array) -> list[Any]:
    column = _renderable(column)
    kind = column.type
    try:
        if pa.types.is_timestamp(kind):  # in UTC, whole seconds (else ArrowInvalid)
            seconds = column.cast(pa.timestamp("s", "UTC" if kind.tz else None))
            return pc.strftime(seconds, "%Y-%m-%dT%H:%M:%SZ").to_pylist()
        if pa.types.is_date32(kind) or (pa.types.is_decimal(kind) and kind.scale == 2):
            return column.cast(pa.string()).to_pylist()
    except pa.ArrowInvalid:
        pass
    return _python_values(column)


ONE_STEP_ROWS = 50_000  # at most this many matching rows: the page in one top-N (list_page)


def list_page(
    connection: duckdb.DuckDBPyConnection,
    spec: ListView,
    values: Mapping[str, Any],
    page: Page,
    views: ShopViews | None = None,
) -> PageRows:
    """One page of ``spec``'s view, filtered and sorted, with the total matching rows.

    A count, then the page: on a million rows two statements are ten times faster than
    ``count(*) OVER ()``, which has to materialise every matching row first. When many rows
    match, the page is found as keys first (the sort and key columns only), then its rows
    are read by key: a top-N over every column of a million rows reads them all (about 300
    ms), the two steps about 50 ms. When at most ``ONE_STEP_ROWS`` match (a search, a narrow
    filter), one top-N over every column is cheaper than reading the view again by key
    (25,000 of 200,000 customers: 27 against 33 ms). With ``views``, the count is computed
    once per version of them, and not at all without a filter: the manifest counts the
    view's rows (about 6 ms a version on a million orders)."""
    where, params = where_clause(spec, values)
    total = _count(connection, spec, where, params, views)
    if total <= page.offset:
        return PageRows([], total)
    params.update(limit=page.size, offset=page.offset)
    order = order_by(spec, values.get("sort"))
    if total <= ONE_STEP_ROWS:
        sql = f"SELECT {select_list(spec)} FROM {spec.source}{where}{order}"
        page_sql = sql + " LIMIT $limit OFFSET $offset"
        table = arrow_of(connection, page_sql, params)
        return PageRows(rendered_rows(table), total)
    keys = ", ".join('"' + column + '"' for column in spec.key)
    sql = f"SELECT {keys} FROM {spec.source}{where}{order}"
    found = arrow_of(connection, sql + " LIMIT $limit OFFSET $offset", params)
    # the page's rows by key, in the order the keys came (``_rank``)
    named = {f"k{n}": found.column(n).to_pylist() for n in range(found.num_columns)}
    pairs = zip(named, spec.key, strict=True)
    unnested = ", ".join(f'unnest(${name}) AS "{column}"' for name, column in pairs)
    rows = (
        f"SELECT {select_list(spec)} FROM {spec.source} "
        f"JOIN (SELECT {unnested}, generate_subscripts($k0, 1) AS _rank) USING ({keys}) "
        "ORDER BY _rank"
    )
    table = arrow_of(connection, rows, named)
    return PageRows(rendered_rows(table), total)


def _count(
    connection: duckdb.DuckDBPyConnection,
    spec: ListView,
    where: str,
    params: dict[str, Any],
    views: ShopViews | None,
) -> int:
    counted = views.row_count(spec.view) if views is not None and not where else None
    if counted is not None:
        return counted
    sql = f"SELECT count(*) FROM {spec.source}{where}"

    def count() -> int:
        return int(connection.execute(sql, params).fetchall()[0][0])

    if views is None:
        return count()
    return remembered(views, ("count", sql, repr(sorted(params.items()))), count)


def list_all(
    connection: duckdb.DuckDBPyConnection, spec: ListView, values: Mapping[str, Any]
) -> Iterator[tuple[Any, ...]]:
    """Every matching row, in order, streamed in batches (the CSV export).

    The query runs now (so errors surface before the response starts); the iterator
    owns ``connection`` and closes it when done."""
    where, params = where_clause(spec, values)
    sql = (
        f"SELECT {select_list(spec)} FROM {spec.source}{where}{order_by(spec, values.get('sort'))}"
    )
    try:
        reader = connection.sql(sql, params=params).to_arrow_reader(_EXPORT_BATCH_ROWS)
    except Exception:
        connection.close()
        raise
    return _stream(connection, reader)


def _stream(
    connection: duckdb.DuckDBPyConnection, reader: pa.RecordBatchReader
) -> Iterator[tuple[Any, ...]]:
    try:
        for batch in reader:
            yield from table_rows(batch)
    finally:
        connection.close()


# Both periods in one statement: ``previous`` ends the day before ``current`` starts, so
# one range scan covers them and ``in_current`` tells them apart. Distinct customers are
# counted by grouping once (cheaper than two COUNT(DISTINCT ...) FILTER aggregates).
_SUMS = """
    coalesce(sum(total) FILTER (WHERE {when}), 0),
    coalesce(sum(refunds) FILTER (WHERE {when}), 0),
    coalesce(sum(net) FILTER (WHERE {when}), 0),
    count(*) FILTER (WHERE {when})"""
KPI_SQL = f"""
WITH sales AS (
    SELECT total, refunds, net, customer_key, revenue_day >= $cur_start AS in_current
    FROM orders
    WHERE is_sale AND revenue_day BETWEEN $prev_start AND $cur_end
),
totals AS (
    SELECT {_SUMS.format(when="in_current")}, {_SUMS.format(when="NOT in_current")}
    FROM sales
),
buyers AS (
    SELECT count(*) FILTER (WHERE current), count(*) FILTER (WHERE previous)
    FROM (
        SELECT bool_or(in_current) AS current, bool_or(NOT in_current) AS previous
        FROM sales
        GROUP BY customer_key
    )
),
newcomers AS (
    SELECT count(*) FILTER (WHERE first_order_day >= $cur_start),
           count(*) FILTER (WHERE first_order_day < $cur_start)
    FROM customers
    WHERE first_order_day BETWEEN $prev_start AND $cur_end
)
SELECT * FROM totals, buyers, newcomers
"""


def _totals(sums: tuple[Any, ...], customers: int, new_customers: int) -> KpiTotals:
    revenue, refunds, net, orders = sums
    return KpiTotals(money(revenue), money(refunds), money(net), orders, customers, new_customers)


def kpi_totals(
    connection: duckdb.DuckDBPyConnection,
    current: Period,
    previous: Period,
    views: ShopViews | None = None,
) -> tuple[KpiTotals, KpiTotals]:
    """Sale totals of ``current`` and of ``previous`` (which must end the day before
    ``current`` starts) in one statement over orders and customers; computed once per
    version of ``views`` when given (api/version_memo.py)."""
    if previous.end + timedelta(days=1) != current.start:
        raise ValueError("the previous period must end the day before the current one")
    params = {"prev_start": previous.start, "cur_start": current.start, "cur_end": current.end}
    if views is None:
        return _kpi_rows(connection, params)
    key = ("kpi_totals", *params.values())
    return remembered(views, key, lambda: _kpi_rows(connection, params))


def _kpi_rows(
    connection: duckdb.DuckDBPyConnection, params: dict[str, Any]
) -> tuple[KpiTotals, KpiTotals]:
    (row,) = connection.execute(KPI_SQL, params).fetchall()
    return _totals(row[0:4], row[8], row[10]), _totals(row[4:8], row[9], row[11])
