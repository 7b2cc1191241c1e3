"""List views as Results: one page of a ListSpec, or every matching row for a CSV export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from api.context import RequestContext, envelope
from api.listing import CUSTOMERS, ListSpec
from api.queries import Page, list_all, list_page, pagination
from api.result import Result


def list_result(
    ctx: RequestContext,
    spec: ListSpec,
    values: Mapping[str, Any] | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Result:
    """A page of ``spec``'s view filtered by ``values`` (default: the request's); in CSV
    without ``page``, every matching row (export). ``meta`` joins the JSON envelope."""
    values = ctx.values if values is None else values
    head = envelope(ctx) | dict(meta or {})
    connection = ctx.views.connect(spec.view)
    if ctx.fmt == "csv" and values.get("page") is None:
        return Result(spec.columns, list_all(connection, spec, values), head)
    page = Page(values.get("page") or 1, values["per_page"])
    with connection:
        found = list_page(connection, spec, values, page)
    return Result(spec.columns, found.rows, head | {"pagination": pagination(page, found.total)})


def customers_result(ctx: RequestContext, values: Mapping[str, Any] | None = None) -> Result:
    """The customer table; its JSON says which day the RFM and status scores are as of."""
    return list_result(ctx, CUSTOMERS, values, {"scores_as_of": ctx.scores_as_of})
