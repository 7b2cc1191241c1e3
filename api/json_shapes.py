"""JSON Schema building blocks of the OpenAPI document: view columns, rows, objects."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

Schema = dict[str, Any]

MONEY: Schema = {"type": "string", "pattern": r"^-?\d+\.\d{2}$", "examples": ["123.40"]}
TIME: Schema = {"type": "string", "format": "date-time", "examples": ["2024-01-05T10:00:00Z"]}
DAY: Schema = {"type": "string", "format": "date"}


def nullable(schema: Schema) -> Schema:
    kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    return schema | {"type": [*kinds, "null"]}


def ref(name: str) -> Schema:
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
    if pa.types.is_floating(data_type):
        return {"type": "number"}
    return {"type": "string"}


def row_schema(schema: pa.Schema, skip: tuple[str, ...] = ()) -> Schema:
    """One row of ``schema`` as a JSON object (every column present, each nullable)."""
    fields = [field for field in schema if field.name not in skip]
    properties = {field.name: nullable(column_schema(field.type)) for field in fields}
    return {"type": "object", "properties": properties, "required": list(properties)}


def obj(properties: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": properties, "required": list(properties)}


def strings() -> Schema:
    return {"type": "array", "items": {"type": "string"}}


def table_schema(row: str) -> Schema:
    """A table as JSON carries it beside others: ``{"columns", "data"}``."""
    return obj({"columns": strings(), "data": {"type": "array", "items": ref(row)}})
