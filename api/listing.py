"""The list views (orders, customers; CLV and churn in api/prediction_lists.py): their
filters, sort keys and the SQL they make.

Every SQL fragment here is a constant; user values only ever travel as named
parameters (``$f_<filter>``), and a sort key is looked up in a fixed table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from api.errors import InvalidParameter
from api.params import FORMAT, PAGE, PER_PAGE, ParamSpec
from processors.analytics.customer_status import STATUSES
from processors.analytics.rfm import SEGMENTS
from schemas.views import CUSTOMERS_VIEW, ORDERS_VIEW


@dataclass(frozen=True)
class Filter:
    param: ParamSpec
    sql: str  # a predicate using ``$value``
    transform: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True)
class ListSpec:
    view: str
    schema: pa.Schema
    filters: tuple[Filter, ...]
    sorts: tuple[str, ...]  # sortable columns; ``-column`` sorts descending
    default_sort: str
    tiebreak: str  # the key column, for a stable order across pages

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)

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


def _lower_all(values: list[str]) -> list[str]:
    return [value.lower() for value in values]


ORDERS = ListSpec(
    view="orders",
    schema=ORDERS_VIEW,
    filters=(
        Filter(
            ParamSpec("status", "list", "Order statuses, comma-separated."),
            "list_contains($value, status)",
            _lower_all,
        ),
        Filter(ParamSpec("customer", "string", "A customer_key."), "customer_key = $value"),
        Filter(ParamSpec("from", "date", "First revenue day (shop tz)."), "revenue_day >= $value"),
        Filter(ParamSpec("to", "date", "Last revenue day (shop tz)."), "revenue_day <= $value"),
        Filter(ParamSpec("is_sale", "boolean", "Sales only, or non-sales."), "is_sale = $value"),
        Filter(ParamSpec("min_total", "decimal", "Smallest order total."), "total >= $value"),
        Filter(ParamSpec("max_total", "decimal", "Largest order total."), "total <= $value"),
    ),
    sorts=("created_at", "total", "order_id"),
    default_sort="-created_at",
    tiebreak="order_id",
)

_SEARCHED = ("email", "first_name", "last_name", "phone", "customer_key")
_SEARCH_SQL = " OR ".join(
    [f"contains(lower({column}), $value)" for column in _SEARCHED]
    + ["contains(lower(concat_ws(' ', first_name, last_name)), $value)"]
)
# ``q`` of every list of customers (the customer table, CLV, churn: views with these columns)
SEARCH = Filter(
    ParamSpec("q", "string", "Search e-mail, name, phone or customer_key (any case)."),
    "(" + _SEARCH_SQL + ")",
    str.lower,
)

SEGMENT = ParamSpec(
    "segment",
    "list",
    "RFM segments, comma-separated; any case (`cant_lose_them` is `Can't Lose Them`).",
    SEGMENTS,
    loose=True,
)
CUSTOMER_STATUS = ParamSpec(
    "status",
    "list",
    "Statuses by return cycle, comma-separated; any case (`at_risk` is `At risk`).",
    STATUSES,
    loose=True,
)

CUSTOMERS = ListSpec(
    view="customers",
    schema=CUSTOMERS_VIEW,
    filters=(
        SEARCH,
        Filter(SEGMENT, "list_contains($value, segment)"),
        Filter(CUSTOMER_STATUS, "list_contains($value, status)"),
        Filter(
            ParamSpec("min_orders", "integer", "Fewest sale orders.", minimum=0),
            "orders >= $value",
        ),
        Filter(
            ParamSpec("max_orders", "integer", "Most sale orders.", minimum=0),
            "orders <= $value",
        ),
        Filter(ParamSpec("min_spent", "decimal", "Smallest net spent."), "net_spent >= $value"),
        Filter(ParamSpec("max_spent", "decimal", "Largest net spent."), "net_spent <= $value"),
        Filter(
            ParamSpec("last_order_from", "date", "Last sale order on or after (shop tz)."),
            "last_order_day >= $value",
        ),
        Filter(
            ParamSpec("last_order_to", "date", "Last sale order on or before (shop tz)."),
            "last_order_day <= $value",
        ),
        Filter(
            ParamSpec("country", "string", "Country code (ISO 3166-1 alpha-2)."),
            "upper(country) = $value",
            str.upper,
        ),
        Filter(
            ParamSpec("email_consent", "boolean", "E-mail consent given (true) or refused."),
            "email_consent = $value",
        ),
        Filter(
            ParamSpec("sms_consent", "boolean", "SMS consent given (true) or refused."),
            "sms_consent = $value",
        ),
    ),
    sorts=(
        "net_spent",
        "orders",
        "aov",
        "first_order_at",
        "last_order_at",
        "recency_days",
        "days_overdue",
        "expected_return",
        "rfm_score",
    ),
    default_sort="-net_spent",
    tiebreak="customer_key",
)

LISTS: dict[str, ListSpec] = {"orders": ORDERS, "customers": CUSTOMERS}


def where_clause(spec: ListSpec, values: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
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


def order_by(spec: ListSpec, sort: str | None) -> str:
    """``ORDER BY`` for a sort key from ``spec.sorts`` (nulls last, key column breaks ties)."""
    key = sort or spec.default_sort
    column = key.removeprefix("-")
    if column not in spec.sorts:
        raise InvalidParameter("sort must be one of " + ", ".join(spec.sort_param.enum))
    direction = "DESC" if key.startswith("-") else "ASC"
    return f" ORDER BY {column} {direction} NULLS LAST, {spec.tiebreak} {direction}"


def select_list(spec: ListSpec) -> str:
    return ", ".join('"' + column + '"' for column in spec.columns)
