"""With RabbitMQ, what is published is durable in the local spool (behind the process's
journal) and SpoolForwarder moves it into RabbitMQ, now or when RabbitMQ is back."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.errors import BrokerUnavailable
from ingest.messaging.journal_file import try_lock
from ingest.messaging.publisher import SpoolForwarder, forwarding_lock, open_spool
from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology
from ingest.messaging.rabbit_source import RabbitSource
from ingest.messaging.spool import SQLiteQueue
from schemas.clock import SystemClock
from schemas.envelope import Envelope
from schemas.settings import Settings, load_settings
from store.layout import spool_path
from tests.integration.broker_support import (
    decode,
    drain,
    interleaved,
    make_envelope,
    per_shop_sequences,
    queued_envelopes,
    start_script,
    wait_until,
)
from tests.woo_payloads import order, signed
from wcpulse.shop_registry import default_open_registry
from wcpulse.wiring import build_web_app, open_messaging

CLOSED_PORT_URL = "amqp://guest:guest@127.0.0.1:1//"
SHOPS = ["shop-a", "shop-b", "shop-c"]


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[SQLiteQueue]:
    spool = open_spool(tmp_path / "spool.sqlite3", SystemClock())
    yield spool
    spool.close()


def down_publisher(topology: RabbitTopology | None = None) -> RabbitPublisher:
    return RabbitPublisher(CLOSED_PORT_URL, topology or RabbitTopology("unused", 4))


def consume_all(url: str, topology: RabbitTopology, expected: int) -> list:
    source = RabbitSource(url, topology, range(topology.partitions), prefetch=500)
    deliveries = drain(source, expected)
    source.ack(deliveries)
    source.close()
    return decode(deliveries)


def test_an_unreachable_broker_fails_fast_with_broker_unavailable() -> None:
    started = time.monotonic()
    with pytest.raises(BrokerUnavailable):
        down_publisher().publish([make_envelope("shop-a", 0)])
    assert time.monotonic() - started < 5


def _rabbit_settings(tmp_path: Path, url: str, prefix: str = "unused") -> Settings:
    env = {"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64}
    return load_settings(env | {"WCPULSE_BROKER_URL": url, "WCPULSE_QUEUE_PREFIX": prefix})


def test_with_rabbitmq_down_what_is_published_stays_in_the_spool_in_order(
    tmp_path: Path,
) -> None:
    envelopes = interleaved(SHOPS, 3)
    messaging = open_messaging(_rabbit_settings(tmp_path, CLOSED_PORT_URL), SystemClock())
    messaging.publisher.publish(envelopes[:4])  # durable: the journal, then the spool
    messaging.publisher.publish(envelopes[4:])
    messaging.close()  # the forwarder's last try fails: RabbitMQ is down

    reopened = SQLiteQueue(spool_path(tmp_path), 1)  # as after a restart
    assert [e.envelope_id for e in decode(reopened.fetch(100, timeout=0))] == [
        e.envelope_id for e in envelopes
    ]
    reopened.close()


@pytest.mark.rabbitmq
def test_with_rabbitmq_up_what_is_published_reaches_it_through_the_spool_in_order(
    amqp_url: str, topology: RabbitTopology, tmp_path: Path
) -> None:
    settings = _rabbit_settings(tmp_path, amqp_url, topology.prefix)
    messaging = open_messaging(settings, SystemClock())
    try:
        for shop in SHOPS:  # one webhook at a time, shops interleaved
            for i in range(5):
                messaging.publisher.publish([make_envelope(shop, i)])
        received = consume_all(amqp_url, topology, 15)  # the forwarder sends them on
    finally:
        messaging.close()
    assert per_shop_sequences(received) == {shop: list(range(5)) for shop in SHOPS}
    spool = SQLiteQueue(spool_path(tmp_path), 1)
    assert spool.is_empty()
    spool.close()


@pytest.mark.rabbitmq
def test_forwarder_drains_the_spool_into_rabbitmq_in_order(
    amqp_url: str, topology: RabbitTopology, spool: SQLiteQueue
) -> None:
    spool.publish(interleaved(SHOPS, 5))
    spool.publish([make_envelope(shop, 5) for shop in SHOPS])
    live = RabbitPublisher(amqp_url, topology)

    forwarded = SpoolForwarder(spool, live, interval=0.05).run_once()

    assert forwarded == 18
    assert spool.is_empty()
    received = consume_all(amqp_url, topology, 18)
    assert per_shop_sequences(received) == {shop: list(range(6)) for shop in SHOPS}
    live.close()


@pytest.mark.rabbitmq
def test_forwarder_keeps_envelopes_spooled_until_the_broker_confirms(
    amqp_url: str, topology: RabbitTopology, spool: SQLiteQueue
) -> None:
    spool.publish(interleaved(SHOPS, 2))

    assert SpoolForwarder(spool, down_publisher(topology)).run_once() == 0
    assert spool.depth() == 6

    live = RabbitPublisher(amqp_url, topology)
    assert SpoolForwarder(spool, live).run_once() == 6
    assert spool.is_empty()
    assert per_shop_sequences(consume_all(amqp_url, topology, 6)) == {
        shop: [0, 1] for shop in SHOPS
    }
    live.close()


@pytest.mark.rabbitmq
def test_background_forwarder_moves_newly_spooled_envelopes(
    amqp_url: str, topology: RabbitTopology, spool: SQLiteQueue
) -> None:
    live = RabbitPublisher(amqp_url, topology)
    forwarder = SpoolForwarder(spool, live, interval=0.05)
    forwarder.start()
    try:
        spool.publish([make_envelope("shop-a", i) for i in range(4)])
        wait_until(spool.is_empty, 10, "the forwarder to drain the spool")
    finally:
        forwarder.stop()

    assert [e.resource_id for e in consume_all(amqp_url, topology, 4)] == [0, 1, 2, 3]
    live.close()


@pytest.mark.rabbitmq
def test_a_spooled_row_that_is_not_an_envelope_is_dead_lettered_not_forwarded(
    amqp_url: str, topology: RabbitTopology, spool: SQLiteQueue
) -> None:
    spool.publish_raw([(0, b"not json")])
    spool.publish([make_envelope("shop-a", 0)])
    live = RabbitPublisher(amqp_url, topology)

    assert SpoolForwarder(spool, live).run_once() == 1

    assert [e.resource_id for e in consume_all(amqp_url, topology, 1)] == [0]
    assert "not an envelope" in spool.dead_letters()[0]["reason"]
    assert spool.is_empty()
    live.close()


@pytest.mark.rabbitmq
def test_processes_sharing_a_spool_forward_each_envelope_once(
    amqp_url: str, topology: RabbitTopology, tmp_path: Path
) -> None:
    """Every process that publishes (each gunicorn worker, the scheduler) runs a forwarder
    on the data dir's one spool; each instance leases rows in its own memory, so two
    forwarders draining at once would both publish every row."""
    path = tmp_path / "spool.sqlite3"
    spools = [SQLiteQueue(path, 1) for _ in range(3)]
    spools[0].publish(interleaved(SHOPS, 100))
    publishers = [RabbitPublisher(amqp_url, topology) for _ in spools]
    forwarders = [SpoolForwarder(s, p) for s, p in zip(spools, publishers, strict=True)]
    try:
        counts: list[int] = []
        threads = [
            threading.Thread(target=lambda f=f: counts.append(f.run_once())) for f in forwarders
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sum(counts) == 300
        assert queued_envelopes(amqp_url, topology) == 300  # not once per forwarder that drained
        assert all(s.is_empty() for s in spools)
    finally:
        for item in (*publishers, *spools):
            item.close()


@pytest.mark.rabbitmq
def test_a_forwarder_leaves_the_spool_to_the_one_already_draining_it(
    amqp_url: str, topology: RabbitTopology, spool: SQLiteQueue
) -> None:
    spool.publish(interleaved(SHOPS, 2))
    live = RabbitPublisher(amqp_url, topology)
    held = try_lock(forwarding_lock(spool.path))  # another process draining it now
    assert held is not None
    try:
        assert SpoolForwarder(spool, live).run_once() == 0
        assert spool.depth() == 6
    finally:
        os.close(held)
    assert SpoolForwarder(spool, live).run_once() == 6
    assert queued_envelopes(amqp_url, topology) == 6
    live.close()


@pytest.mark.rabbitmq
def test_what_a_killed_receiver_accepted_while_rabbitmq_was_down_reaches_it_after(
    amqp_url: str, topology: RabbitTopology, tmp_path: Path
) -> None:
    """Accepted (``publish`` returned: a 202) with RabbitMQ down, then ``kill -9`` before
    anything could be forwarded: the next process on the data dir moves the dead one's
    journal into the spool and forwards it all, in order."""
    process = start_script("rabbit_ingest_writer", str(tmp_path), "30", stdout=subprocess.PIPE)
    assert process.stdout is not None
    lines = iter(process.stdout.readline, b"")  # its log lines come first
    assert any(line == b"ready\n" for line in lines), "the writer ended before it was ready"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)

    messaging = open_messaging(_rabbit_settings(tmp_path, amqp_url, topology.prefix), SystemClock())
    try:
        received = consume_all(amqp_url, topology, 30)
    finally:
        messaging.close()
    assert per_shop_sequences(received) == {
        shop: list(range(i, 30, 3)) for i, shop in enumerate(("shop-a", "shop-b", "shop-c"))
    }


def test_a_long_outage_keeps_every_envelope_spooled_for_the_forwarder(tmp_path: Path) -> None:
    """A failed forward gives its rows back to the spool, whose fetch counts a delivery each
    time: a spool with the queue's delivery limit (20) moved them to its dead letters after
    20 tries (40 s of RabbitMQ down at one try every 2 s), where no forwarder looks."""
    spool = open_spool(tmp_path / "spool.sqlite3", SystemClock())
    try:
        spool.publish(interleaved(SHOPS, 2))
        forwarder = SpoolForwarder(spool, down_publisher())
        for _ in range(30):
            assert forwarder.run_once() == 0
        assert spool.depth() == 6
        assert spool.dead_letters(10) == []
    finally:
        spool.close()


def test_the_receiver_stays_ready_and_accepts_webhooks_while_rabbitmq_is_down(
    tmp_path: Path,
) -> None:
    settings = _rabbit_settings(tmp_path, CLOSED_PORT_URL)
    registry = default_open_registry(settings)
    messaging = open_messaging(settings, SystemClock())
    try:
        shop = registry.add_shop(name="S", url="https://example.com", now=datetime.now(UTC))
        readiness = {"metadata": registry.ping, "broker": messaging.ping}
        app = build_web_app(
            settings, registry, messaging.publisher, SystemClock(), readiness, serve_api=False
        )
        client = app.test_client()
        assert client.get("/readyz").get_json()["checks"] == {"metadata": "ok", "broker": "ok"}
        raw, headers = signed("order.created", order(id=501), shop.webhook_secret)
        answer = client.post(
            f"/webhooks/woocommerce/{shop.shop.shop_id}", data=raw, headers=headers
        )
        assert answer.status_code == 202
    finally:
        messaging.close()
        registry.close()
    spool = open_spool(spool_path(tmp_path), SystemClock())
    [delivery] = spool.fetch(10, timeout=0)
    assert Envelope.from_json(delivery.body).resource_id == 501
    spool.close()
