"""The ingest app factory: the WooCommerce webhook and helpdesk ticket receivers and the one
JSON error shape."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask

from ingest.receiver.delivery import Publisher, ShopDirectory
from ingest.receiver.tickets import tickets_blueprint
from ingest.receiver.woocommerce import mount_woocommerce
from schemas.clock import Clock
from schemas.settings import Settings
from schemas.web import ReadinessCheck, health_blueprint, register_error_handlers


def create_app(
    settings: Settings,
    shops: ShopDirectory,
    publisher: Publisher,
    clock: Clock,
    readiness: Mapping[str, ReadinessCheck] | None = None,
) -> Flask:
    """A Flask app that receives signed webhooks and publishes them as envelopes.

    ``MAX_CONTENT_LENGTH`` is set as a second fence: the receiver caps its own read, and
    anything else mounted on this app cannot read an unbounded body either. WooCommerce
    deliveries are answered by the fast path in front of Flask (``fast_path.py``).
    """
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    mount_woocommerce(app, settings, shops, publisher, clock)
    app.register_blueprint(tickets_blueprint(settings, shops, publisher, clock))
    app.register_blueprint(health_blueprint(readiness))
    register_error_handlers(app)
    return app
