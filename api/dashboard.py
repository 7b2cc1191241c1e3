"""The built-in dashboard page: static HTML and JS that read the shop's API with its token."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).parent / "static"


def dashboard_blueprint() -> Blueprint:
    """``/dashboard/<shop_id>``: the page asks for the API token (or takes ``#token=``)."""
    blueprint = Blueprint("dashboard", __name__)

    @blueprint.get("/dashboard/<shop_id>")
    def page(shop_id: str) -> Response:
        response = send_from_directory(STATIC, "dashboard.html", max_age=0)
        response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self'"
        return response

    @blueprint.get("/dashboard-static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name, max_age=300)

    return blueprint
