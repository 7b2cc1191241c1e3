"""The read API application factory, its health routes and the one error shape."""

from __future__ import annotations

from collections.abc import Mapping

import structlog
from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from api.admin import JobPublisher, admin_blueprint
from api.alert_settings import alert_settings_blueprint
from api.blueprint import api_blueprint
from api.dashboard import dashboard_blueprint
from api.errors import ApiError
from api.runs import ShopMetadata
from api.unsubscribe import unsubscribe_blueprint
from schemas.clock import Clock
from schemas.settings import Settings
from schemas.web import ReadinessCheck, error_response, health_blueprint, http_exception_response

log = structlog.get_logger(__name__)


def create_app(
    settings: Settings,
    shops: ShopMetadata,
    clock: Clock,
    readiness: Mapping[str, ReadinessCheck] | None = None,
    publisher: JobPublisher | None = None,
) -> Flask:
    """The read API: shop views, OpenAPI, ``/healthz`` and ``/readyz`` (``readiness``
    maps a name to a check that raises when that dependency is not ready). ``shops`` is
    the metadata store (a ``ShopRegistry``): tokens, and the runs ``/sync`` lists.
    ``publisher`` queues the admin API's jobs (customer erasure); without it the admin
    routes that queue a job answer 503."""
    app = Flask("api")
    app.register_blueprint(api_blueprint(settings, shops, clock))
    app.register_blueprint(admin_blueprint(settings, shops, publisher, clock))
    app.register_blueprint(alert_settings_blueprint(settings, shops, clock))  # type: ignore[arg-type]
    app.register_blueprint(dashboard_blueprint(shops))
    app.register_blueprint(unsubscribe_blueprint(shops, clock))  # type: ignore[arg-type]
    app.register_blueprint(health_blueprint(readiness))
    _register_error_handlers(app)
    return app


def _api_error(error: ApiError) -> Response:
    challenge = [("WWW-Authenticate", 'Bearer realm="wcpulse"')] if error.status == 401 else []
    return error_response(error.status, error.code, error.message, challenge)


def _unexpected(error: Exception) -> Response:
    log.exception("api.unhandled_error", path=request.path, method=request.method)
    return error_response(500, "internal_error", "the server failed to answer; see its log")


def _register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, http_exception_response)
    app.register_error_handler(Exception, _unexpected)
