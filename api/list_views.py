"""List views as Results: one page of a ListView, or every matching row for a CSV export."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from api.context import RequestContext, envelope
from api.listing import ListView
from api.queries import Page, list_all, list_page, pagination
from api.result import Result
from api.viewfiles import ShopViews


def list_result(
    ctx: RequestContext, spec: ListView, values: Mapping[str, Any] | None = None
) -> Result:
    """A page of ``spec``'s view filtered by ``values`` (default: the request's); in CSV
    without ``page``, every matching row (export). JSON carries ``spec``'s envelope fields
    beside the shop's."""
    values = ctx.values if values is None else values
    head = envelope(ctx) | {field.name: field.value(ctx) for field in spec.envelope}
    connection = ctx.views.connect(spec.view, *spec.also)
    if spec.joined is not None:
        spec.joined.register(connection, ctx)
    if ctx.fmt == "csv" and values.get("page") is None:
        return Result(spec.columns, list_all(connection, spec, values), head)
    page = Page(values.get("page") or 1, values["per_page"])
    with connection:
        found = list_page(connection, spec, values, page, _cacheable(ctx, spec))
    return Result(spec.columns, found.rows, head | {"pagination": pagination(page, found.total)})


def list_endpoint(spec: ListView) -> Callable[[RequestContext], Result]:
    """The endpoint of ``spec``'s route: the request's page (or export) of its view."""

    def endpoint(ctx: RequestContext) -> Result:
        return list_result(ctx, spec)

    return endpoint


def _cacheable(ctx: RequestContext, spec: ListView) -> ShopViews | None:
    """The views a page's count may be remembered for: those of a list reading published
    views only (a joined table, e.g. the metadata database's, changes without a publish)."""
    return None if spec.joined is not None else ctx.views
