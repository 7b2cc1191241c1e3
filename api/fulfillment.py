"""Fulfilment (``fulfillment``, SPEC §4 support metrics, seed 002): how fast the sale orders
paid in a period were completed, and the paid orders overdue now.

Over the ``orders`` view: the sale orders (``is_sale``) whose paid day (``paid_at`` in the
shop's timezone) falls in the period give the metrics (processors/analytics/fulfillment.py
defines them); ``overdue_now`` and the ``overdue`` list are the sale orders, whatever their
paid day, not completed, with status processing or on-hold, paid more than ``sla_hours``
before the request's clock. An order without ``paid_at`` (cash on delivery before it is
completed, say) is neither paid in a period nor overdue. JSON carries the metrics and one
page of the overdue orders (oldest payment first); CSV every overdue order.

``tracking_share``: of the period's paid sale orders, those with a ``tracking_number`` (the
orders view takes it from the order meta keys of the shop's
``fulfillment_delayed.tracking_meta_keys`` setting); null when no order of the shop has one
(the shop does not use shipment tracking).

Over the ``tickets`` view (helpdesk tickets, ``POST /webhooks/tickets/<shop>``): the tickets
whose ``created_day`` (shop timezone) falls in the period give ``tickets``,
``tickets_per_100_orders`` (per 100 of the period's paid orders) and ``wismo_share``
(processors/analytics/tickets.py defines them).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from api.context import RequestContext, envelope
from api.params import DEFAULT_PER_PAGE, FORMAT, MAX_PAGE, MAX_PER_PAGE, PER_PAGE, ParamSpec
from api.period_params import PERIOD_PARAMS, requested_period
from api.queries import Page, pagination, table_rows
from api.result import Result
from processors.analytics.fulfillment import (
    DEFAULT_SLA_HOURS,
    OVERDUE_STATUSES,
    FulfillmentMetrics,
    fulfillment_metrics,
    hours_since,
    overdue_before,
)
from processors.analytics.periods import Period
from processors.analytics.summary_periods import midnight
from processors.analytics.tickets import WISMO_CATEGORIES, TicketMetrics, ticket_metrics
from schemas.view_types import MONEY, TS
from store.arrow_results import arrow_of

ONE_DAY = timedelta(days=1)
MAX_SLA_HOURS = 8760  # a year
SLA_HOURS = ParamSpec(
    "sla_hours",
    "integer",
    "Hours after payment within which an order should be completed; an open one paid "
    "longer ago is overdue. Default: the shop's fulfillment_delayed.sla_hours alert "
    f"setting ({DEFAULT_SLA_HOURS} unless set).",
    minimum=1,
    maximum=MAX_SLA_HOURS,
)
OVERDUE_PAGE = ParamSpec(
    "page",
    "integer",
    "Page of the overdue orders, from 1 (a page past the last one is empty). JSON only: "
    "CSV carries every overdue order.",
    default=1,
    minimum=1,
    maximum=MAX_PAGE,
)
FULFILLMENT_PARAMS = (*PERIOD_PARAMS, SLA_HOURS, OVERDUE_PAGE, PER_PAGE, FORMAT)
OVERDUE_ROW = pa.schema(
    [
        ("order_id", pa.int64()),
        ("number", pa.string()),
        ("email", pa.string()),
        ("customer_key", pa.string()),
        ("paid_at", TS),
        ("hours_since_paid", pa.float64()),  # at the request's clock, 2 decimals
        ("status", pa.string()),
        ("total", MONEY),
    ]
)
OVERDUE_COLUMNS = tuple(OVERDUE_ROW.names)
FULFILLMENT_DESCRIPTION = (
    "Over the sale orders whose paid day (paid_at in the shop's timezone) is in the period: "
    "`paid_orders`; `completed` (of them, those with completed_at); "
    "`hours_to_complete_median` and `hours_to_complete_p90` (paid_at to completed_at in "
    "hours over the completed ones, 2 decimals; a completion recorded before the payment "
    "counts as 0 hours; percentiles by linear interpolation between closest ranks, "
    "numpy's default: h = (n - 1) q, x[floor h] + (h - floor h)(x[floor h + 1] - x[floor "
    "h]); null when none is completed); `completed_within_24h_share` and "
    "`completed_within_48h_share` (the paid orders completed at most 24 or 48 hours after "
    "payment, as a share of all the paid orders, 0..1 with 4 decimals; null without paid "
    "orders); `tracking_share` (the paid orders with a tracking number, i.e. a "
    "`tracking_number` in the orders view, under one of the order meta keys of the shop's "
    "`fulfillment_delayed.tracking_meta_keys` alert setting, as a share of all the paid "
    "orders, 0..1 with 4 decimals; null without paid orders, and null when no order of the "
    "shop has a tracking number: the shop does not use shipment tracking). `overdue_now`: "
    "the sale orders, whatever their paid day, not completed, with "
    "status processing or on-hold, paid more than `sla_hours` before `as_of` (the "
    "request's clock); `overdue` lists them oldest payment first, one page (`page`, "
    f"`per_page`: default {DEFAULT_PER_PAGE}, at most {MAX_PER_PAGE}; `pagination` counts "
    "them). An order without paid_at is neither paid in a period nor overdue. CSV: every "
    "overdue order, with the columns of `overdue` and no pagination (`page` and "
    "`per_page` do not apply). Helpdesk tickets (`POST /webhooks/tickets/<shop_id>`) whose "
    "created day (shop timezone) is in the period: `tickets`; `tickets_per_100_orders` "
    "(tickets per 100 paid orders of the period, 2 decimals; null without paid orders); "
    "`wismo_share` (the tickets whose category is where-is-my-parcel, one of "
    + ", ".join(f"`{c}`" for c in WISMO_CATEGORIES)
    + ", as a share of the tickets, 0..1 with 4 decimals; null without tickets)."
)

PAID_IN_PERIOD_SQL = """
SELECT epoch(completed_at) - epoch(paid_at) AS seconds, tracking_number <> '' AS tracked
FROM orders
WHERE is_sale AND paid_at >= $since AND paid_at < $until
"""
USES_TRACKING_SQL = "SELECT EXISTS (SELECT 1 FROM orders WHERE tracking_number <> '')"
OVERDUE_WHERE = """
FROM orders
WHERE is_sale AND completed_at IS NULL AND list_contains($statuses, status)
    AND paid_at < $due
"""
TICKETS_IN_PERIOD_SQL = """
SELECT count(*), count(*) FILTER (WHERE is_wismo)
FROM tickets
WHERE created_day BETWEEN $first AND $last
"""
SELECTED = tuple(name for name in OVERDUE_COLUMNS if name != "hours_since_paid")
OVERDUE_COUNT_SQL = "SELECT count(*)" + OVERDUE_WHERE
OVERDUE_SQL = "SELECT " + ", ".join(SELECTED) + OVERDUE_WHERE + "ORDER BY paid_at, order_id"
OVERDUE_PAGE_SQL = OVERDUE_SQL + " LIMIT $limit OFFSET $offset"


def _request_now(ctx: RequestContext) -> datetime:
    if ctx.now is None:
        raise ValueError("fulfillment needs the request's clock (RequestContext.now)")
    return ctx.now


def _instants(period: Period, zone: ZoneInfo) -> dict[str, datetime]:
    """The period's days in ``zone`` as the instants they span (a filter on ``paid_at``
    itself, so a scan skips the row groups paid outside them)."""
    after = period.end + ONE_DAY if period.end < date.max else period.end
    return {"since": midnight(period.start, zone), "until": midnight(after, zone)}


def _metrics(
    ctx: RequestContext, connection: duckdb.DuckDBPyConnection, period: Period
) -> FulfillmentMetrics:
    params = _instants(period, ZoneInfo(ctx.shop.timezone))
    table = arrow_of(connection, PAID_IN_PERIOD_SQL, params)
    seconds = pc.fill_null(table.column("seconds").cast(pa.float64()), np.nan).to_numpy()
    ((uses_tracking,),) = connection.execute(USES_TRACKING_SQL).fetchall()
    tracked = table.column("tracked").to_numpy(zero_copy_only=False) if uses_tracking else None
    return fulfillment_metrics(seconds, tracked)


def _tickets(
    connection: duckdb.DuckDBPyConnection, period: Period, paid_orders: int
) -> TicketMetrics:
    params = {"first": period.start, "last": period.end}
    ((tickets, wismo),) = connection.execute(TICKETS_IN_PERIOD_SQL, params).fetchall()
    return ticket_metrics(int(tickets), int(wismo), paid_orders)


def _overdue_rows(
    connection: duckdb.DuckDBPyConnection, params: dict[str, Any], now: datetime, sql: str
) -> list[tuple[Any, ...]]:
    """The overdue orders ``sql`` selects, each with its hours since payment at ``now``."""
    rows = []
    for row in table_rows(arrow_of(connection, sql, params)):
        named = dict(zip(SELECTED, row, strict=True))
        named["hours_since_paid"] = hours_since(named["paid_at"], now)
        rows.append(tuple(named[name] for name in OVERDUE_COLUMNS))
    return rows


def _overdue_count(connection: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> int:
    ((count,),) = connection.execute(OVERDUE_COUNT_SQL, params).fetchall()
    return int(count)


def _shop_sla(ctx: RequestContext) -> int:
    """The shop's own SLA (its fulfillment_delayed alert setting), in whole hours."""
    return max(1, round(ctx.shop.alerts.number("fulfillment_delayed", "sla_hours")))


def fulfillment_result(ctx: RequestContext) -> Result:
    """The period's fulfilment metrics and a page of the overdue orders; CSV: every
    overdue order."""
    period = requested_period(ctx.values, ctx.today)
    now, sla = _request_now(ctx), ctx.values["sla_hours"] or _shop_sla(ctx)
    where = {"statuses": list(OVERDUE_STATUSES), "due": overdue_before(now, sla)}
    with ctx.views.connect("orders", "tickets") as connection:
        if ctx.fmt == "csv":
            return Result(OVERDUE_COLUMNS, _overdue_rows(connection, where, now, OVERDUE_SQL))
        orders = _metrics(ctx, connection, period)
        tickets = _tickets(connection, period, orders.paid_orders)
        metrics = asdict(orders) | asdict(tickets)
        total = _overdue_count(connection, where)
        page = Page(ctx.values["page"], ctx.values["per_page"])
        paged = where | {"limit": page.size, "offset": page.offset}
        rows = _overdue_rows(connection, paged, now, OVERDUE_PAGE_SQL)
    meta = envelope(ctx) | {
        "period": {"name": period.name, "from": period.start, "to": period.end},
        "sla_hours": sla,
        "as_of": now,
        "metrics": metrics | {"overdue_now": total},
        "pagination": pagination(page, total),
        "overdue": None,
    }
    return Result(OVERDUE_COLUMNS, rows, meta, layout="block", key="overdue")
