"""``/healthz`` (the process answers) and ``/readyz`` (its dependencies answer), for every app."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import structlog
from flask import Blueprint, Response, jsonify

log = structlog.get_logger(__name__)

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
