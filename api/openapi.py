"""The OpenAPI 3.1 document, generated from the route table and the view schemas."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from api.catalog import RouteSpec
from api.endpoints import FRESHNESS_COLUMNS
from api.params import ParamSpec
from api.runs import RUN_KINDS, SYNC_COLUMNS
from processors.analytics.kpis import KPI_NAMES
from schemas.views import CUSTOMERS_VIEW, ORDERS_VIEW

Schema = dict[str, Any]

MONEY: Schema = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["123.40"]}
TIME: Schema = {"type": "string", "format": "date-time", "examples": ["2024-01-05T10:00:00Z"]}
DAY: Schema = {"type": "string", "format": "date"}


def _nullable(schema: Schema) -> Schema:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return schema | {"type": [*kinds, "null"]}


def _ref(name: str) -> Schema:
    return {"$ref": "#/components/schemas/" + name}


def column_schema(data_type: pa.DataType) -> Schema:
    """JSON shape of a view column (money as decimal strings, times ISO 8601 UTC)."""
    if pa.types.is_decimal(data_type):
        return dict(MONEY)
    if pa.types.is_timestamp(data_type):
        return dict(TIME)
    if pa.types.is_date(data_type):
        return dict(DAY)
    if pa.types.is_boolean(data_type):
        return {"type": "boolean"}
    if pa.types.is_integer(data_type):
        return {"type": "integer"}
    return {"type": "string"}


def row_schema(schema: pa.Schema) -> Schema:
    properties = {field.name: _nullable(column_schema(field.type)) for field in schema}
    return {"type": "object", "properties": properties, "required": list(schema.names)}


def _object(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _list_schema(row: str) -> Schema:
    return _object(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "pagination": _ref("Pagination"),
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {"type": "array", "items": _ref(row)},
        }
    )


def _kpi_schemas() -> dict[str, Schema]:
    value: Schema = {"type": ["string", "integer", "null"], "description": "money or count"}
    kpi = _object(
        {
            "value": value,
            "previous": value,
            "change": value,
            "change_pct": {"type": ["number", "null"], "description": "null when base is 0"},
        }
    )
    period = _object({"name": {"type": "string"}, "from": DAY, "to": DAY})
    kpis = _object(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "period": period,
            "previous_period": _object({"from": DAY, "to": DAY}),
            "kpis": _object({name: _ref("KpiValue") for name in KPI_NAMES}),
        }
    )
    return {"KpiValue": kpi, "Kpis": kpis}


def _freshness_schema() -> Schema:
    shapes: dict[str, Schema] = {
        "shop_id": {"type": "string"},
        "newest_event_at": _nullable(TIME),
        "last_applied_at": _nullable(TIME),
        "lag_seconds": {"type": ["number", "null"]},
        "events_applied": {"type": "integer"},
        "views_version": {"type": ["string", "null"]},
    }
    return _object({name: shapes[name] for name in FRESHNESS_COLUMNS})


def _sync_schemas() -> dict[str, Schema]:
    count: Schema = {"type": ["integer", "null"]}
    shapes: dict[str, Schema] = {
        "kind": {"type": "string", "enum": list(RUN_KINDS)},
        "started_at": TIME,
        "finished_at": TIME,
        "ok": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
        "window_from": _nullable(TIME),
        "repaired": count | {"description": "sync runs: everything repaired; else null"},
        "hard_deleted": count | {"description": "records deleted in WooCommerce, or null"},
        "not_active_webhooks": {
            "type": ["string", "null"],
            "description": "webhook checks: comma-separated topics not active; else null",
        },
        "details": {"type": "string", "description": "the run's counts as compact JSON"},
    }
    run = _object({name: shapes[name] for name in SYNC_COLUMNS})
    runs = _object(
        {
            "shop_id": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {"type": "array", "items": _ref("SyncRun")},
        }
    )
    return {"SyncRun": run, "SyncRunList": runs}


def component_schemas() -> dict[str, Schema]:
    integer: Schema = {"type": "integer"}
    error = _object({"code": {"type": "string"}, "message": {"type": "string"}})
    return {
        "Error": _object({"error": error}),
        "Health": _object({"status": {"type": "string", "const": "ok"}}),
        "Ready": _object(
            {
                "status": {"type": "string"},
                "checks": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        ),
        "OpenApi": {"type": "object"},
        "Pagination": _object(
            {"page": integer, "per_page": integer, "total": integer, "pages": integer}
        ),
        "Order": row_schema(ORDERS_VIEW),
        "Customer": row_schema(CUSTOMERS_VIEW),
        "OrderList": _list_schema("Order"),
        "CustomerList": _list_schema("Customer"),
        **_kpi_schemas(),
        "Freshness": _freshness_schema(),
        **_sync_schemas(),
    }


_KIND_SCHEMAS: dict[str, Schema] = {
    "string": {"type": "string"},
    "list": {"type": "array", "items": {"type": "string"}},
    "date": DAY,
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"},
    "boolean": {"type": "boolean"},
    "enum": {"type": "string"},
}


def param_schema(spec: ParamSpec) -> Schema:
    schema = dict(_KIND_SCHEMAS[spec.kind])
    extras = {
        "enum": list(spec.enum) or None,
        "default": spec.default,
        "minimum": spec.minimum,
        "maximum": spec.maximum,
    }
    schema.update({key: value for key, value in extras.items() if value is not None})
    return schema


def _parameter(spec: ParamSpec) -> Schema:
    parameter = {
        "name": spec.name,
        "in": "query",
        "required": False,
        "description": spec.description,
        "schema": param_schema(spec),
    }
    if spec.kind == "list":
        parameter |= {"style": "form", "explode": False}
    return parameter


def _error(description: str) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _shop_responses(route: RouteSpec) -> dict[str, Schema]:
    ok = {
        "description": "OK (ETag set; CSV as an attachment)",
        "content": {
            "application/json": {"schema": _ref(route.response)},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
    return {
        "200": ok,
        "304": {"description": "Not modified: If-None-Match holds the current ETag"},
        "400": _error("A query parameter has a value that cannot be used"),
        "401": _error("Missing or unknown API token"),
        "403": _error("The token belongs to another shop"),
    }


def _plain_responses(route: RouteSpec) -> dict[str, Schema]:
    json = {"application/json": {"schema": _ref(route.response)}}
    responses: dict[str, Schema] = {"200": {"description": "OK", "content": json}}
    if route.name == "readyz":
        responses["503"] = _error("A readiness check failed (checks names it)")
    return responses


_SHOP_ID: Schema = {
    "name": "shop_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}


def operation(route: RouteSpec) -> Schema:
    op: Schema = {"operationId": route.name, "summary": route.summary}
    if route.description:
        op["description"] = route.description
    if not route.shop:
        return op | {"responses": _plain_responses(route)}
    parameters = [_SHOP_ID, *(_parameter(spec) for spec in route.params)]
    return op | {
        "parameters": parameters,
        "security": [{"bearerAuth": []}],
        "responses": _shop_responses(route),
    }


def build_openapi(routes: tuple[RouteSpec, ...]) -> Schema:
    """The whole document: one path per route, components for every response shape."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wcpulse read API",
            "version": "1",
            "description": "Analytics of a WooCommerce shop as JSON and CSV. Errors: "
            '{"error": {"code", "message"}}. Times ISO 8601 UTC, money decimal strings.',
        },
        "paths": {route.path: {"get": operation(route)} for route in routes},
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }
