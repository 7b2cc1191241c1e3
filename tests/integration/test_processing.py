"""Consumer + embedded queue + DuckDB + Parquet: apply, dead-letter, replay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from schemas.views import VIEWS
from store.errors import StateLocked
from store.layout import shop_paths
from store.lock import WriterLock
from store.rawlog import ParquetRawLog
from store.view_files import read_view
from tests.conftest import FIXTURES, load_fixture
from tests.views_builder import read_views

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
SHOP = ShopConfig("shp_proc", "Proc", "https://proc.example")


class Shops:
    def __init__(self, *shops: ShopConfig) -> None:
        self._shops = {s.shop_id: s for s in shops}

    def get(self, shop_id: str) -> ShopConfig | None:
        return self._shops.get(shop_id)


def envelope(topic: str, body: str, shop_id: str = SHOP.shop_id, minute: int = 0) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(shop_id, topic, resource, event, None, body, NOW + timedelta(minutes=minute))


def fixture_stream() -> list[Envelope]:
    names = [
        ("customer.json", "customer.created"),
        ("product.json", "product.created"),
        ("product_variation.json", "product.created"),
        ("order.json", "order.created"),
        ("order_refunded.json", "order.updated"),
    ]
    stream = [envelope(t, (FIXTURES / n).read_text(), minute=i) for i, (n, t) in enumerate(names)]
    for order_id in range(1000, 1040):
        body = load_fixture("order.json")
        body.update(id=order_id, customer_id=0, total="20.00", status="completed")
        body["billing"]["email"] = f"guest{order_id % 7}@example.com"
        stream.append(envelope("order.created", json.dumps(body), minute=10 + order_id))
    return stream


def imported(resource: str, elements: list[dict], minute: int = 0) -> Envelope:
    """An importer's envelope: one REST page as a JSON array."""
    body = json.dumps(elements, separators=(",", ":"))
    topic = f"{resource}.imported"
    at = NOW + timedelta(minutes=minute)
    return Envelope(SHOP.shop_id, topic, resource, "imported", None, body, at, "import")


def imported_orders(first_id: int, count: int) -> list[dict]:
    orders = []
    for order_id in range(first_id, first_id + count):
        body = load_fixture("order.json")
        body.update(id=order_id, customer_id=0, total="15.00", status="completed")
        body["billing"]["email"] = f"imported{order_id % 5}@example.com"
        orders.append(body)
    return orders


def mixed_stream() -> list[Envelope]:
    """Webhooks, imported pages (orders, refunds) and trash of several resources."""
    return [
        *fixture_stream(),
        imported("order", imported_orders(2000, 6), minute=3000),
        imported("order", imported_orders(2006, 5), minute=3001),
        imported("refund", load_fixture("order_refunds.json"), minute=3002),
        envelope("order.deleted", '{"id": 2001}', minute=4000),
        envelope("refund.deleted", '{"id": 726}', minute=4001),
        envelope("coupon.deleted", '{"id": 77}', minute=4002),
    ]


def run_until_empty(queue: SQLiteQueue, data_dir, shops=Shops(SHOP)) -> Consumer:
    consumer = Consumer(queue, shops, data_dir, FixedClock(NOW), batch_size=7)
    while consumer.run_once(timeout=0.05):
        pass
    consumer.close()
    return consumer


def raised_alerts(data_dir, shop_id: str = SHOP.shop_id) -> int:
    """The alert envelopes the live processor logged (replayed like every other)."""
    raw = ParquetRawLog(shop_paths(data_dir, shop_id).raw_dir)
    return sum(e.topic == "job.alerts_raised" for batch in raw.read_batches() for e in batch)


def views(data_dir, shop_id: str = SHOP.shop_id) -> dict[str, list[dict]]:
    """Every published view's rows (the content, base and delta merged)."""
    published = read_views(shop_paths(data_dir, shop_id).views_dir)
    return {name: table.to_pylist() for name, table in published.items()}


def test_every_message_is_applied_once_and_the_queue_is_drained(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 2)
    stream = fixture_stream()
    queue.publish(stream + stream[:10])  # duplicates too
    run_until_empty(queue, tmp_path)
    orders = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "orders").to_pylist()
    assert len(orders) == 42
    assert queue.depth() == 0
    fresh = json.loads(
        (shop_paths(tmp_path, SHOP.shop_id).views_dir / "freshness.json").read_text()
    )
    assert fresh["events_applied"] == len(stream) + 10


def test_a_poison_message_is_dead_lettered_with_its_reason_and_the_rest_flow(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    good = fixture_stream()
    poison = envelope("order.updated", '{"status": "processing"}')
    queue.publish(good[:3] + [poison] + good[3:])
    queue.publish_raw([(0, b"definitely not an envelope")])
    queue.publish([envelope("order.created", (FIXTURES / "order.json").read_text(), "shp_gone")])
    run_until_empty(queue, tmp_path)
    reasons = sorted(d["reason"] for d in queue.dead_letters())
    assert len(reasons) == 3
    assert "body has no integer id" in reasons
    assert any("not JSON" in r for r in reasons)
    assert "unknown shop shp_gone" in reasons
    orders = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "orders")
    assert orders.num_rows == 42


def test_replay_rebuilds_the_views_byte_for_byte(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    stream = fixture_stream()
    queue.publish(stream[::-1] + stream)  # reordered and duplicated
    run_until_empty(queue, tmp_path)
    before = views(tmp_path)
    report = replay_shop(tmp_path, SHOP, FixedClock(NOW + timedelta(days=1)))
    assert report.events == 2 * len(stream) + raised_alerts(tmp_path)
    assert views(tmp_path) == before
    assert set(before) == set(VIEWS)


def test_replay_reproduces_every_view_of_imported_pages_webhooks_and_trash(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 2)
    stream = mixed_stream()
    queue.publish(stream[::-1] + stream[:5])
    run_until_empty(queue, tmp_path)
    before = views(tmp_path)
    report = replay_shop(tmp_path, SHOP, FixedClock(NOW + timedelta(days=2)))
    assert (report.events, report.unprocessable) == (len(stream) + 5 + raised_alerts(tmp_path), 0)
    assert views(tmp_path) == before
    assert (
        read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "versions").num_rows == 59
    )  # 1 + 2 + 53 + 2 + 1


def test_an_imported_page_through_the_consumer_ends_up_in_the_views(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    queue.publish([imported("order", imported_orders(2000, 25))])
    run_until_empty(queue, tmp_path)
    orders = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "orders").to_pylist()
    assert [o["order_id"] for o in orders] == list(range(2000, 2025))
    assert {(o["status"], str(o["net"])) for o in orders} == {("completed", "15.00")}
    customers = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "customers")
    assert sorted(customers.column("orders").to_pylist()) == [5, 5, 5, 5, 5]
    assert queue.depth() == 0 and queue.dead_letters() == []


def test_an_imported_page_with_an_unkeyed_element_is_dead_lettered_naming_it(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    page = imported_orders(2000, 3)
    page[2].pop("id")
    queue.publish([imported("order", page), imported("order", imported_orders(3000, 2))])
    run_until_empty(queue, tmp_path)
    [dead] = queue.dead_letters()
    assert dead["reason"] == "page element 2: body has no integer id"
    orders = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "orders")
    assert orders.column("order_id").to_pylist() == [3000, 3001]


def test_the_versions_view_lists_every_resource_with_its_modified_time_and_trash_flag(
    tmp_path,
):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    queue.publish(mixed_stream())
    run_until_empty(queue, tmp_path)
    table = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "versions")
    rows = {(r["resource"], r["resource_id"]): r for r in table.to_pylist()}
    keys = [(r["resource"], r["resource_id"]) for r in table.to_pylist()]
    assert keys == sorted(keys)
    assert {resource for resource, _ in rows} == {
        "coupon",
        "customer",
        "order",
        "product",
        "refund",
    }
    assert len([k for k in rows if k[0] == "order"]) == 42 + 11
    assert rows[("order", 727)]["modified_at"] == datetime(2017, 3, 22, 19, 28, 8, tzinfo=UTC)
    assert rows[("product", 732)]["trashed"] is False
    assert rows[("refund", 724)]["modified_at"] == datetime(2017, 3, 21, 19, 55, 37, tzinfo=UTC)
    trashed = {k for k, r in rows.items() if r["trashed"]}
    assert trashed == {("order", 2001), ("refund", 726), ("coupon", 77)}
    assert rows[("coupon", 77)]["modified_at"] is None  # only its trash is known
    orders = read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, "orders").to_pylist()
    assert {o["status"] for o in orders if o["order_id"] == 2001} == {"trash"}


def test_replay_refuses_while_a_processor_holds_the_shop(tmp_path):
    lock = WriterLock(shop_paths(tmp_path, SHOP.shop_id).root)
    lock.acquire()
    try:
        with pytest.raises(StateLocked, match="stop it first"):
            replay_shop(tmp_path, SHOP, FixedClock(NOW))
    finally:
        lock.release()


def test_a_wholly_unprocessable_batch_after_a_publish_does_not_break_the_consumer(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    consumer = Consumer(queue, Shops(SHOP), tmp_path, FixedClock(NOW), batch_size=50)
    queue.publish(fixture_stream()[:5])
    assert consumer.run_once(timeout=0.05) == 5
    consumer.publish_due(force=True)
    queue.publish([envelope("order.updated", '{"status": "processing"}')])
    assert consumer.run_once(timeout=0.05) == 1
    consumer.publish_due(force=True)
    consumer.publish_due(force=True)
    consumer.close()
    assert [d["reason"] for d in queue.dead_letters()] == ["body has no integer id"]


def test_views_are_published_when_the_queue_is_drained_and_not_during_a_backlog(tmp_path):
    """Full batches (a backlog) wait for the view interval, which a fixed clock never
    reaches; the short batch that drains the queue publishes at once."""
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    stream = fixture_stream()[5:17]  # 12 guest orders
    queue.publish(stream)
    consumer = Consumer(queue, Shops(SHOP), tmp_path, FixedClock(NOW), batch_size=5)
    views_dir = shop_paths(tmp_path, SHOP.shop_id).views_dir
    assert consumer.run_once(timeout=0.05) == 5
    assert consumer.run_once(timeout=0.05) == 5
    assert read_view(views_dir, "orders") is None  # a backlog: nothing published yet
    assert consumer.run_once(timeout=0.05) == 2  # drained
    assert read_view(views_dir, "orders").num_rows == 12
    queue.publish(fixture_stream()[17:20])
    assert consumer.run_once(timeout=0.05) == 3
    assert read_view(views_dir, "orders").num_rows == 15
    consumer.close()
