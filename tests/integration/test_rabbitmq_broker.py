"""RabbitMQ adapter against a real broker: confirms, routing, dead letters, redelivery."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology, connect
from ingest.messaging.rabbit_source import RabbitSource
from schemas.envelope import partition_for
from tests.integration.broker_support import (
    REPO_ROOT,
    dead_lettered_past_the_limit,
    decode,
    drain,
    interleaved,
    make_envelope,
    per_shop_sequences,
    rabbit_topology,
    read_records,
    start_script,
    wait_until,
)

SHOPS = [f"shop-{i}" for i in range(7)]
rabbitmq = pytest.mark.rabbitmq


@pytest.fixture
def publisher(amqp_url: str, topology: RabbitTopology) -> Iterator[RabbitPublisher]:
    publisher = RabbitPublisher(amqp_url, topology)
    yield publisher
    publisher.close()


def source_for(url: str, topology: RabbitTopology, partitions=None, prefetch=100) -> RabbitSource:
    return RabbitSource(url, topology, partitions or range(topology.partitions), prefetch)


@rabbitmq
def test_confirmed_envelopes_are_consumed_intact_and_acked_ones_are_gone(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    envelopes = interleaved(SHOPS[:3], 3)
    publisher.publish(envelopes)
    source = source_for(amqp_url, topology)

    deliveries = drain(source, 9)
    source.ack(deliveries)
    source.close()

    assert {e.envelope_id: e for e in decode(deliveries)} == {e.envelope_id: e for e in envelopes}
    assert not any(d.redelivered for d in deliveries)
    again = source_for(amqp_url, topology)
    assert again.fetch(10, timeout=0.3) == []
    again.close()


@rabbitmq
def test_each_shop_lands_in_its_partition_queue_in_publish_order(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    publisher.publish(interleaved(SHOPS, 10))

    for partition in range(4):
        expected_shops = {s for s in SHOPS if partition_for(s, 4) == partition}
        source = source_for(amqp_url, topology, [partition])
        deliveries = drain(source, 10 * len(expected_shops), batch=7)
        source.ack(deliveries)
        source.close()
        assert {d.partition for d in deliveries} <= {partition}
        sequences = per_shop_sequences(decode(deliveries))
        assert set(sequences) == expected_shops
        assert all(seq == list(range(10)) for seq in sequences.values())


@rabbitmq
def test_fetch_batches_are_capped_by_max_messages_and_keep_order(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    publisher.publish([make_envelope("shop-0", i) for i in range(30)])
    source = source_for(amqp_url, topology, prefetch=50)

    batches = []
    deadline = time.monotonic() + 10
    while sum(map(len, batches)) < 30 and time.monotonic() < deadline:
        batches.append(source.fetch(8, timeout=1))
    source.close()

    assert all(len(batch) <= 8 for batch in batches)
    assert [e.resource_id for b in batches for e in decode(b)] == list(range(30))


@rabbitmq
def test_fetch_on_an_empty_queue_returns_after_the_timeout(
    amqp_url: str, topology: RabbitTopology
) -> None:
    source = source_for(amqp_url, topology)
    source.fetch(1, timeout=0)  # connect first: the timeout is about waiting, not connecting
    started = time.monotonic()

    assert source.fetch(10, timeout=0.3) == []
    assert 0.3 <= time.monotonic() - started < 2
    source.close()


@rabbitmq
def test_a_dead_lettered_poison_message_keeps_its_reason_and_the_rest_flow(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    publisher.publish([make_envelope("shop-0", i) for i in range(3)])
    source = source_for(amqp_url, topology)
    first, poison, last = drain(source, 3)

    source.dead_letter(poison, "unknown topic 'order.exploded'")
    source.ack([first, last])
    publisher.publish([make_envelope("shop-0", 3)])

    assert [e.resource_id for e in decode(drain(source, 1))] == [3]
    [letter] = source.dead_letters()
    assert letter["reason"] == "unknown topic 'order.exploded'"
    assert letter["body"] == poison.body
    assert letter["partition"] == partition_for("shop-0", 4)
    assert letter["dead_lettered_at"]
    assert len(source.dead_letters()) == 1  # peeking does not consume
    source.close()


@rabbitmq
def test_rabbitmq_dead_letters_a_message_that_exceeds_the_delivery_limit(
    amqp_url: str, unique_prefix: str
) -> None:
    letters, left = dead_lettered_past_the_limit(
        amqp_url, unique_prefix, [make_envelope("shop-0", 0)]
    )

    [letter] = letters
    assert left == []
    assert letter["reason"] == "rabbitmq: delivery_limit"
    assert letter["partition"] == 0


@rabbitmq
def test_a_consumer_killed_mid_batch_gets_everything_redelivered(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher, tmp_path: Path
) -> None:
    envelopes = interleaved(SHOPS, 6)
    publisher.publish(envelopes)
    out = tmp_path / "consumed.jsonl"
    args = (str(out), "25", "rabbit", amqp_url, topology.prefix, "4")
    consumer = start_script("broker_consumer", *args)
    try:
        wait_until(out.exists, 30, "the consumer to record its batch")
    finally:
        os.kill(consumer.pid, signal.SIGKILL)
        consumer.wait(10)

    in_flight = {r["envelope_id"] for r in read_records(out)}
    source = source_for(amqp_url, topology)
    deliveries = drain(source, len(envelopes))
    source.ack(deliveries)
    source.close()

    assert len(in_flight) == 25
    received = dict(zip((e.envelope_id for e in decode(deliveries)), deliveries, strict=True))
    assert received.keys() == {e.envelope_id for e in envelopes}
    assert all(received[envelope_id].redelivered for envelope_id in in_flight)
    assert all(seq == list(range(6)) for seq in per_shop_sequences(decode(deliveries)).values())


@rabbitmq
def test_a_lost_consumer_connection_is_reopened_and_unacked_messages_come_back(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    publisher.publish([make_envelope("shop-0", i) for i in range(4)])
    source = source_for(amqp_url, topology)
    before = drain(source, 4)
    source._conn.connection.sock.shutdown(socket.SHUT_RDWR)  # the network drops

    assert source.fetch(10, timeout=0.5) == []  # the loss is noticed, nothing is invented
    source.ack(before)  # stale tags: skipped, no channel error
    after = drain(source, 4)
    source.ack(after)
    source.close()

    assert [d.body for d in after] == [d.body for d in before]
    assert all(d.redelivered for d in after)


@rabbitmq
def test_publisher_reconnects_once_when_its_connection_died(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    publisher.publish([make_envelope("shop-0", 0)])
    idle_link = publisher._idle.queue[0]
    idle_link.conn.connection.sock.shutdown(socket.SHUT_RDWR)

    publisher.publish([make_envelope("shop-0", 1)])

    source = source_for(amqp_url, topology)
    assert [e.resource_id for e in decode(drain(source, 2))] == [0, 1]
    source.close()


@rabbitmq
def test_concurrent_publisher_threads_lose_and_reorder_nothing(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    def publish_shop(shop: str) -> None:
        for i in range(20):
            publisher.publish([make_envelope(shop, i)])

    threads = [threading.Thread(target=publish_shop, args=(shop,)) for shop in SHOPS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    source = source_for(amqp_url, topology)
    deliveries = drain(source, 20 * len(SHOPS))
    source.close()
    assert all(seq == list(range(20)) for seq in per_shop_sequences(decode(deliveries)).values())


@rabbitmq
def test_declaring_the_topology_twice_is_harmless(amqp_url: str, unique_prefix: str) -> None:
    with rabbit_topology(amqp_url, unique_prefix, 2) as topology:
        conn = connect(amqp_url)
        topology.declare(conn)
        topology.declare(conn.default_channel)
        conn.release()
        publisher = RabbitPublisher(amqp_url, topology)
        publisher.publish([make_envelope("shop-0", 0)])  # declares once more on connect
        publisher.close()
        source = source_for(amqp_url, topology)
        assert len(drain(source, 1)) == 1
        source.close()


def test_deploy_definitions_are_the_production_topology() -> None:
    deployed = json.loads((REPO_ROOT / "deploy" / "rabbitmq-definitions.json").read_text())

    assert deployed == RabbitTopology("wcpulse", 4).definitions()
    assert all(q["arguments"]["x-queue-type"] == "quorum" for q in deployed["queues"])
