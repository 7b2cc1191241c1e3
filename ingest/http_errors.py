"""The one error shape of every wcpulse HTTP endpoint: ``{"error": {"code", "message"}}``.

Generic on purpose: the webhook receiver and the read API both answer errors through
``error_response``, and both apps install ``register_error_handlers`` so that Flask's own
404/405/413/500 (and any other ``HTTPException``) come out in the same shape.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

JSON_MIMETYPE = "application/json"

# Stable machine codes for the statuses Flask/Werkzeug raise on their own.
HTTP_ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "unavailable",
}

# Headers an HTTPException carries that must survive into our response (405 needs Allow).
_KEPT_HEADERS = frozenset({"allow", "retry-after", "www-authenticate"})


def error_body(code: str, message: str) -> dict[str, dict[str, str]]:
    """The error document itself, for callers that render it some other way."""
    return {"error": {"code": code, "message": message}}


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """A JSON error response in the one shape; needs no application context."""
    payload = json.dumps(error_body(code, message), separators=(",", ":"))
    response = Response(payload, status=status, mimetype=JSON_MIMETYPE)
    for name, value in headers:
        response.headers[name] = value
    return response


def code_for_status(status: int) -> str:
    """The machine code for an HTTP status we did not raise ourselves."""
    return HTTP_ERROR_CODES.get(status, "error" if status >= 500 else "bad_request")


def http_exception_response(exc: HTTPException) -> Response:
    """Render any Werkzeug ``HTTPException`` (404, 405, 413, 500, ...) in the one shape."""
    status = exc.code or 500
    message = exc.description or exc.name
    kept = [(k, v) for k, v in exc.get_headers() if k.lower() in _KEPT_HEADERS]
    return error_response(status, code_for_status(status), message, kept)


def register_error_handlers(app: Flask) -> None:
    """Make every error the app raises, including unhandled exceptions (500), JSON.

    Flask turns an unhandled exception into ``InternalServerError`` (after logging it) and
    looks the handler up by class, so this one registration covers 404, 405, 413 and 500.
    The 500 message is Werkzeug's generic text: exception details never reach the client.
    """
    app.register_error_handler(HTTPException, http_exception_response)
