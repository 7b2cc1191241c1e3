"""Shared helpers for the broker tests: envelopes, deadlines, subprocess scripts, topologies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology, connect
from ingest.messaging.rabbit_source import RabbitSource
from ingest.messaging.spool import Delivery
from schemas.envelope import Envelope

REPO_ROOT = Path(__file__).resolve().parents[2]


def make_envelope(shop_id: str, seq: int) -> Envelope:
    """An order.updated envelope whose resource_id is the per-shop sequence number."""
    body = json.dumps({"id": seq, "status": "processing", "note": "caf\u00e9 \\/"})
    return Envelope(
        shop_id=shop_id,
        topic="order.updated",
        resource="order",
        event="updated",
        resource_id=seq,
        body=body,
        received_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


def interleaved(shops: Sequence[str], per_shop: int) -> list[Envelope]:
    """shop A #0, shop B #0, ..., shop A #1, ...: publish order mixes the shops."""
    return [make_envelope(shop, seq) for seq in range(per_shop) for shop in shops]


def decode(deliveries: Sequence[Delivery]) -> list[Envelope]:
    return [Envelope.from_json(d.body) for d in deliveries]


def per_shop_sequences(envelopes: Sequence[Envelope]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for envelope in envelopes:
        out.setdefault(envelope.shop_id, []).append(envelope.resource_id)
    return out


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def drain(source, expected: int, timeout: float = 10.0, batch: int = 100) -> list[Delivery]:
    """Fetch until ``expected`` deliveries arrived (or fail at the deadline)."""
    got: list[Delivery] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        got += source.fetch(batch, timeout=0.2)
    assert len(got) == expected, f"expected {expected} deliveries, got {len(got)}"
    return got


def start_script(module: str, *args: str, stdout: int = subprocess.DEVNULL) -> subprocess.Popen:
    """Run ``tests/integration/<module>.py`` in a fresh interpreter (a killable process)."""
    return subprocess.Popen(
        [sys.executable, "-m", f"tests.integration.{module}", *args],
        cwd=REPO_ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def read_records(path: Path) -> list[dict]:
    if not path.exists():
        return []
    lines = path.read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


@contextmanager
def rabbit_topology(url: str, prefix: str, partitions: int = 4, **kw) -> Iterator[RabbitTopology]:
    """A declared topology with unique names, deleted (messages included) afterwards."""
    topology = RabbitTopology(prefix, partitions, **kw)
    conn = connect(url)
    try:
        topology.declare(conn.default_channel)
        yield topology
    finally:
        conn.release()
        conn = connect(url)
        topology.delete(conn.default_channel)
        conn.release()


def take_and_die(url: str, queue: str) -> int:
    """A bare consumer of ``queue`` that takes messages until none comes for half a second,
    then dies without acking any; returns how many it took."""
    taken: list = []
    conn = connect(url)
    try:
        channel = conn.channel()
        channel.basic_qos(0, 100, False)
        channel.basic_consume(queue, callback=taken.append)
        while True:
            try:
                conn.drain_events(timeout=0.5)
            except TimeoutError:
                return len(taken)
    finally:
        conn.release()


def queued_envelopes(url: str, topology: RabbitTopology) -> int:
    """How many envelopes the partition queues hold (a pack counts each of its own): a
    consumer takes them until half a second passes without one, then closes without
    acking, so all go back (single-active-consumer quorum queues refuse ``basic_get``)."""
    source = RabbitSource(url, topology, range(topology.partitions), prefetch=1000)
    count = 0
    try:
        while found := source.fetch(1000, timeout=0.5):
            count += len(found)
        return count
    finally:
        source.close()


def dead_lettered_past_the_limit(
    url: str, prefix: str, envelopes: Sequence[Envelope]
) -> tuple[list[dict], list[Delivery]]:
    """``envelopes`` published on a one-partition topology with a delivery limit of 1, then
    taken by two consumers that die without acking, so RabbitMQ dead-letters them: the dead
    letters an observer then lists, and what it still gets from the partition queue. The
    dying consumers are bare AMQP ones that die as soon as the messages arrive: a
    ``RabbitSource`` gives a message on its last delivery up itself, with its reason
    (``tests/integration/test_dead_letter_health.py``), so RabbitMQ's own dead-lettering is
    what one that dies even then, before it could, leaves."""
    with rabbit_topology(url, prefix, 1, delivery_limit=1) as topology:
        publisher = RabbitPublisher(url, topology)
        publisher.publish(envelopes)
        publisher.close()
        for _ in range(2):
            assert take_and_die(url, topology.queue_name(0)) > 0
        observer = RabbitSource(url, topology, [0], prefetch=100)
        try:
            wait_until(lambda: observer.dead_letters() != [], 10, "the dead letters")
            return observer.dead_letters(), observer.fetch(10, timeout=0.2)
        finally:
            observer.close()
