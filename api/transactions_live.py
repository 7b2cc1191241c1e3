"""The live transactions feed (``transactions/live``, issue 14, seed 001): the newest sale
orders first, with their time (UTC and the shop's), e-mail, the customer's name, value,
units and the path of the customer's Customer 360.

Over the ``orders`` view (sale orders: paid statuses, refunded ones netted to zero), the
customer's name from the ``customers`` view. ``since`` and ``until`` are the shop's days of
``created_at``, turned into instants (the shop's midnights) so the filter is a range on the
column. A page is found in ``orders`` first and only its rows are joined to their customers.
JSON pages like the lists; CSV without ``page`` is every matching row (an export of a range).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa

from api.context import RequestContext, envelope
from api.data_as_of import AS_OF_EVENT
from api.errors import InvalidParameter
from api.json_shapes import Schema, obj, ref, row_schema, strings
from api.params import FORMAT, PAGE, PER_PAGE, ParamSpec
from api.queries import Page, pagination, table_rows
from api.result import Result
from api.route_spec import SHOP_PREFIX, RouteSpec
from processors.analytics.summary_periods import midnight
from schemas.view_types import MONEY, TS
from store.arrow_results import arrow_of

SINCE_BEFORE_UNTIL = "since must be on or before until"
ONE_DAY = timedelta(days=1)
WINDOW_DAYS = (1, 7, 30, 90, 365)  # back from the clock (or until): where a page is sought
TRANSACTIONS_PARAMS = (
    ParamSpec("since", "date", "First day (shop timezone) the orders were placed on."),
    ParamSpec("until", "date", "Last day (shop timezone) the orders were placed on, inclusive."),
    ParamSpec("min_value", "decimal", "Smallest order total."),
    PAGE,
    PER_PAGE,
    FORMAT,
)
TRANSACTION_ROW = pa.schema(
    [
        ("order_id", pa.int64()),
        ("number", pa.string()),
        ("status", pa.string()),
        ("created_at", TS),
        ("created_local", pa.string()),  # ISO 8601 with the shop's UTC offset
        ("email", pa.string()),
        ("name", pa.string()),
        ("total", MONEY),
        ("net", MONEY),
        ("items", pa.int64()),
        ("customer_key", pa.string()),
        ("customer_url", pa.string()),
    ]
)
TRANSACTIONS_ROUTE = RouteSpec(
    "transactions_live",
    SHOP_PREFIX + "/transactions/live",
    "Live transactions: the newest sale orders first, with time, e-mail, name, value, "
    "units and a link to the customer.",
    "TransactionsLive",
    TRANSACTIONS_PARAMS,
    description="Sale orders (paid statuses; a refunded order shows with net 0), newest "
    "`created_at` first (the order id breaks ties). `created_local` is `created_at` in the "
    "shop's timezone with its offset; `name` is the customer's (first and last, null when "
    "unknown); `total` the order's value, `net` less refunds, `items` its units; "
    "`customer_url` the path of the customer's Customer 360. `since` and `until` are days "
    "in the shop's timezone of `created_at`, `min_value` the smallest total. Pages as the "
    "lists: CSV without `page` exports every matching order (a date range), same columns.",
    rules=(SINCE_BEFORE_UNTIL,),
)

_ORDER = " ORDER BY created_at DESC NULLS LAST, order_id DESC"
_FROM_START = " AND created_at >= $start"
# the rows of the orders ``$ids`` names, in that order, with their customers' names
_ROWS = """
SELECT o.order_id, o.number, o.status, o.created_at, o.email,
    nullif(trim(concat_ws(' ', c.first_name, c.last_name)), '') AS name,
    o.total, o.net, o.items, o.customer_key
FROM orders o
JOIN (SELECT unnest($ids) AS order_id, generate_subscripts($ids, 1) AS _rank) USING (order_id)
LEFT JOIN customers c USING (customer_key)
ORDER BY _rank
"""
_EXPORT = """
SELECT o.order_id, o.number, o.status, o.created_at, o.email,
    nullif(trim(concat_ws(' ', c.first_name, c.last_name)), '') AS name,
    o.total, o.net, o.items, o.customer_key
FROM (SELECT * FROM orders{where}) o
LEFT JOIN customers c USING (customer_key)
ORDER BY o.created_at DESC NULLS LAST, o.order_id DESC
"""


def _day_range(since: date | None, until: date | None, zone: ZoneInfo) -> list[tuple[str, Any]]:
    """``created_at`` from ``since``'s midnight to the one after ``until``, as predicates
    and their values."""
    if since is not None and until is not None and since > until:
        raise InvalidParameter(SINCE_BEFORE_UNTIL)
    found: list[tuple[str, Any]] = []
    if since is not None:
        found.append(("created_at >= $since", midnight(since, zone)))
    if until is not None and until < date.max:
        found.append(("created_at < $until", midnight(until + ONE_DAY, zone)))
    return found


def _where(ctx: RequestContext) -> tuple[str, dict[str, Any]]:
    """The filters as ``WHERE ...`` with their named parameters."""
    values = ctx.values
    found = _day_range(values.get("since"), values.get("until"), ZoneInfo(ctx.shop.timezone))
    if values.get("min_value") is not None:
        found.append(("total >= $least", values["min_value"]))
    predicates = ["is_sale", *(predicate for predicate, _ in found)]
    params = {predicate.rsplit("$", 1)[1]: value for predicate, value in found}
    return " WHERE " + " AND ".join(predicates), params


def _with_links(ctx: RequestContext, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each row with its local time after ``created_at`` and its customer's path last."""
    zone = ZoneInfo(ctx.shop.timezone)
    prefix = SHOP_PREFIX.replace("{shop_id}", quote(ctx.shop.shop_id, safe="")) + "/customers/"
    return [
        (
            *row[:4],
            None if row[3] is None else row[3].astimezone(zone).isoformat(),
            *row[4:],
            None if row[-1] is None else prefix + quote(row[-1], safe=""),
        )
        for row in rows
    ]


def _export(
    ctx: RequestContext, connection: duckdb.DuckDBPyConnection, sql: str, params: dict[str, Any]
) -> Iterator[tuple[Any, ...]]:
    try:
        reader = connection.sql(sql, params=params).to_arrow_reader(10_000)
        for batch in reader:
            yield from _with_links(ctx, table_rows(batch))
    finally:
        connection.close()


def _count(connection: duckdb.DuckDBPyConnection, where: str, params: dict[str, Any]) -> int:
    ((count,),) = connection.execute(f"SELECT count(*) FROM orders{where}", params).fetchall()
    return int(count)


def _window(
    connection: duckdb.DuckDBPyConnection,
    query: tuple[str, dict[str, Any]],
    wanted: int,
    end: datetime,
) -> datetime | None:
    """The latest of a few instants back from ``end`` from which on at least ``wanted``
    matching orders were placed, or None. Sorting only those is ten times faster on a
    million orders: the files, sorted by order id, are skipped by ``created_at`` where ids
    grow with time (and counting from an instant reads little for the same reason)."""
    where, params = query
    for days in WINDOW_DAYS:
        if end - datetime.min.replace(tzinfo=UTC) <= timedelta(days=days):
            return None
        start = end - timedelta(days=days)
        if _count(connection, where + _FROM_START, params | {"start": start}) >= wanted:
            return start
    return None


def _page(
    connection: duckdb.DuckDBPyConnection,
    query: tuple[str, dict[str, Any]],
    page: Page,
    end: datetime | None,
) -> tuple[int, list[tuple[Any, ...]]]:
    """The matching orders' count and one page of them: the page's ids first (sorting two
    columns of the newest orders placed before ``end``, not ten of all), then their rows."""
    where, params = query
    total = _count(connection, where, params)
    if total <= page.offset:
        return total, []
    wanted = page.offset + page.size
    start = None
    if total > wanted and end is not None:
        start = _window(connection, query, wanted, end)
    recent, paged = where, params | {"limit": page.size, "offset": page.offset}
    if start is not None:
        recent, paged["start"] = where + _FROM_START, start
    keys = f"SELECT order_id FROM orders{recent}{_ORDER} LIMIT $limit OFFSET $offset"
    ids = [row[0] for row in connection.execute(keys, paged).fetchall()]
    return total, table_rows(arrow_of(connection, _ROWS, {"ids": ids}))


def transactions_result(ctx: RequestContext) -> Result:
    """A page of the newest sale orders (or, in CSV without ``page``, all of them)."""
    where, params = _where(ctx)
    head = envelope(ctx) | {
        "timezone": ctx.shop.timezone,
        AS_OF_EVENT.name: AS_OF_EVENT.value(ctx),
    }
    columns = tuple(TRANSACTION_ROW.names)
    connection = ctx.views.connect("orders", "customers")
    if ctx.fmt == "csv" and ctx.values.get("page") is None:
        return Result(columns, _export(ctx, connection, _EXPORT.format(where=where), params), head)
    page = Page(ctx.values.get("page") or 1, ctx.values["per_page"])
    with connection:
        end = params.get("until", ctx.now)  # where the windows reach back from
        total, found = _page(connection, (where, params), page, end)
    meta = head | {"pagination": pagination(page, total)}
    return Result(columns, _with_links(ctx, found), meta)


def transactions_schemas() -> dict[str, Schema]:
    """OpenAPI components: one transaction and a page of them."""
    page = obj(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "timezone": {"type": "string", "description": "the shop's IANA timezone"},
            AS_OF_EVENT.name: AS_OF_EVENT.schema,
            "pagination": ref("Pagination"),
            "columns": strings(),
            "data": {"type": "array", "items": ref("Transaction")},
        }
    )
    return {"Transaction": row_schema(TRANSACTION_ROW), "TransactionsLive": page}
