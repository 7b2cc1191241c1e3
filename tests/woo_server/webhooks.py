"""``/wp-json/wc/v3/webhooks``: list, create, read, update, delete (``force=true`` only).

Stored as WooCommerce keeps them; the ``secret`` is write-only (never returned). A webhook
created without a secret gets a generated one, as WooCommerce does.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, request

from ingest.demo.phpjson import php_json_encode
from tests.woo_server.data import WooShopData
from tests.woo_server.listing import WEBHOOK_STATUSES, WEBHOOKS, ListingCache, list_items
from tests.woo_server.shapes import links
from tests.woo_server.wire import API, JSON, json_response, wp_error

RESOURCES = {
    "order": ("created", "updated", "deleted", "restored"),
    "product": ("created", "updated", "deleted", "restored", "published"),
    "coupon": ("created", "updated", "deleted", "restored"),
    "customer": ("created", "updated", "deleted"),
}
_HOOKS = {
    "created": "woocommerce_new_{}",
    "updated": "woocommerce_update_{}",
    "deleted": "wp_trash_post",
    "restored": "untrashed_post",
    "published": "woocommerce_product_set_visibility",
}
_EDITABLE = ("name", "status", "topic", "delivery_url", "secret")


class _Invalid(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def add_webhook_routes(app: Flask, data: WooShopData, cache: ListingCache) -> None:
    @app.get(f"{API}/webhooks")
    def list_webhooks() -> Response:
        with data.lock:
            key = (cache, data.version, "webhooks")
            found = list_items(WEBHOOKS, lambda: data.webhooks.values(), request.args, key)
            body = [public(data, hook) for hook in found.items]
        headers = {"X-WP-Total": str(found.total), "X-WP-TotalPages": str(found.total_pages)}
        return Response(php_json_encode(body), 200, headers, content_type=JSON)

    @app.post(f"{API}/webhooks")
    def create_webhook() -> Response:
        fields = _submitted()
        fields.setdefault("status", "active")
        fields.setdefault("secret", secrets.token_urlsafe(32))
        if "topic" not in fields or "delivery_url" not in fields:
            return wp_error(400, "rest_missing_callback_param", "Missing parameter(s): topic")
        return _saved(data, None, fields, 201)

    @app.get(f"{API}/webhooks/<int:webhook_id>")
    def read_webhook(webhook_id: int) -> Response:
        hook = data.webhooks.get(webhook_id)
        return _missing() if hook is None else json_response(public(data, hook))

    @app.route(f"{API}/webhooks/<int:webhook_id>", methods=["PUT", "POST", "PATCH"])
    def update_webhook(webhook_id: int) -> Response:
        if webhook_id not in data.webhooks:
            return _missing()
        return _saved(data, webhook_id, _submitted(), 200)

    @app.delete(f"{API}/webhooks/<int:webhook_id>")
    def delete_webhook(webhook_id: int) -> Response:
        if webhook_id not in data.webhooks:
            return _missing()
        if request.args.get("force", "").lower() not in ("true", "1"):
            trash = "Webhooks do not support trashing."
            return wp_error(501, "woocommerce_rest_trash_not_supported", trash)
        return json_response(public(data, data.delete_webhook(webhook_id)))


def public(data: WooShopData, hook: dict[str, Any]) -> dict[str, Any]:
    """What the API returns for a stored webhook: everything but its secret."""
    resource, _, event = hook["topic"].partition(".")
    shown = {key: value for key, value in hook.items() if key != "secret"}
    hooks = [_HOOKS[event].format(resource)] if event in _HOOKS else []
    shown |= {"resource": resource, "event": event, "hooks": hooks}
    return shown | {"_links": links(data.site_url, "webhooks", hook["id"])}


def _saved(data: WooShopData, webhook_id: int | None, fields: dict, status: int) -> Response:
    try:
        _validate(fields)
    except _Invalid as invalid:
        return wp_error(400, invalid.code, invalid.message)
    if webhook_id is None:
        fields.setdefault("name", "Webhook created by the REST API")
        fields["api_version"] = "wp_api_v3"
    hook = data.save_webhook(webhook_id, fields)
    return json_response(public(data, hook), status)


def _validate(fields: dict[str, Any]) -> None:
    if "topic" in fields:
        resource, _, event = str(fields["topic"]).partition(".")
        if event not in RESOURCES.get(resource, ()) and resource != "action":
            raise _Invalid("woocommerce_rest_webhook_invalid_topic", "Invalid topic.")
    if "delivery_url" in fields:
        url = urlsplit(str(fields["delivery_url"]))
        if url.scheme not in ("http", "https") or not url.netloc:
            message = "Invalid parameter(s): delivery_url"
            raise _Invalid("rest_invalid_param", message)
    if "status" in fields and fields["status"] not in WEBHOOK_STATUSES:
        raise _Invalid("rest_invalid_param", "Invalid parameter(s): status")


def _submitted() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        body = request.form.to_dict()
    return {key: body[key] for key in _EDITABLE if key in body}


def _missing() -> Response:
    return wp_error(404, "woocommerce_rest_webhook_invalid_id", "Invalid ID.")
