"""Shipment tracking through the real pipeline (raw log, DuckDB state, Parquet views) and the
read API: the share of paid orders with a tracking number, and fulfillment_delayed for a
paid order still without one after ``tracking_hours``.

Every expected figure is worked out here from the raw order JSON this file builds: which
meta entries hold a number under the shop's configured keys, read straight off the bodies.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from api.app import create_app
from processors.normalise import normalise_order
from processors.pipeline import ShopPipeline
from schemas.alerts import AlertSettings, parse_setting
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.state import DuckDBStateStore
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.live_publish import publish_live

NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
HOUR = timedelta(hours=1)
SALE = {"processing", "completed", "on-hold", "refunded"}
SHOP = ShopConfig("shp_track", "Track", "https://track.example")
CUSTOM = "_carrier_tracking_ref"  # a shop's own key, configured below
KEYS = ("_wc_shipment_tracking_items", CUSTOM)
Body = dict[str, Any]


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def with_keys(shop: ShopConfig, keys: tuple[str, ...]) -> ShopConfig:
    """``shop`` with these tracking meta keys, set as ``wcpulse alerts set`` sets them."""
    _, name, value = parse_setting("fulfillment_delayed.tracking_meta_keys=" + ",".join(keys))
    return replace(
        shop, alerts=AlertSettings(overrides=(("fulfillment_delayed", ((name, value),)),))
    )


def shipment_items(*numbers: str) -> list[Body]:
    """``_wc_shipment_tracking_items`` as WooCommerce Shipment Tracking stores it."""
    return [
        {
            "tracking_provider": "usps",
            "custom_tracking_provider": "",
            "custom_tracking_link": "",
            "tracking_number": number,
            "date_shipped": "1717372800",
            "tracking_id": f"t{n}",
        }
        for n, number in enumerate(numbers)
    ]


# What an order's meta may hold: (key, value) entries added to the fixture's meta_data.
META_KINDS: list[list[tuple[str, Any]]] = [
    [],
    [("_wc_shipment_tracking_items", shipment_items("9400111899223197428490"))],
    [("_wc_shipment_tracking_items", shipment_items("", "1Z999AA10123456784"))],
    [("_wc_shipment_tracking_items", {"1": shipment_items("LX123456789DE")[0]})],  # PHP array
    [("_wc_shipment_tracking_items", [])],
    [(CUSTOM, "JD014600006281230")],
    [(CUSTOM, "   ")],  # blank: no number
    [("_tracking_number", "00340434161094042557")],  # a well-known key this shop did not set
    [(CUSTOM, 73012345678), ("_tracking_provider", "dhl")],
]


def order_body(order_id: int, status: str, paid: datetime | None, meta: list) -> Body:
    body = woo.order(
        order_id,
        status=status,
        created=stamp((paid or NOW) - HOUR),
        paid=stamp(paid) if paid else None,
        completed=stamp(paid + 20 * HOUR) if paid and status == "completed" else None,
    )
    body["meta_data"] += [{"id": 500 + n, "key": k, "value": v} for n, (k, v) in enumerate(meta)]
    return body


def envelope(shop: ShopConfig, body: Body, received: datetime = NOW) -> Envelope:
    return Envelope(
        shop.shop_id, "order.updated", "order", "updated", body["id"], json.dumps(body), received
    )


def has_number(value: Any) -> bool:
    """Whether a meta value holds a tracking number: this file's own reading of the shapes."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return any(isinstance(i, dict) and str(i.get("tracking_number", "")).strip() for i in value)
    return isinstance(value, str | int) and str(value).strip() != ""


def tracked(body: Body, keys: tuple[str, ...]) -> bool:
    return any(m["key"] in keys and has_number(m["value"]) for m in body["meta_data"])


def generated_orders(seed: int = 13, count: int = 60) -> list[Body]:
    rng = random.Random(seed)
    statuses = ["processing", "completed", "completed", "on-hold", "pending", "refunded"]
    bodies = []
    for order_id in range(1, count + 1):
        status = rng.choice(statuses)
        paid = None if rng.random() < 0.1 else NOW - timedelta(hours=rng.randint(2, 20 * 24))
        bodies.append(order_body(order_id, status, paid, rng.choice(META_KINDS)))
    return bodies


def publish(data_dir: Path, shop: ShopConfig, bodies: list[Body]) -> None:
    pipeline = ShopPipeline(data_dir, shop)
    try:
        _, failures = pipeline.apply([envelope(shop, body) for body in bodies], NOW)
        assert failures == {}, failures
        pipeline.publish(NOW)
    finally:
        pipeline.close()


def fulfillment(data_dir: Path, shop: ShopConfig, query: str) -> Body:
    tokens = SimpleNamespace(shop_for_token={"t": shop}.get)
    client = create_app(Settings(data_dir=data_dir), tokens, FixedClock(NOW)).test_client()
    response = client.get(
        f"/api/v1/shops/{shop.shop_id}/fulfillment?{query}", headers={"Authorization": "Bearer t"}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def expected_share(bodies: list[Body], keys: tuple[str, ...], first: date, last: date) -> float:
    paid = [
        b
        for b in bodies
        if b["status"] in SALE
        and b["date_paid_gmt"]
        and first <= date.fromisoformat(b["date_paid_gmt"][:10]) <= last
    ]
    assert paid and any(tracked(b, keys) for b in bodies)
    return sum(tracked(b, keys) for b in paid) / len(paid)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[Body]]:
    data_dir = tmp_path_factory.mktemp("tracking")
    bodies = generated_orders()
    publish(data_dir, with_keys(SHOP, KEYS), bodies)
    return data_dir, bodies


@pytest.mark.parametrize(
    ("query", "first", "last"),
    [
        ("from=2024-05-01&to=2024-06-03", date(2024, 5, 1), date(2024, 6, 3)),
        ("from=2024-05-25&to=2024-06-02", date(2024, 5, 25), date(2024, 6, 2)),
    ],
)
def test_the_tracking_share_equals_a_count_over_the_raw_orders_meta(generated, query, first, last):
    data_dir, bodies = generated
    metrics = fulfillment(data_dir, with_keys(SHOP, KEYS), query)["metrics"]
    share = expected_share(bodies, KEYS, first, last)
    assert 0 < share < 1
    assert metrics["tracking_share"] == pytest.approx(share, abs=5e-5)


def test_the_orders_view_carries_the_number_under_the_first_configured_key(generated):
    data_dir, bodies = generated
    table = read_view(shop_paths(data_dir, SHOP.shop_id).views_dir, "orders")
    assert table is not None
    found = {row["order_id"]: row["tracking_number"] for row in table.to_pylist()}
    for body in bodies:
        assert (found[body["id"]] != "") == tracked(body, KEYS), body["meta_data"]
    numbers = set(found.values())
    assert {"1Z999AA10123456784", "LX123456789DE", "73012345678"} <= numbers
    assert "00340434161094042557" not in numbers  # _tracking_number is not one of this shop's


def test_changing_the_keys_counts_other_orders_at_the_next_publish_without_a_replay(tmp_path):
    bodies = generated_orders(seed=5, count=40)
    publish(tmp_path, with_keys(SHOP, KEYS), bodies)
    others = ("_tracking_number",)
    shop = with_keys(SHOP, others)
    publish(tmp_path, shop, [order_body(99, "completed", NOW - 30 * HOUR, META_KINDS[7])])
    bodies.append(order_body(99, "completed", NOW - 30 * HOUR, META_KINDS[7]))
    metrics = fulfillment(tmp_path, shop, "from=2024-05-01&to=2024-06-03")["metrics"]
    share = expected_share(bodies, others, date(2024, 5, 1), date(2024, 6, 3))
    assert metrics["tracking_share"] == pytest.approx(share, abs=5e-5)


def test_a_shop_without_tracking_meta_has_no_tracking_share(tmp_path):
    bodies = [order_body(n, "completed", NOW - n * 5 * HOUR, []) for n in range(1, 6)]
    bodies.append(order_body(6, "processing", NOW - 3 * HOUR, [("_order_note", "fragile")]))
    publish(tmp_path, SHOP, bodies)
    metrics = fulfillment(tmp_path, SHOP, "from=2024-05-01&to=2024-06-03")["metrics"]
    assert metrics["paid_orders"] == 6
    assert metrics["tracking_share"] is None


# --- fulfillment_delayed for a missing tracking number -------------------------------------


class AlertShop:
    """A pipeline on ``tmp_path`` publishing as the live processor does (alerts on)."""

    def __init__(self, data_dir: Path, shop: ShopConfig) -> None:
        self.shop = shop
        self.pipeline = ShopPipeline(data_dir, shop)

    def feed(self, bodies: list[Body], at: datetime = NOW) -> None:
        self.apply([envelope(self.shop, body, at) for body in bodies], at)

    def check(self, at: datetime) -> None:
        """The scheduler's ``jobs run fulfillment`` at ``at``."""
        self.apply([dated_job_envelope(self.shop.shop_id, "fulfillment", at.date(), at)], at)

    def apply(self, envelopes: list[Envelope], at: datetime) -> None:
        _, failures = self.pipeline.apply(envelopes, at)
        assert failures == {}, failures
        publish_live(self.pipeline, at)

    def delayed(self) -> dict[str, list[Body]]:
        table = read_view(self.pipeline.paths.views_dir, "alerts")
        found: dict[str, list[Body]] = {}
        for alert in [] if table is None else table.to_pylist():
            if alert["type"] == "fulfillment_delayed":
                found.setdefault(alert["subject_id"], []).append(alert)
        return found


@pytest.fixture
def alert_shop(tmp_path) -> Iterator[Any]:
    made: list[AlertShop] = []

    def make(shop: ShopConfig = SHOP) -> AlertShop:
        made.append(AlertShop(tmp_path / str(len(made)), shop))
        return made[-1]

    yield make
    for shop in made:
        shop.pipeline.close()


def untracked(order_id: int, hours: float) -> Body:
    return order_body(order_id, "processing", NOW - timedelta(hours=hours), [])


def shipped(order_id: int, hours: float) -> Body:
    meta = [("_wc_shipment_tracking_items", shipment_items(f"TRK{order_id}"))]
    return order_body(order_id, "processing", NOW - timedelta(hours=hours), meta)


def test_an_order_without_tracking_after_25_hours_alerts_and_one_at_23_hours_does_not(
    alert_shop,
):
    shop = alert_shop()
    shop.feed([untracked(1, 25), untracked(2, 23), shipped(3, 30), shipped(4, 10)])
    delayed = shop.delayed()
    assert set(delayed) == {"1"}  # 2: 23 hours; 3: has a tracking number
    (alert,) = delayed["1"]
    assert alert["severity"] == "warning" and alert["measured"] == pytest.approx(25.0)
    assert alert["threshold"] == 24.0
    assert alert["why"] == "25 hours without a tracking number against a threshold of 24 hours"
    assert "no tracking number" in alert["title"]


def test_the_scheduled_check_finds_an_order_crossing_24_hours_and_alerts_each_order_once(
    alert_shop,
):
    shop = alert_shop()
    shop.feed([untracked(1, 25), untracked(2, 23), shipped(3, 30)])
    shop.check(NOW + 2 * HOUR)  # order 2 is now 25 hours old, order 1 27
    delayed = shop.delayed()
    assert sorted(delayed) == ["1", "2"] and len(delayed["2"]) == 1
    shop.check(NOW + 30 * HOUR)  # 1 and 2 past the 48-hour SLA too: the same key, no more
    delayed = shop.delayed()
    assert {key: len(alerts) for key, alerts in delayed.items()} == {"1": 1, "2": 1, "3": 1}
    assert "hours not completed" in delayed["3"][0]["why"]  # tracked, but 60 hours open


def test_an_order_past_the_sla_alerts_for_the_sla_not_the_tracking(alert_shop):
    shop = alert_shop()
    shop.feed([untracked(1, 50), shipped(3, 30)])
    (alert,) = shop.delayed()["1"]
    assert alert["why"] == "50 hours not completed against a threshold of 48 hours"


def test_a_shop_without_tracking_meta_gets_no_tracking_alerts_only_the_sla(alert_shop):
    shop = alert_shop()
    shop.feed([untracked(1, 25), untracked(2, 30), untracked(5, 50)])
    shop.check(NOW + HOUR)
    assert set(shop.delayed()) == {"5"}  # 50 hours: over the SLA; the others only untracked


def test_a_number_under_a_key_the_shop_does_not_use_does_not_make_it_track(alert_shop):
    shop = alert_shop(with_keys(SHOP, (CUSTOM,)))
    shop.feed([untracked(1, 25), shipped(3, 30)])  # shipped: _wc_shipment_tracking_items
    assert shop.delayed() == {}
    shop.feed([order_body(6, "processing", NOW - 26 * HOUR, [(CUSTOM, "JD0146")])])
    shop.check(NOW + HOUR)
    assert set(shop.delayed()) == {"1", "3"}  # the shop tracks now; 3 has no number it reads


def test_a_state_made_before_tracking_gains_the_column_and_keeps_its_orders(tmp_path):
    path = tmp_path / "state.duckdb"
    old = DuckDBStateStore(path)
    old.apply([normalise_order(order_body(1, "completed", NOW - 30 * HOUR, []), "a", NOW)])
    con = old.connection  # the orders table as it was made, with its index
    con.execute("DROP INDEX orders_by_email")
    con.execute("ALTER TABLE orders DROP COLUMN tracking")
    con.execute("CREATE INDEX orders_by_email ON orders (email)")
    old.close()
    state = DuckDBStateStore(path)
    try:
        body = order_body(2, "processing", NOW - HOUR, [(CUSTOM, "JD0146")])
        state.apply([normalise_order(body, "b", NOW)])
        rows = state.connection.execute("SELECT order_id, tracking FROM orders ORDER BY 1")
        assert rows.fetchall() == [(1, None), (2, json.dumps({CUSTOM: "JD0146"}).replace(" ", ""))]
    finally:
        state.close()
