"""A Flask app that answers like WooCommerce's REST API v3 (``/wp-json/wc/v3``).

Read routes for orders, customers, products (and variations), coupons and refunds; webhook
CRUD in ``webhooks.py``. Auth: HTTP Basic or ``consumer_key``/``consumer_secret`` query
parameters (the index is public, as in WordPress). Errors have WordPress' shape
``{"code", "message", "data": {"status"}}``; JSON is encoded as PHP does (escaped ``/``).
Faults (``faults.py``) are applied before anything else, so they hit every route.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from flask import Flask, Response, request

from ingest.demo.phpjson import php_json_encode
from tests.woo_server.data import WooShopData
from tests.woo_server.faults import Failure, Faults
from tests.woo_server.listing import (
    COUPONS,
    CUSTOMERS,
    ORDERS,
    PRODUCTS,
    REFUNDS,
    VARIATIONS,
    BadParam,
    ListingCache,
    Resource,
    list_items,
    only_fields,
)
from tests.woo_server.webhooks import add_webhook_routes
from tests.woo_server.wire import API, JSON, NO_ROUTE, json_response, wp_error

CANNOT_LIST = "Sorry, you cannot list resources."
WRITE_DENIED = "The API key provided does not have write permissions."
_CRITICAL = "<p>There has been a critical error on this website.</p>"
Source = Callable[[], Iterable[dict]]
_INVALID_ID = {
    "orders": "woocommerce_rest_shop_order_invalid_id",
    "customers": "woocommerce_rest_invalid_id",
    "products": "woocommerce_rest_product_invalid_id",
    "coupons": "woocommerce_rest_shop_coupon_invalid_id",
}


def create_app(data: WooShopData, faults: Faults, consumer_key: str, consumer_secret: str) -> Flask:
    app = Flask(__name__)
    cache = ListingCache()
    credentials = (consumer_key, consumer_secret)
    app.before_request(lambda: _guard(faults, credentials))
    app.register_error_handler(404, lambda error: wp_error(404, "rest_no_route", NO_ROUTE))
    app.register_error_handler(405, lambda error: wp_error(404, "rest_no_route", NO_ROUTE))
    app.register_error_handler(BadParam, _bad_param)
    _add_read_routes(app, data, faults, cache)
    add_webhook_routes(app, data, cache)
    return app


class _Reader:
    """The read views: one page of a collection, or one item."""

    def __init__(self, data: WooShopData, faults: Faults, cache: ListingCache) -> None:
        self.data, self.faults, self.cache = data, faults, cache

    def listing(self, name: str, resource: Resource, source: Source) -> Response:
        page = request.args.get("page", "1")
        for callback in self.faults.page_callbacks(name, int(page) if page.isdigit() else 1):
            callback()
        with self.data.lock:
            query = (self.cache, self.data.version, name)
            found = list_items(resource, source, request.args, query)
            body = php_json_encode(_shaped(found.items))
        headers = {"X-WP-Total": str(found.total), "X-WP-TotalPages": str(found.total_pages)}
        return Response(body, 200, headers, content_type=JSON)

    def item(self, name: str, item_id: int) -> Response:
        with self.data.lock:
            found = getattr(self.data, name).get(item_id)
            if found is None:
                return wp_error(404, _INVALID_ID[name], "Invalid ID.")
            return json_response(_shaped([found])[0])

    def order_refunds(self, order_id: int) -> Response:
        if order_id not in self.data.orders:
            return wp_error(404, _INVALID_ID["orders"], "Invalid order ID.")
        source = partial(self.data.refunds_of, order_id)
        return self.listing(f"orders/{order_id}/refunds", REFUNDS, source)

    def variations(self, product_id: int) -> Response:
        if product_id not in self.data.products:
            return wp_error(404, _INVALID_ID["products"], "Invalid ID.")
        source = self.data.variations.get(product_id, {}).values
        return self.listing(f"products/{product_id}/variations", VARIATIONS, source)


def _add_read_routes(app: Flask, data: WooShopData, faults: Faults, cache: ListingCache) -> None:
    reader = _Reader(data, faults, cache)
    sources: dict[str, tuple[Resource, Source]] = {
        "orders": (ORDERS, data.orders.values),
        "customers": (CUSTOMERS, data.customers.values),
        "products": (PRODUCTS, data.products.values),
        "coupons": (COUPONS, data.coupons.values),
        "refunds": (REFUNDS, data.refunds.values),
    }
    index = json_response(_index(data.site_url)).get_data()
    app.add_url_rule(API, "index", lambda: Response(index, content_type=JSON))
    app.add_url_rule(f"{API}/", "index_slash", lambda: Response(index, content_type=JSON))
    app.add_url_rule(
        f"{API}/<any(orders, customers, products, coupons, refunds):name>",
        "collection",
        lambda name: reader.listing(name, *sources[name]),
    )
    app.add_url_rule(
        f"{API}/<any(orders, customers, products, coupons):name>/<int:item_id>",
        "item",
        reader.item,
    )
    app.add_url_rule(f"{API}/orders/<int:order_id>/refunds", "refunds", reader.order_refunds)
    app.add_url_rule(f"{API}/products/<int:product_id>/variations", "variations", reader.variations)


def _guard(faults: Faults, credentials: tuple[str, str]) -> Response | None:
    """Faults first (counted, delayed, failed), then the credentials."""
    decision = faults.decide(request.path)
    faults.sleep(decision.delay)
    if faults.is_plain_permalinks and request.path.startswith("/wp-json"):
        return wp_error(404, "rest_no_route", NO_ROUTE)
    if decision.failure is not None:
        return _failure(decision.failure)
    if not request.path.startswith(f"{API}/") or request.path == f"{API}/":
        return None
    if not _authorised(*credentials, use_header=not faults.strips_authorization):
        return wp_error(401, "woocommerce_rest_cannot_view", CANNOT_LIST)
    if faults.is_read_only and request.method not in ("GET", "HEAD"):
        return wp_error(401, "woocommerce_rest_authentication_error", WRITE_DENIED)
    return None


def _authorised(key: str, secret: str, *, use_header: bool) -> bool:
    auth = request.authorization if use_header else None
    if auth is not None and auth.type == "basic":
        given = (auth.username or "", auth.password or "")
    else:
        given = (request.args.get("consumer_key", ""), request.args.get("consumer_secret", ""))
    key_ok = hmac.compare_digest(given[0].encode(), key.encode())
    return hmac.compare_digest(given[1].encode(), secret.encode()) and key_ok


def _failure(failure: Failure) -> Response:
    status = failure.status
    headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
    if status in (401, 403):
        response = wp_error(status, "woocommerce_rest_cannot_view", CANNOT_LIST)
    elif status == 404:
        response = wp_error(404, "rest_no_route", NO_ROUTE)
    elif status == 500:
        response = wp_error(500, "internal_server_error", _CRITICAL)
    elif status == 429:
        response = Response("Too Many Requests", 429, content_type="text/plain")
    else:
        page = f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
        response = Response(page, status, content_type="text/html")
    response.headers.update(headers)
    return response


def _bad_param(error: BadParam) -> Response:
    params = {error.name: error.reason}
    return wp_error(400, "rest_invalid_param", str(error), params=params)


def _shaped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``_fields=a,b``: only those keys of each item."""
    fields = request.args.get("_fields")
    return [only_fields(item, fields) for item in items] if fields else items


def _index(site: str) -> dict[str, Any]:
    names = ("orders", "customers", "products", "coupons", "refunds", "webhooks")
    routes: dict[str, Any] = {"/wc/v3": {"namespace": "wc/v3", "methods": ["GET"]}}
    for name in names:
        methods = ["GET", "POST"] if name == "webhooks" else ["GET"]
        routes[f"/wc/v3/{name}"] = {"namespace": "wc/v3", "methods": methods}
        routes[f"/wc/v3/{name}/(?P<id>[\\d]+)"] = {"namespace": "wc/v3", "methods": ["GET"]}
    routes["/wc/v3/orders/(?P<order_id>[\\d]+)/refunds"] = {"namespace": "wc/v3"}
    routes["/wc/v3/products/(?P<product_id>[\\d]+)/variations"] = {"namespace": "wc/v3"}
    return {
        "namespace": "wc/v3",
        "routes": routes,
        "_links": {"up": [{"href": f"{site}/wp-json/"}]},
    }
