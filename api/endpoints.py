"""What each shop view computes: a request context in, one Result out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from api.errors import InvalidParameter
from api.listing import CUSTOMERS, ORDERS, ListSpec
from api.queries import Page, kpi_totals, list_all, list_page
from api.result import Result
from api.runs import SYNC_COLUMNS, ShopRuns
from api.viewfiles import ShopViews
from processors.analytics.kpis import compare_totals
from processors.analytics.periods import (
    CUSTOM,
    DEFAULT_PERIOD,
    InvalidPeriod,
    Period,
    previous_period,
    resolve_period,
)
from schemas.shop import ShopConfig

KPI_COLUMNS = ("metric", "value", "previous", "change", "change_pct")
FRESHNESS_COLUMNS = (
    "shop_id",
    "newest_event_at",
    "last_applied_at",
    "lag_seconds",
    "events_applied",
    "views_version",
)
VIEW_SOURCES = ("manifest", "freshness")  # files under the shop's views folder
RUNS_SOURCE = "sync_runs"  # the shop's recorded runs in the metadata database


@dataclass(frozen=True)
class RequestContext:
    shop: ShopConfig
    views: ShopViews
    values: Mapping[str, Any]  # parsed query parameters
    fmt: str  # json | csv
    today: date  # in the shop's timezone
    runs: ShopRuns


def _envelope(ctx: RequestContext) -> dict[str, Any]:
    return {"shop_id": ctx.shop.shop_id, "currency": ctx.shop.currency}


def requested_periods(values: Mapping[str, Any], today: date) -> tuple[Period, Period]:
    """The period asked for and the one before it; a 400 naming the problem otherwise."""
    start, end = values.get("from"), values.get("to")
    implied = CUSTOM if start or end else DEFAULT_PERIOD
    try:
        current = resolve_period(values.get("period") or implied, today, start, end)
        return current, previous_period(current)
    except InvalidPeriod as exc:
        raise InvalidParameter(str(exc)) from None


def kpis_result(ctx: RequestContext) -> Result:
    current, previous = requested_periods(ctx.values, ctx.today)
    with ctx.views.connect("orders", "customers") as connection:
        now, before = kpi_totals(connection, current, previous)
    rows = [
        (name, item.value, item.previous, item.change, item.change_pct)
        for name, item in compare_totals(now, before).items()
    ]
    meta = _envelope(ctx) | {
        "period": {"name": current.name, "from": current.start, "to": current.end},
        "previous_period": {"from": previous.start, "to": previous.end},
    }
    return Result(KPI_COLUMNS, rows, meta, layout="keyed", key="kpis")


def list_result(ctx: RequestContext, spec: ListSpec) -> Result:
    """A page of ``spec``'s view; in CSV without ``page``, every matching row (export)."""
    connection = ctx.views.connect(spec.view)
    if ctx.fmt == "csv" and ctx.values.get("page") is None:
        return Result(spec.columns, list_all(connection, spec, ctx.values), _envelope(ctx))
    page = Page(ctx.values.get("page") or 1, ctx.values["per_page"])
    with connection:
        found = list_page(connection, spec, ctx.values, page)
    pagination = {
        "page": page.number,
        "per_page": page.size,
        "total": found.total,
        "pages": -(-found.total // page.size),
    }
    return Result(spec.columns, found.rows, _envelope(ctx) | {"pagination": pagination})


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def freshness_result(ctx: RequestContext) -> Result:
    data = ctx.views.freshness
    row = (
        ctx.shop.shop_id,
        _time(data.get("newest_event_at")),
        _time(data.get("last_applied_at")),
        None if data.get("lag_seconds") is None else float(data["lag_seconds"]),
        int(data.get("events_applied") or 0),
        ctx.views.version,
    )
    return Result(FRESHNESS_COLUMNS, [row], layout="single")


def _requested_runs(ctx: RequestContext) -> tuple[str | None, int]:
    return ctx.values.get("kind"), ctx.values["limit"]


def sync_result(ctx: RequestContext) -> Result:
    """The newest ``limit`` recorded runs (of ``kind``), newest first; no pages."""
    rows = ctx.runs.rows(*_requested_runs(ctx))
    return Result(SYNC_COLUMNS, rows, {"shop_id": ctx.shop.shop_id})


def source_stamp(sources: tuple[str, ...], ctx: RequestContext) -> str:
    """What a response depends on beside the request: the views' version (and the
    freshness file) for view routes, a hash of the rows answered for the runs route."""
    parts: list[str] = []
    if any(source in VIEW_SOURCES for source in sources):
        parts.append(ctx.views.stamp(sources))
    if RUNS_SOURCE in sources:
        parts.append(RUNS_SOURCE + "=" + ctx.runs.stamp(*_requested_runs(ctx)))
    return ":".join(parts)


ENDPOINTS: dict[str, Callable[[RequestContext], Result]] = {
    "kpis": kpis_result,
    "orders": lambda ctx: list_result(ctx, ORDERS),
    "customers": lambda ctx: list_result(ctx, CUSTOMERS),
    "freshness": freshness_result,
    "sync": sync_result,
}
