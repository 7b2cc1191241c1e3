"""The fulfillment route answers with the clock (orders become overdue as time passes), so
its ETag moves with the clock's minute as well as with the views: a client revalidating an
hour later gets the new overdue list, not a 304. Its SLA defaults to the shop's own."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from api.app import create_app
from processors.pipeline import ShopPipeline
from schemas.alerts import AlertSettings
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from tests import woo_payloads as woo

NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
SHOP = ShopConfig("shp_etag", "Etag", "https://etag.example")
PATH = f"/api/v1/shops/{SHOP.shop_id}/fulfillment"
AUTH = {"Authorization": "Bearer etag-token"}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.at = now

    def now(self) -> datetime:
        return self.at


def test_the_etag_follows_the_clock_so_a_newly_overdue_order_is_not_a_304(tmp_path):
    paid = (NOW - timedelta(hours=47, minutes=30)).strftime("%Y-%m-%dT%H:%M:%S")
    body = woo.order(1, status="processing", created=paid, paid=paid)
    envelope = Envelope(SHOP.shop_id, "order.created", "order", "created", 1, json.dumps(body), NOW)
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        pipeline.apply([envelope], NOW)
        pipeline.publish(NOW)
    finally:
        pipeline.close()
    clock = Clock(NOW)
    tokens = SimpleNamespace(shop_for_token={"etag-token": SHOP}.get)
    client = create_app(Settings(data_dir=tmp_path), tokens, clock).test_client()
    first = client.get(PATH, headers=AUTH)
    assert first.get_json()["metrics"]["overdue_now"] == 0
    clock.at = NOW + timedelta(seconds=20)  # the same minute: nothing to fetch again
    same = client.get(PATH, headers=AUTH | {"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304
    clock.at = NOW + timedelta(hours=1)  # now 48.5 hours since payment
    later = client.get(PATH, headers=AUTH | {"If-None-Match": first.headers["ETag"]})
    assert later.status_code == 200 and later.get_json()["metrics"]["overdue_now"] == 1


def test_without_sla_hours_the_shops_own_fulfilment_sla_applies(tmp_path):
    paid = (NOW - timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M:%S")
    body = woo.order(1, status="processing", created=paid, paid=paid)
    own = AlertSettings(overrides=(("fulfillment_delayed", (("sla_hours", 24.0),)),))
    shop = replace(SHOP, alerts=own)
    envelope = Envelope(shop.shop_id, "order.created", "order", "created", 1, json.dumps(body), NOW)
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        pipeline.apply([envelope], NOW)
        pipeline.publish(NOW)
    finally:
        pipeline.close()
    tokens = SimpleNamespace(shop_for_token={"etag-token": shop}.get)
    client = create_app(Settings(data_dir=tmp_path), tokens, Clock(NOW)).test_client()
    default = client.get(PATH, headers=AUTH).get_json()
    assert (default["sla_hours"], default["metrics"]["overdue_now"]) == (24, 1)
    given = client.get(PATH + "?sla_hours=48", headers=AUTH).get_json()
    assert (given["sla_hours"], given["metrics"]["overdue_now"]) == (48, 0)
