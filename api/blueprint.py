"""The read API blueprint: the shop views of api/catalog.py plus the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, request

from api.alert_mail import ShopAlertMail
from api.auth import RememberedTokens, ShopTokens, authorize_request
from api.caching import compute_etag, not_modified, with_cache_headers
from api.catalog import ROUTES
from api.context import RequestContext
from api.data_as_of import data_as_of, with_data_as_of
from api.endpoints import ENDPOINTS, source_stamp
from api.lists import BASE_ORDER
from api.openapi import build_openapi
from api.params import negotiate_format, parse_query
from api.render import json_response, render
from api.route_spec import RouteSpec
from api.runs import ShopMetadata, ShopRuns
from api.viewfiles import ShopViews
from processors.analytics.periods import local_today
from schemas.clock import Clock
from schemas.settings import Settings

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class _Deps:
    settings: Settings
    shops: ShopMetadata
    clock: Clock
    tokens: ShopTokens  # ``shops``' tokens, remembered for a second


def csv_filename(shop_id: str, view: str) -> str:
    return _UNSAFE_FILENAME.sub("_", shop_id + "-" + view) + ".csv"


def _serve(route: RouteSpec, deps: _Deps, shop_id: str, path: dict[str, str]) -> Response:
    shop = authorize_request(deps.tokens, shop_id, request)
    values = parse_query(route.params, request.args)
    fmt = negotiate_format(values, request.accept_mimetypes)
    views = ShopViews(deps.settings.data_dir, shop_id, BASE_ORDER)
    as_of = data_as_of(views)  # read before the manifest: never newer than the answer
    now = deps.clock.now()
    today = local_today(now, shop.timezone)
    runs = ShopRuns(deps.shops, shop_id)
    mail = ShopAlertMail(deps.shops, shop_id)
    ctx = RequestContext(shop, views, values, fmt, today, runs, path, now, mail)
    etag = compute_etag(source_stamp(route.sources, ctx), request, fmt, today)
    unchanged = not_modified(request, etag)
    if unchanged is not None:
        return with_data_as_of(unchanged, as_of)
    result = ENDPOINTS[route.name](ctx)
    response = render(result, fmt, csv_filename(shop_id, route.name))
    return with_data_as_of(with_cache_headers(response, etag), as_of)


def _shop_view(route: RouteSpec, deps: _Deps) -> Callable[[str], Response]:
    def view(shop_id: str, **path: str) -> Response:
        return _serve(route, deps, shop_id, path)

    view.__name__ = route.name
    return view


def api_blueprint(settings: Settings, shops: ShopMetadata, clock: Clock) -> Blueprint:
    """Every shop view under ``/api/v1/shops/<shop_id>/`` and ``/api/v1/openapi.json``."""
    deps = _Deps(settings, shops, clock, RememberedTokens(shops))
    blueprint = Blueprint("api", __name__)
    for route in ROUTES:
        if route.name in ENDPOINTS:
            blueprint.add_url_rule(route.flask_rule, route.name, _shop_view(route, deps))
    document = build_openapi(ROUTES)
    blueprint.add_url_rule("/api/v1/openapi.json", "openapi", lambda: json_response(document))
    return blueprint
