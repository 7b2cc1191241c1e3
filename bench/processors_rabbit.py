"""RabbitMQ for ``processors``: the benchmark's envelopes in a topology of their own.

The topology is the production one (``RabbitTopology``: quorum queues, single active
consumer, delivery limit) under a unique prefix, and is deleted afterwards, messages and all.
The queues are filled with the messages ``RabbitPublisher`` would send (``packed``: each
shop's envelopes in packs) straight on a py-amqp channel without publisher confirms: the
fill is not what is measured, and the run starts once the queues hold every message.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from kombu import Connection

from ingest.errors import BrokerUnavailable
from ingest.messaging.rabbit import RabbitTopology, connect, packed, publish_body
from schemas.envelope import Envelope

AMQP_URL = os.environ.get("WCPULSE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
PARTITIONS = 4
FILL_SECONDS = 300.0  # give up waiting for the queues to hold every envelope


def unreachable() -> str | None:
    """Why RabbitMQ at ``AMQP_URL`` cannot be used, or None when it can."""
    try:
        connect(AMQP_URL).release()
    except BrokerUnavailable as exc:
        return str(exc)
    return None


@contextmanager
def filled_topology(envelopes: Sequence[Envelope]) -> Iterator[tuple[RabbitTopology, float]]:
    """A new topology holding the envelopes, and the seconds the fill took."""
    topology = RabbitTopology(f"bench_processors_{uuid.uuid4().hex[:10]}", PARTITIONS)
    conn = Connection(AMQP_URL)  # not ``connect``: that one confirms every publish
    try:
        channel = conn.channel()
        topology.declare(channel)
        yield topology, _fill(channel, topology, envelopes)
    finally:
        conn.release()
        with connect(AMQP_URL) as admin:
            topology.delete(admin)


def left_over(topology: RabbitTopology) -> tuple[int, int]:
    """Messages still waiting in the partition queues, and in the dead-letter queue."""
    with connect(AMQP_URL) as conn:
        channel = conn.channel()
        names = [topology.queue_name(p) for p in range(topology.partitions)]
        return _count(channel, names), _count(channel, [topology.dead_letter_queue_name])


def _fill(channel: Any, topology: RabbitTopology, envelopes: Sequence[Envelope]) -> float:
    started = time.perf_counter()
    messages = packed(topology, envelopes)
    for routing_key, body, headers in messages:
        publish_body(channel, body, topology.exchange, routing_key, headers)
    names = [topology.queue_name(p) for p in range(topology.partitions)]
    deadline = time.monotonic() + FILL_SECONDS
    while _count(channel, names) < len(messages):
        if time.monotonic() > deadline:
            raise RuntimeError(f"RabbitMQ did not take {len(envelopes):,} envelopes in time")
        time.sleep(0.05)
    return time.perf_counter() - started


def _count(channel: Any, queue_names: list[str]) -> int:
    return sum(channel.queue_declare(name, passive=True).message_count for name in queue_names)
