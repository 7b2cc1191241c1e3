"""The OpenAPI 3.1 document, generated from the route table and the view schemas."""

from __future__ import annotations

import re

from api.data_as_of import DATA_AS_OF_DOC, DATA_AS_OF_HEADER
from api.json_shapes import DAY, Schema, ref
from api.openapi_components import component_schemas
from api.params import DECIMAL_PATTERN, ParamSpec
from api.route_spec import HTML_PAGE, RouteSpec
from processors.anonymise import _CUSTOMER_KEY  # the one definition of a key's form

_PATH_PARAM = re.compile(r"\{(\w+)\}")


_KIND_SCHEMAS: dict[str, Schema] = {
    "string": {"type": "string"},
    "list": {"type": "array", "items": {"type": "string"}},
    "date": DAY,
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "pattern": DECIMAL_PATTERN},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "enum": {"type": "string"},
}
_NUMERIC = ("integer", "number")  # a decimal is a string: its pattern bounds it
_PATH_SCHEMAS: dict[str, Schema] = {
    "customer_key": {
        "type": "string",
        "pattern": "^(" + _CUSTOMER_KEY.pattern + ")$",
        "description": "a registered customer's id, guest-<16 hex> or guest-order-<order id>",
    },
    "product_id": {
        "type": "string",
        "pattern": "^[1-9][0-9]{0,17}$",
        "description": "a product's or a variation's id",
    },
}


def param_schema(spec: ParamSpec) -> Schema:
    schema = dict(_KIND_SCHEMAS[spec.kind])
    if spec.kind == "list" and spec.enum:
        schema["items"] = {"type": "string", "enum": list(spec.enum)}
    low, high = spec.bounds if spec.kind in _NUMERIC else (None, None)
    extras = {
        "enum": list(spec.enum) if spec.enum and spec.kind != "list" else None,
        "default": spec.default,
        "minimum": low,
        "maximum": high,
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
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _shop_responses(route: RouteSpec) -> dict[str, Schema]:
    headers = {DATA_AS_OF_HEADER: DATA_AS_OF_DOC}
    ok = {
        "description": "OK (ETag set; CSV as an attachment)",
        "headers": headers,
        "content": {
            "application/json": {"schema": ref(route.response)},
            "text/csv": {"schema": {"type": "string"}},
        },
    }
    responses = {
        "200": ok,
        "304": {
            "description": "Not modified: If-None-Match holds the current ETag",
            "headers": headers,
        },
        "400": _error(
            "invalid_parameter: a query parameter has a value its schema does not allow "
            "(an empty date, number or choice included), a query parameter the operation "
            "does not declare, or parameters that are not allowed together (the "
            "operation's description states those rules)"
        ),
        "401": _error("Missing or unknown API token"),
        "403": _error("The token belongs to another shop"),
    }
    if len(_PATH_PARAM.findall(route.path)) > 1:
        responses["404"] = _error("Nothing has the key the path names")
    return responses


def _admin_responses(route: RouteSpec) -> dict[str, Schema]:
    ok = {"content": {"application/json": {"schema": ref(route.response)}}}
    status = "202" if route.method in ("delete", "post") else "200"
    bad = None
    if route.request:
        bad = "The body is not valid: the message names the setting"
    elif "{customer_key}" in route.path:
        bad = "The customer_key is not one"
    responses = {
        status: {"description": "Queued" if status == "202" else "OK"} | ok,
        **({"400": _error(bad)} if bad else {}),
        "401": _error("Missing or wrong admin token (whether or not the admin API is on)"),
        "403": _error("The admin API is off, or a shop's API token was sent"),
        "404": _error("No such shop"),
    }
    if status == "202":  # the routes that queue a job
        responses["503"] = _error("The job could not be queued; try again")
    return responses


def _plain_responses(route: RouteSpec) -> dict[str, Schema]:
    if route.response == HTML_PAGE:  # a page for people (the unsubscribe link)
        html = {"text/html": {"schema": {"type": "string"}}}
        refused = {"description": "The link is not valid (or no longer is)", "content": html}
        return {"200": {"description": "OK", "content": html}, "403": refused}
    json = {"application/json": {"schema": ref(route.response)}}
    responses: dict[str, Schema] = {"200": {"description": "OK", "content": json}}
    if route.name == "readyz":
        responses["503"] = _error("A readiness check failed (checks names it)")
    return responses


def _path_parameters(path: str) -> list[Schema]:
    """``shop_id`` and every other ``{name}`` of the path (a customer_key by its pattern)."""
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS.get(name, {"type": "string"}),
        }
        for name in _PATH_PARAM.findall(path)
    ]


def _description(route: RouteSpec) -> str:
    """The route's description, then the rules between its parameters, word for word as
    the 400 states them."""
    rules = (
        "Values that are each valid but not together get 400 invalid_parameter: "
        + "; ".join(route.rules)
        + "."
    )
    return " ".join(text for text in (route.description, rules if route.rules else "") if text)


def operation(route: RouteSpec) -> Schema:
    op: Schema = {"operationId": route.name, "summary": route.summary}
    description = _description(route)
    if description:
        op["description"] = description
    if route.admin:
        body = {"content": {"application/json": {"schema": ref(route.request)}}}
        return (
            op
            | {
                "parameters": _path_parameters(route.path),
                "security": [{"adminAuth": []}],
                "responses": _admin_responses(route),
            }
            | ({"requestBody": body | {"required": True}} if route.request else {})
        )
    if not route.shop:
        query = {"parameters": [_parameter(spec) for spec in route.params]} if route.params else {}
        return op | query | {"responses": _plain_responses(route)}
    parameters = [*_path_parameters(route.path), *(_parameter(spec) for spec in route.params)]
    return op | {
        "parameters": parameters,
        "security": [{"bearerAuth": []}],
        "responses": _shop_responses(route),
    }


def _paths(routes: tuple[RouteSpec, ...]) -> Schema:
    paths: Schema = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method] = operation(route)
    return paths


def build_openapi(routes: tuple[RouteSpec, ...]) -> Schema:
    """The whole document: every route's operation, components for every response shape."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wcpulse read API",
            "version": "1",
            "description": "Analytics of a WooCommerce shop as JSON and CSV. Errors: "
            '{"error": {"code", "message"}}. Times ISO 8601 UTC, money decimal strings.',
        },
        "paths": _paths(routes),
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer"},
                "adminAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the WCPULSE_ADMIN_TOKEN",
                },
            },
        },
    }
