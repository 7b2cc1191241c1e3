"""RabbitMQ adapter (kombu over py-amqp): the topology, connections, a confirmed publisher.

The consuming side (``RabbitSource``, dead-letter records) lives in
``ingest.messaging.rabbit_source``.

Topology, declared here and nowhere else (``deploy/rabbitmq-definitions.json`` is generated
from ``RabbitTopology("wcpulse", 4).definitions()`` and a test keeps them equal):

- exchange ``<prefix>.events`` (direct, durable); routing key ``p<N>`` -> queue
  ``<prefix>.events.p<N>``: durable quorum queue, single active consumer (one writer per
  partition), dead-lettering at least once to ``<prefix>.dlx`` after ``x-delivery-limit``
  deliveries (a message that crashes every consumer ends there instead of looping forever);
- exchange ``<prefix>.dlx`` (fanout, durable) -> quorum queue ``<prefix>.dead-letter``.

Each message holds one shop's envelopes, named in the ``x-wcpulse-shop`` header: one
envelope's JSON, or a pack of several (``packed``: one JSON document a line, their count in
the ``x-wcpulse-pack`` header), in the order they were given. A consumer's cost is mostly per
message (py-amqp parses each frame in Python: ~45 us a message, ``bench processors``), so
``RabbitPublisher`` sends a list as packs (``packs.py``); ``RabbitSource``
hands a pack's envelopes out one by one and acks the message when all of them are settled.

Delivery is at least once: a consumer that dies or loses its connection before ``ack`` gets
its unacked messages redelivered (``redelivered=True``), so consumers must be idempotent.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import amqp
import structlog
from amqp.exceptions import AMQPError, MessageNacked
from kombu import Connection, Exchange
from kombu.exceptions import KombuError

from ingest.errors import BrokerUnavailable
from ingest.messaging.confirms import ConfirmTracker
from ingest.messaging.packs import PACK_SEPARATOR, packs, split_pack
from schemas.envelope import Envelope, partition_for

log = structlog.get_logger(__name__)

# Everything that means "the broker is unreachable, refused, or did not confirm".
BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, AMQPError, KombuError, MessageNacked)
_PERSISTENT = 2
# every message names its shop in a header too: a body that cannot be decoded still
# belongs to a shop, whose pipeline_health alert its dead letter raises
SHOP_HEADER = "x-wcpulse-shop"
PACK_HEADER = "x-wcpulse-pack"  # a pack: how many envelopes its lines hold
Message = tuple[str, bytes, dict[str, Any]]  # routing key, body, headers


class RabbitTopology:
    """Names and arguments of every exchange, queue and binding (the one place they live)."""

    def __init__(self, prefix: str, partitions: int, delivery_limit: int = 20) -> None:
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        self.prefix = prefix
        self.partitions = partitions
        self.delivery_limit = delivery_limit
        self.exchange = Exchange(f"{prefix}.events", "direct", durable=True)
        self.dlx = Exchange(f"{prefix}.dlx", "fanout", durable=True)
        self.dead_letter_queue_name = f"{prefix}.dead-letter"

    def routing_key(self, partition: int) -> str:
        return f"p{partition}"

    def queue_name(self, partition: int) -> str:
        return f"{self.prefix}.events.p{partition}"

    def queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-single-active-consumer": True,
            "x-dead-letter-exchange": self.dlx.name,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",  # required by at-least-once dead-lettering
            "x-delivery-limit": self.delivery_limit,
        }

    def route(self, envelope: Envelope) -> str:
        return self.routing_key(partition_for(envelope.shop_id, self.partitions))

    def definitions(self, vhost: str = "/") -> dict[str, Any]:
        """The topology as a RabbitMQ definitions document (``rabbitmqctl import_definitions``)."""
        base = {"vhost": vhost, "durable": True, "auto_delete": False}
        queues = [(self.dead_letter_queue_name, self.dlx.name, "", {"x-queue-type": "quorum"})]
        queues += [
            (self.queue_name(p), self.exchange.name, self.routing_key(p), self.queue_arguments())
            for p in range(self.partitions)
        ]
        return {
            "vhosts": [{"name": vhost}],
            "exchanges": [
                {"name": x.name, "type": x.type, **base, "internal": False, "arguments": {}}
                for x in (self.exchange, self.dlx)
            ],
            "queues": [{"name": name, **base, "arguments": args} for name, _, _, args in queues],
            "bindings": [
                {"source": source, "vhost": vhost, "destination": name, "routing_key": key}
                | {"destination_type": "queue", "arguments": {}}
                for name, source, key, _ in queues
            ],
        }

    def declare(self, channel_or_connection: Any) -> None:
        """Declare everything; idempotent (fails only if a name exists with other arguments)."""
        channel = getattr(channel_or_connection, "default_channel", channel_or_connection)
        spec = self.definitions()
        for x in spec["exchanges"]:
            channel.exchange_declare(x["name"], x["type"], durable=True, auto_delete=False)
        for q in spec["queues"]:
            channel.queue_declare(
                q["name"], durable=True, auto_delete=False, arguments=q["arguments"]
            )
        for b in spec["bindings"]:
            channel.queue_bind(b["destination"], b["source"], b["routing_key"])

    def delete(self, channel_or_connection: Any) -> None:
        """Delete queues and exchanges, messages included (tests, decommissioning)."""
        channel = getattr(channel_or_connection, "default_channel", channel_or_connection)
        spec = self.definitions()
        for q in spec["queues"]:
            channel.queue_delete(q["name"])
        for x in spec["exchanges"]:
            channel.exchange_delete(x["name"])


def connect(
    url: str, connect_timeout: float = 2.0, io_timeout: float = 5.0, confirm_each: bool = True
) -> Connection:
    """An open kombu connection; BrokerUnavailable at once if not. With ``confirm_each``
    every publish waits for RabbitMQ's confirm; without it, a ``ConfirmTracker`` waits once
    for a whole list (``RabbitPublisher``)."""
    conn = Connection(
        url,
        connect_timeout=connect_timeout,
        transport_options={
            "confirm_publish": confirm_each,
            "read_timeout": io_timeout,
            "write_timeout": io_timeout,
        },
    )
    try:
        conn.ensure_connection(max_retries=0)  # no kombu retry loop: fail fast, we retry once
    except BROKER_ERRORS as exc:
        conn.release()
        raise BrokerUnavailable(f"cannot connect to RabbitMQ: {type(exc).__name__}") from exc
    return conn


def packed(topology: RabbitTopology, envelopes: Sequence[Envelope]) -> list[Message]:
    """The messages that carry ``envelopes``: each shop's in their order, in packs
    (``packs.py``; a pack of one is a plain message)."""
    by_shop: dict[str, list[bytes]] = {}
    for envelope in envelopes:
        by_shop.setdefault(envelope.shop_id, []).append(envelope.to_json())
    messages = []
    for shop_id, bodies in by_shop.items():
        key = topology.routing_key(partition_for(shop_id, topology.partitions))
        for pack in packs(bodies):
            if len(pack) == 1:
                messages.append((key, pack[0], {SHOP_HEADER: shop_id}))
            else:
                headers = {SHOP_HEADER: shop_id, PACK_HEADER: len(pack)}
                messages.append((key, PACK_SEPARATOR.join(pack), headers))
    return messages


def unpacked(body: bytes, headers: dict[str, Any]) -> list[bytes]:
    """The envelope bodies a message carries (``split_pack`` by its ``PACK_HEADER``)."""
    count = headers.get(PACK_HEADER)
    return split_pack(body, count) if isinstance(count, int) else [body]


def discard(conn: Connection) -> None:
    """Drop a broken connection without the AMQP close handshake (it could block)."""
    try:
        conn.collect()
    except BROKER_ERRORS:
        pass


def publish_body(
    channel: Any,
    body: bytes,
    exchange: Exchange | str,
    routing_key: str,
    headers: dict[str, Any],
    confirm_timeout: float | None = None,
) -> None:
    """One persistent JSON message (mandatory routing), on py-amqp's channel directly:
    kombu's ``Producer.publish`` costs more a message (``bench forward``). On a ``connect``
    channel it returns when RabbitMQ confirmed it (waiting at most ``confirm_timeout``);
    with ``confirm_each=False``, a ``ConfirmTracker`` waits for a whole list."""
    message = amqp.Message(
        body,
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=_PERSISTENT,
        application_headers=headers,
    )
    name = exchange if isinstance(exchange, str) else exchange.name
    waits = {} if confirm_timeout is None else {"confirm_timeout": confirm_timeout}
    channel.basic_publish(message, exchange=name, routing_key=routing_key, mandatory=True, **waits)


class RabbitPublisher:
    """Thread-safe confirmed publisher: a small pool of connections, one per busy thread."""

    def __init__(
        self, url: str, topology: RabbitTopology, pool_size: int = 4, timeout: float = 5.0
    ) -> None:
        self._url = url
        self._topology = topology
        self._timeout = timeout
        self._idle: queue.LifoQueue[_Link] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns when RabbitMQ confirmed every envelope; BrokerUnavailable otherwise."""
        if not envelopes:
            return
        messages = packed(self._topology, envelopes)
        if not self._slots.acquire(timeout=self._timeout):
            raise BrokerUnavailable("all RabbitMQ publisher connections are busy")
        try:
            self._publish_with_one_retry(messages)
        finally:
            self._slots.release()

    def close(self) -> None:
        while not self._idle.empty():
            try:
                self._idle.get_nowait().conn.release()
            except (queue.Empty, *BROKER_ERRORS):
                continue

    def _publish_with_one_retry(self, messages: list[Message]) -> None:
        try:
            link: _Link | None = self._idle.get_nowait()
        except queue.Empty:
            link = None
        for attempt in (1, 2):
            try:
                link = link or self._open_link()
                link.publish_all(messages, self._topology.exchange, self._timeout)
            except (*BROKER_ERRORS, BrokerUnavailable) as exc:
                if link is not None:
                    discard(link.conn)
                    link = None
                log.warning("rabbit_publish_failed", attempt=attempt, error=type(exc).__name__)
                if attempt == 2:
                    raise BrokerUnavailable(f"RabbitMQ publish failed: {exc!r}") from exc
            else:
                self._idle.put(link)
                return

    def _open_link(self) -> _Link:
        conn = connect(self._url, io_timeout=self._timeout, confirm_each=False)
        try:
            channel = conn.channel()
            self._topology.declare(channel)  # an undeclared queue would drop confirmed messages
            return _Link(conn, channel, ConfirmTracker(channel))
        except BROKER_ERRORS:
            discard(conn)
            raise


@dataclass
class _Link:
    """One publisher connection: its channel and the channel's confirms."""

    conn: Connection
    channel: Any  # py-amqp's channel (kombu's subclass of it)
    confirms: ConfirmTracker

    def publish_all(self, messages: list[Message], exchange: Exchange, timeout: float) -> None:
        """Every message out, then one wait until RabbitMQ confirmed them all."""
        for routing_key, body, headers in messages:
            publish_body(self.channel, body, exchange, routing_key, headers)
            self.confirms.sent()
        self.confirms.wait(self.conn, timeout)
