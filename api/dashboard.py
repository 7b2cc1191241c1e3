"""The built-in dashboard: a landing page at ``/``, the shop's page at
``/dashboard/<shop_id>`` (static HTML and JS modules reading the shop's API with the session
cookie of api/dashboard_session.py), its static files, and the chart library, served from
the ``plotly`` package's own data (never copied into this repository)."""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from api.auth import ShopTokens
from api.dashboard_session import session_blueprint

STATIC = Path(__file__).parent / "static"
PLOTLY_VERSION = metadata.version("plotly")
PLOTLY_URL = "/dashboard-vendor/plotly-" + PLOTLY_VERSION + ".min.js"
YEAR = 365 * 24 * 3600
# Plotly sets styles from script (its own <style> element and style attributes): styles
# may be inline, scripts only from this site.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def _page(name: str) -> Response:
    html = (STATIC / name).read_text(encoding="utf-8").replace("{{plotly_url}}", PLOTLY_URL)
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _plotly() -> Response:
    script = resources.files("plotly") / "package_data" / "plotly.min.js"
    response = Response(script.read_bytes(), mimetype="text/javascript")
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    return response


def dashboard_blueprint(shops: ShopTokens) -> Blueprint:
    """``/``, ``/dashboard/<shop_id>`` (and its session), the page's files and Plotly."""
    blueprint = Blueprint("dashboard", __name__)
    blueprint.register_blueprint(session_blueprint(shops))
    blueprint.add_url_rule("/", "landing", lambda: _page("landing.html"))
    blueprint.add_url_rule(PLOTLY_URL, "plotly", _plotly)

    @blueprint.get("/dashboard/<shop_id>")
    def page(shop_id: str) -> Response:
        return _page("dashboard.html")

    @blueprint.get("/dashboard-static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name, max_age=0)  # revalidated: 304s

    return blueprint
