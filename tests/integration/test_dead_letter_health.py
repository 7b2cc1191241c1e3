"""A dead-lettered message that never reached its shop's pipeline raises that shop's
critical pipeline_health alert: the real consumer and pipeline (DuckDB, Parquet in
tmp_path) on the real embedded queue and on real RabbitMQ (unique queue names per test).

What the broker holds is read back independently (the embedded queue's dead letters, the
RabbitMQ dead-letter queue) and compared with the alert's count.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from ingest.messaging.rabbit import SHOP_HEADER, RabbitPublisher, connect, publish_body
from ingest.messaging.rabbit_source import RabbitSource
from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from schemas.clock import FixedClock
from schemas.envelope import Envelope, partition_for
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.broker_support import drain as drain_source
from tests.integration.broker_support import rabbit_topology

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SHOP_A = ShopConfig("shp_dead_a", "Shop A", "https://a.example")
SHOP_B = ShopConfig("shp_dead_b", "Shop B", "https://b.example")
V2_REASON = "unknown envelope schema (expected wcpulse.envelope.v1)"


class Shops:
    def get(self, shop_id: str) -> ShopConfig | None:
        return {s.shop_id: s for s in (SHOP_A, SHOP_B)}.get(shop_id)


def order(shop: ShopConfig, order_id: int) -> Envelope:
    body = json.dumps(woo.order(order_id, email=f"buyer{order_id}@example.com"))
    return Envelope(shop.shop_id, "order.created", "order", "created", order_id, body, NOW)


def newer_envelope(shop_id: str, n: int) -> bytes:
    """What a newer ingest would publish: an envelope of a schema this consumer lacks."""
    return json.dumps({"schema": "wcpulse.envelope.v2", "shop_id": shop_id, "n": n}).encode()


def health_alerts(data_dir, shop: ShopConfig) -> list[dict]:
    table = read_view(shop_paths(data_dir, shop.shop_id).views_dir, "alerts")
    rows = [] if table is None else table.to_pylist()
    found = [row for row in rows if row["dedup_key"] == "dead_lettered"]
    return sorted(found, key=lambda row: row["created_at"])


def drain(consumer: Consumer, queue: SQLiteQueue) -> None:
    deadline = time.monotonic() + 30
    while not queue.is_empty():
        assert time.monotonic() < deadline, "the queue did not drain"
        consumer.run_once(0.05)
    consumer.run_once(0)  # the dead letters noted in the last batch: raised, once views are out
    consumer.run_once(0)  # and published by the follow-up, with no new message


def test_undecodable_messages_raise_one_critical_alert_for_the_shop_they_name(tmp_path):
    clock = FixedClock(NOW)
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1, clock=clock)
    queue.publish([order(SHOP_A, 1), order(SHOP_B, 1)])
    queue.publish_raw(
        [
            (0, newer_envelope(SHOP_A.shop_id, 1)),
            (0, b"\x00not json at all"),  # names no shop: logged only
            (0, newer_envelope("shp_nobody", 1)),  # no such shop
            (0, newer_envelope(SHOP_A.shop_id, 2)),
        ]
    )
    consumer = Consumer(queue, Shops(), tmp_path, clock)
    try:
        drain(consumer, queue)
        dead = queue.dead_letters()
    finally:
        consumer.close()
        queue.close()
    naming_a = [d for d in dead if f'"shop_id": "{SHOP_A.shop_id}"' in d["body"].decode("latin-1")]
    assert len(dead) == 4 and len(naming_a) == 2
    (alert,) = health_alerts(tmp_path, SHOP_A)
    assert (alert["type"], alert["severity"]) == ("pipeline_health", "critical")
    assert alert["measured"] == len(naming_a)
    assert alert["why"] == "2 messages against a threshold of 0 messages"
    assert "dead-letter queue" in alert["title"] and V2_REASON in alert["message"]
    assert health_alerts(tmp_path, SHOP_B) == []


def test_more_dead_letters_within_the_cool_down_raise_no_second_alert(tmp_path):
    clock = FixedClock(NOW)
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1, clock=clock)
    consumer = Consumer(queue, Shops(), tmp_path, clock)
    try:
        counts = []
        for hours, messages in ((0, 1), (1, 3), (23, 1), (25, 2)):  # cool-down: 24 hours
            clock.set(NOW + timedelta(hours=hours))
            queue.publish([order(SHOP_A, 100 + hours)])
            queue.publish_raw([(0, newer_envelope(SHOP_A.shop_id, n)) for n in range(messages)])
            drain(consumer, queue)
            counts.append([a["measured"] for a in health_alerts(tmp_path, SHOP_A)])
    finally:
        consumer.close()
        queue.close()
    # one alert per cool-down; the next counts what was dead-lettered since the last look
    assert counts == [[1.0], [1.0], [1.0], [1.0, 2.0]]


def test_a_message_the_queue_gave_up_on_alerts_its_shop(tmp_path):
    clock = FixedClock(NOW)
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1, max_deliveries=2, clock=clock)
    queue.publish([order(SHOP_B, 7)])
    for _ in range(2):  # handed out twice, never acked: it crashed every consumer
        queue.release(queue.fetch(10, 0))
    consumer = Consumer(queue, Shops(), tmp_path, clock)
    try:
        consumer.run_once(0)
        consumer.run_once(0)
        (dead,) = queue.dead_letters()
    finally:
        consumer.close()
        queue.close()
    assert dead["reason"].startswith("delivery limit reached")
    (alert,) = health_alerts(tmp_path, SHOP_B)
    assert alert["measured"] == 1.0 and dead["reason"] in alert["message"]


def _publish_raw(amqp_url: str, topology, body: bytes, headers: dict) -> None:
    key = topology.routing_key(partition_for(SHOP_A.shop_id, topology.partitions))
    with connect(amqp_url) as conn:
        publish_body(conn.default_channel, body, topology.exchange, key, headers)


def _until_alerts(consumer: Consumer, source: RabbitSource, data_dir, alerts: int, dead: int):
    deadline = time.monotonic() + 30
    while len(health_alerts(data_dir, SHOP_A)) < alerts or len(source.dead_letters()) < dead:
        assert time.monotonic() < deadline, "no pipeline_health alert"
        consumer.run_once(0.2)


def test_on_rabbitmq_a_header_or_the_body_names_the_shop_of_a_dead_letter(
    tmp_path, amqp_url, topology
):
    clock = FixedClock(NOW)
    partition = partition_for(SHOP_A.shop_id, topology.partitions)
    publisher = RabbitPublisher(amqp_url, topology)
    publisher.publish([order(SHOP_A, 1)])
    publisher.close()
    _publish_raw(amqp_url, topology, b"\xff\xfe garbage", {SHOP_HEADER: SHOP_A.shop_id})
    source = RabbitSource(amqp_url, topology, list(range(topology.partitions)), clock=clock)
    consumer = Consumer(source, Shops(), tmp_path, clock)
    try:
        _until_alerts(consumer, source, tmp_path, 1, 1)
        clock.advance(timedelta(hours=25))  # past the cool-down
        _publish_raw(amqp_url, topology, newer_envelope(SHOP_A.shop_id, 1), {})  # no header
        _until_alerts(consumer, source, tmp_path, 2, 2)
        dead = source.dead_letters()
    finally:
        consumer.close()
        source.close()
    assert [d["partition"] for d in dead] == [partition, partition]
    assert dead[0]["reason"].startswith("envelope is not JSON") and dead[1]["reason"] == V2_REASON
    alerts = health_alerts(tmp_path, SHOP_A)
    assert [a["measured"] for a in alerts] == [1.0, 1.0]
    assert [d["reason"] in a["message"] for d, a in zip(dead, alerts, strict=True)] == [True] * 2
    assert read_view(shop_paths(tmp_path, SHOP_A.shop_id).views_dir, "orders").num_rows == 1


def test_on_rabbitmq_a_message_on_its_last_delivery_is_given_up_where_its_shop_sees_it(
    tmp_path, amqp_url, unique_prefix
):
    """RabbitMQ would dead-letter a message past the queue's delivery limit itself, unseen
    by the consumer; on its last delivery the consumer gives it up instead, with the reason,
    and its shop gets the alert."""
    clock = FixedClock(NOW)
    with rabbit_topology(amqp_url, unique_prefix, 1, delivery_limit=2) as topology:
        publisher = RabbitPublisher(amqp_url, topology)
        poison = order(SHOP_B, 7)
        publisher.publish([poison])
        publisher.close()
        for _ in range(2):  # taken twice, never acked: it crashed every consumer
            dying = RabbitSource(amqp_url, topology, [0], clock=clock)
            assert len(drain_source(dying, 1)) == 1
            dying.close()
        source = RabbitSource(amqp_url, topology, [0], clock=clock)
        consumer = Consumer(source, Shops(), tmp_path, clock)
        try:
            deadline = time.monotonic() + 30
            while not health_alerts(tmp_path, SHOP_B):
                assert time.monotonic() < deadline, "no pipeline_health alert"
                consumer.run_once(0.2)
            (dead,) = source.dead_letters()
        finally:
            consumer.close()
            source.close()
    assert dead["reason"] == "delivery limit reached (2 deliveries without ack)"
    assert Envelope.from_json(dead["body"]) == poison
    (alert,) = health_alerts(tmp_path, SHOP_B)
    assert alert["measured"] == 1.0 and dead["reason"] in alert["message"]
    # given up, not applied
    assert read_view(shop_paths(tmp_path, SHOP_B.shop_id).views_dir, "orders").num_rows == 0
