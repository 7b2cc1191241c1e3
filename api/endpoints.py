"""What each shop view computes: a request context in, one Result out (the table of them;
the list views' endpoints come from their declarations, api/lists/)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from api.alert_mail import MAIL_SOURCE
from api.context import RequestContext, envelope
from api.customer360 import customer_result
from api.customer_timeseries import timeseries_result
from api.fulfillment import fulfillment_result
from api.list_views import list_endpoint
from api.lists import LIST_VIEWS
from api.period_params import requested_periods
from api.predictions import churn_timeline_result, clv_model_result
from api.product_detail import product_result
from api.queries import kpi_totals
from api.result import Result
from api.retention import retention_result
from api.route_spec import CLOCK_SOURCE
from api.runs import SYNC_COLUMNS
from api.sales_breakdowns import categories_result, coupons_result
from api.sales_summary import sales_summary_result
from api.segment_history import segment_history_result
from api.segments import segments_result
from api.top_products import products_result, top_products_result
from api.transactions_live import transactions_result
from processors.analytics.kpis import compare_totals

__all__ = ["ENDPOINTS", "RequestContext", "source_stamp"]

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


def kpis_result(ctx: RequestContext) -> Result:
    current, previous = requested_periods(ctx.values, ctx.today)
    with ctx.views.connect("orders", "customers") as connection:
        now, before = kpi_totals(connection, current, previous, ctx.views)
    rows = [
        (name, item.value, item.previous, item.change, item.change_pct)
        for name, item in compare_totals(now, before).items()
    ]
    meta = envelope(ctx) | {
        "period": {"name": current.name, "from": current.start, "to": current.end},
        "previous_period": {"from": previous.start, "to": previous.end},
    }
    return Result(KPI_COLUMNS, rows, meta, layout="keyed", key="kpis")


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
    if MAIL_SOURCE in sources and ctx.mail is not None:
        parts.append(MAIL_SOURCE + "=" + ctx.mail.stamp())
    if CLOCK_SOURCE in sources and ctx.now is not None:
        parts.append(CLOCK_SOURCE + "=" + ctx.now.strftime("%Y-%m-%dT%H:%M"))
    return ":".join(parts)


ENDPOINTS: dict[str, Callable[[RequestContext], Result]] = {
    spec.view: list_endpoint(spec) for spec in LIST_VIEWS
} | {
    "kpis": kpis_result,
    "sales_summary": sales_summary_result,
    "timeseries": timeseries_result,
    "transactions_live": transactions_result,
    "customer": customer_result,
    "product": product_result,
    "products": products_result,
    "top_products": top_products_result,
    "categories": categories_result,
    "coupons": coupons_result,
    "segments": segments_result,
    "segment_history": segment_history_result,
    "retention": retention_result,
    "clv_model": clv_model_result,
    "churn_timeline": churn_timeline_result,
    "freshness": freshness_result,
    "sync": sync_result,
    "fulfillment": fulfillment_result,
}
