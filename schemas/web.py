"""What every wcpulse web app answers alike: the one error shape and the health checks.

- The error document ``{"error": {"code", "message"}}``: the webhook receiver and the read
  API both answer errors through ``error_response``, and both apps install
  ``register_error_handlers`` so that Flask's own 404/405/413/500 (and any other
  ``HTTPException``) come out in the same shape; the server's own refusals (waitress, before
  Flask) use ``error_body``.
- ``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer).

Why here, in ``schemas/``: both are wire shapes of the HTTP interface (README "HTTP
interface"), the same for the receiver (``ingest/receiver/``) and the read API (``api/``),
which must not import each other. Placed below both web apps it can be shared without a
sideways import; it imports only Flask, Werkzeug and structlog, nothing of ours, so
``schemas`` stays the leaf. Nothing here reads settings, connects or touches disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

import structlog
from flask import Blueprint, Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

log = structlog.get_logger(__name__)

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


ReadinessCheck = Callable[[], object]  # returns when ready, raises when not


def health_blueprint(readiness: Mapping[str, ReadinessCheck] | None = None) -> Blueprint:
    blueprint = Blueprint("health", __name__)
    checks = dict(readiness or {})
    blueprint.add_url_rule("/healthz", "healthz", lambda: jsonify({"status": "ok"}))
    blueprint.add_url_rule("/readyz", "readyz", lambda: ready(checks))
    return blueprint


def ready(checks: Mapping[str, ReadinessCheck]) -> Response:
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception:  # the edge: any failure means "not ready"; details go to the log
            log.warning("readiness_failed", check=name, exc_info=True)
            results[name] = "failed"
    failed = sorted(name for name, state in results.items() if state != "ok")
    if not failed:
        return jsonify({"status": "ok", "checks": results})
    message = "not ready: " + ", ".join(failed)
    response = jsonify({"error": {"code": "not_ready", "message": message}, "checks": results})
    response.status_code = 503
    return response
