"""A list view declared once (``ListView``), and what is derived from it: its query
parameters, its route, and the SQL of a page or an export. The declarations themselves
are in api/lists/; the OpenAPI components in api/openapi_components.py.

The view's name leads to its Arrow schema and key in schemas/views.py: the schema gives
the columns (JSON rows, CSV header, OpenAPI row component), the key breaks sort ties.
Every SQL fragment here is a constant; user values only ever travel as named parameters
(``$f_<filter>``), and a sort key is looked up in a fixed table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from api.context import EnvelopeField, RequestContext
from api.errors import InvalidParameter
from api.params import FORMAT, PAGE, PER_PAGE, ParamSpec
from api.route_spec import SHOP_PREFIX, RouteSpec
from schemas.views import VIEW_KEYS, VIEWS


@dataclass(frozen=True)
class Filter:
    param: ParamSpec
    sql: str  # a predicate using ``$value``
    transform: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class Joined:
    """Columns a list adds to its view's at request time from outside the published views
    (the metadata database): their fields, the SQL of the view's rows with them (it reads
    the view by its name), what registers the table that SQL joins on the request's
    connection, and the ETag source standing for that table's data."""

    fields: tuple[pa.Field, ...]
    sql: str
    register: Callable[[duckdb.DuckDBPyConnection, RequestContext], None]
    source: str


@dataclass(frozen=True)
class ListView:
    """One list view of the read API: filtered, sorted, paginated rows of a published view
    as JSON (a page) and CSV (a page, or every matching row)."""

    view: str  # a published view of schemas/views.py (VIEWS, VIEW_KEYS); the route's name
    path: str  # under the shop's prefix, e.g. ``/orders``
    summary: str  # the OpenAPI operation's summary
    row: str  # the OpenAPI component of one row; the page is ``<row>List``
    filters: tuple[Filter, ...]
    sorts: tuple[str, ...]  # sortable columns; ``-column`` sorts descending
    default_sort: str
    description: str = ""  # the OpenAPI operation's description
    envelope: tuple[EnvelopeField, ...] = ()  # JSON fields beside shop_id and currency
    also: tuple[str, ...] = ()  # other views its filters read (registered beside ``view``)
    joined: Joined | None = None  # columns added at request time, after the view's

    def __post_init__(self) -> None:
        if self.view not in VIEWS or self.view not in VIEW_KEYS:
            raise ValueError("list view " + self.view + ": no such view in schemas/views.py")
        if any(name not in self.columns for name in self.sorts):
            raise ValueError("list view " + self.view + ": sorts name a column it lacks")
        if self.default_sort.removeprefix("-") not in self.sorts:
            raise ValueError("list view " + self.view + ": default_sort is not one of sorts")

    @property
    def schema(self) -> pa.Schema:
        """The view's columns, then the joined ones."""
        schema = VIEWS[self.view]
        for field in self.joined.fields if self.joined else ():
            schema = schema.append(field)
        return schema

    @property
    def source(self) -> str:
        """What the list's SQL reads its rows from: the view, or the view joined."""
        return f"({self.joined.sql}) AS {self.view}" if self.joined else self.view

    @property
    def key(self) -> tuple[str, ...]:
        """The view's key: the last sort key, for a stable order across pages."""
        return VIEW_KEYS[self.view]

    @property
    def columns(self) -> tuple[str, ...]:
        """JSON's and CSV's columns: the view's, in its order."""
        return tuple(self.schema.names)

    @property
    def page(self) -> str:
        """The OpenAPI component of a page."""
        return self.row + "List"

    @property
    def sort_param(self) -> ParamSpec:
        keys = tuple(key for column in self.sorts for key in (column, "-" + column))
        return ParamSpec(
            "sort",
            "enum",
            "Sort key; a leading `-` sorts descending.",
            keys,
            default=self.default_sort,
        )

    @property
    def params(self) -> tuple[ParamSpec, ...]:
        filters = tuple(item.param for item in self.filters)
        return (*filters, self.sort_param, PAGE, PER_PAGE, FORMAT)

    @property
    def route(self) -> RouteSpec:
        return RouteSpec(
            self.view,
            SHOP_PREFIX + self.path,
            self.summary,
            self.page,
            self.params,
            sources=("manifest", self.joined.source) if self.joined else ("manifest",),
            description=self.description,
        )


def where_clause(spec: ListView, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """``WHERE ...`` for the filters present in ``values``, and its named parameters."""
    predicates: list[str] = []
    params: dict[str, Any] = {}
    for item in spec.filters:
        value = values.get(item.param.name)
        if value is None:
            continue
        name = "f_" + item.param.name
        predicates.append(item.sql.replace("$value", "$" + name))
        params[name] = item.transform(value)
    clause = " WHERE " + " AND ".join(predicates) if predicates else ""
    return clause, params


def order_by(spec: ListView, sort: str | None) -> str:
    """``ORDER BY`` for a sort key from ``spec.sorts`` (nulls last, the key breaks ties)."""
    key = sort or spec.default_sort
    column = key.removeprefix("-")
    if column not in spec.sorts:
        raise InvalidParameter("sort must be one of " + ", ".join(spec.sort_param.enum))
    direction = "DESC" if key.startswith("-") else "ASC"
    ties = ", ".join(name + " " + direction for name in spec.key)
    return f" ORDER BY {column} {direction} NULLS LAST, {ties}"


def select_list(spec: ListView) -> str:
    return ", ".join('"' + column + '"' for column in spec.columns)
