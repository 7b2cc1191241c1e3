"""A small checker of JSON values against the OpenAPI document's schemas, for tests.

It understands what api/openapi*.py generates: ``$ref``, ``type`` (a name or a list,
``null`` included), ``properties`` with ``required`` (and no others unless
``additionalProperties``), ``items``, ``enum``, ``const`` and ``oneOf``. It returns the
problems it finds (an empty list: the value conforms).
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _type_ok(schema: dict[str, Any], value: Any) -> bool:
    kinds = schema.get("type")
    if kinds is None:
        return True
    names = kinds if isinstance(kinds, list) else [kinds]
    if isinstance(value, bool):
        return "boolean" in names
    return any(isinstance(value, _TYPES[name]) for name in names)


def problems(
    document: dict[str, Any], schema: dict[str, Any], value: Any, at: str = "$"
) -> list[str]:
    """Where ``value`` does not fit ``schema``."""
    schema = _resolve(document, schema)
    if "oneOf" in schema:
        fits = [problems(document, option, value, at) for option in schema["oneOf"]]
        return [] if any(not found for found in fits) else [f"{at}: fits no oneOf option"]
    if not _type_ok(schema, value):
        return [f"{at}: {value!r} is not {schema.get('type')}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{at}: {value!r} not in {schema['enum']}"]
    if "const" in schema and value != schema["const"]:
        return [f"{at}: {value!r} is not {schema['const']!r}"]
    if isinstance(value, dict):
        return _object_problems(document, schema, value, at)
    if isinstance(value, list) and "items" in schema:
        return [
            p
            for n, item in enumerate(value)
            for p in problems(document, schema["items"], item, f"{at}[{n}]")
        ]
    return []


def _object_problems(
    document: dict[str, Any], schema: dict[str, Any], value: dict, at: str
) -> list[str]:
    properties = schema.get("properties", {})
    found = [f"{at}: missing {name}" for name in schema.get("required", []) if name not in value]
    for name, item in value.items():
        if name in properties:
            found += problems(document, properties[name], item, f"{at}.{name}")
        elif properties and not schema.get("additionalProperties"):
            found.append(f"{at}: {name} is not documented")
    return found
