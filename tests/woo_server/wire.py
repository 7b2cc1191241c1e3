"""How WordPress answers: JSON as PHP encodes it, errors as ``{"code", "message", "data"}``."""

from __future__ import annotations

from typing import Any

from flask import Response

from ingest.demo.phpjson import php_json_encode

API = "/wp-json/wc/v3"
JSON = "application/json; charset=UTF-8"
NO_ROUTE = "No route was found matching the URL and request method."


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(php_json_encode(payload), status, headers, content_type=JSON)


def wp_error(status: int, code: str, message: str, **extra: Any) -> Response:
    body = {"code": code, "message": message, "data": {"status": status} | extra}
    return json_response(body, status)
