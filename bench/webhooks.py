"""Signed WooCommerce deliveries as ready-to-send HTTP request bytes."""

from __future__ import annotations

from bench.http_client import build_request
from bench.orders import Delivery
from ingest.demo.webhook_sender import WEBHOOK_IDS, webhook_headers

SOURCE_URL = "http://127.0.0.1/shop/"


def webhook_path(shop_id: str) -> str:
    return f"/webhooks/woocommerce/{shop_id}"


def signed_request(port: int, shop_id: str, secret: str, delivery: Delivery) -> bytes:
    """The bytes WooCommerce would send for ``delivery`` (PHP-encoded body, signed)."""
    headers = webhook_headers(
        delivery.topic,
        delivery.body,
        secret,
        source_url=SOURCE_URL,
        webhook_id=WEBHOOK_IDS.get(delivery.topic, 1),
        delivery_id=f"{delivery.order_id:032x}",
    )
    return build_request("POST", port, webhook_path(shop_id), headers, delivery.body)
