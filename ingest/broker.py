"""RabbitMQ adapter (kombu over py-amqp): the topology, a confirmed publisher, a source.

Topology, declared here and nowhere else (``deploy/rabbitmq-definitions.json`` is generated
from ``RabbitTopology("wcpulse", 4).definitions()`` and a test keeps them equal):

- exchange ``<prefix>.events`` (direct, durable); routing key ``p<N>`` -> queue
  ``<prefix>.events.p<N>``: durable quorum queue, single active consumer (one writer per
  partition), dead-lettering at least once to ``<prefix>.dlx`` after ``x-delivery-limit``
  deliveries (a message that crashes every consumer ends there instead of looping forever);
- exchange ``<prefix>.dlx`` (fanout, durable) -> quorum queue ``<prefix>.dead-letter``.

Delivery is at least once: a consumer that dies or loses its connection before ``ack`` gets
its unacked messages redelivered (``redelivered=True``), so consumers must be idempotent.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from amqp.exceptions import AMQPError, MessageNacked
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.exceptions import KombuError

from ingest.errors import BrokerUnavailable
from ingest.spool import Delivery
from schemas.clock import Clock, SystemClock
from schemas.envelope import Envelope, partition_for

log = structlog.get_logger(__name__)

# Everything that means "the broker is unreachable, refused, or did not confirm".
BROKER_ERRORS: tuple[type[BaseException], ...] = (OSError, AMQPError, KombuError, MessageNacked)
_PERSISTENT = 2
_REASON_MAX_CHARS = 1000


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


def connect(url: str, connect_timeout: float = 2.0, io_timeout: float = 5.0) -> Connection:
    """An open kombu connection with publisher confirms; BrokerUnavailable at once if not."""
    conn = Connection(
        url,
        connect_timeout=connect_timeout,
        transport_options={
            "confirm_publish": True,
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


def discard(conn: Connection) -> None:
    """Drop a broken connection without the AMQP close handshake (it could block)."""
    try:
        conn.collect()
    except BROKER_ERRORS:
        pass


def publish_body(producer: Producer, body: bytes, exchange: Exchange, **fields: Any) -> None:
    """One persistent JSON message, returned when RabbitMQ confirmed it (mandatory routing)."""
    producer.publish(
        body,
        exchange=exchange,
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=_PERSISTENT,
        mandatory=True,
        retry=False,
        **fields,
    )


class RabbitPublisher:
    """Thread-safe confirmed publisher: a small pool of connections, one per busy thread."""

    def __init__(
        self, url: str, topology: RabbitTopology, pool_size: int = 4, timeout: float = 5.0
    ) -> None:
        self._url = url
        self._topology = topology
        self._timeout = timeout
        self._idle: queue.LifoQueue[tuple[Connection, Producer]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(pool_size)

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns when RabbitMQ confirmed every envelope; BrokerUnavailable otherwise."""
        if not envelopes:
            return
        messages = [(self._topology.route(e), e.to_json()) for e in envelopes]
        if not self._slots.acquire(timeout=self._timeout):
            raise BrokerUnavailable("all RabbitMQ publisher connections are busy")
        try:
            self._publish_with_one_retry(messages)
        finally:
            self._slots.release()

    def close(self) -> None:
        while not self._idle.empty():
            try:
                self._idle.get_nowait()[0].release()
            except (queue.Empty, *BROKER_ERRORS):
                continue

    def _publish_with_one_retry(self, messages: list[tuple[str, bytes]]) -> None:
        try:
            link: tuple[Connection, Producer] | None = self._idle.get_nowait()
        except queue.Empty:
            link = None
        for attempt in (1, 2):
            try:
                link = link or self._open_link()
                for routing_key, body in messages:
                    publish_body(
                        link[1],
                        body,
                        self._topology.exchange,
                        routing_key=routing_key,
                        confirm_timeout=self._timeout,
                    )
            except BROKER_ERRORS as exc:
                if link is not None:
                    discard(link[0])
                    link = None
                log.warning("rabbit_publish_failed", attempt=attempt, error=type(exc).__name__)
                if attempt == 2:
                    raise BrokerUnavailable(f"RabbitMQ publish failed: {exc!r}") from exc
            else:
                self._idle.put(link)
                return

    def _open_link(self) -> tuple[Connection, Producer]:
        conn = connect(self._url, io_timeout=self._timeout)
        try:
            channel = conn.channel()
            self._topology.declare(channel)  # an undeclared queue would drop confirmed messages
            return conn, Producer(channel, exchange=self._topology.exchange, auto_declare=False)
        except BROKER_ERRORS:
            discard(conn)
            raise


@dataclass(frozen=True)
class RabbitTag:
    generation: int  # connection generation: tags of a lost connection cannot be acked
    message: Any  # kombu Message


class RabbitSource:
    """Consumes the given partition queues (manual ack, ``prefetch`` per queue).

    ``fetch`` waits up to ``timeout`` for the first message, then takes what has already
    arrived, up to ``max_messages`` (at most ``prefetch`` per partition are in flight).
    After a connection loss it reconnects on the next call; messages fetched before the loss
    are redelivered by RabbitMQ and acking them is skipped (logged).
    """

    def __init__(
        self,
        url: str,
        topology: RabbitTopology,
        partitions: Sequence[int],
        prefetch: int = 500,
        clock: Clock | None = None,
    ) -> None:
        if not partitions or any(not 0 <= p < topology.partitions for p in partitions):
            raise ValueError(f"partitions must be in 0..{topology.partitions - 1}")
        self._url = url
        self._topology = topology
        self._partitions = sorted(set(partitions))
        self._prefetch = prefetch
        self._clock = clock or SystemClock()
        self._buffer: deque[Delivery] = deque()
        self._generation = 0
        self._conn: Connection | None = None
        self._producer: Producer | None = None

    def fetch(self, max_messages: int, timeout: float) -> list[Delivery]:
        deadline = time.monotonic() + max(timeout, 0.0)
        conn = self._ensure_consuming()
        try:
            while len(self._buffer) < max_messages:
                wait = 0.0 if self._buffer else max(deadline - time.monotonic(), 0.0)
                try:
                    conn.drain_events(timeout=wait)
                except TimeoutError:
                    if self._buffer or time.monotonic() >= deadline:
                        break
        except BROKER_ERRORS as exc:
            self._lost(exc)
            return []
        return [self._buffer.popleft() for _ in range(min(max_messages, len(self._buffer)))]

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        try:
            for delivery in deliveries:
                tag = self._current_tag(delivery)
                if tag is not None:
                    tag.message.ack()
        except BROKER_ERRORS as exc:
            self._lost(exc)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Publish to the DLX with the reason (confirmed), then ack the original."""
        tag = self._current_tag(delivery)
        if tag is None or self._producer is None:
            return
        headers = {
            "x-wcpulse-reason": reason[:_REASON_MAX_CHARS],
            "x-wcpulse-partition": delivery.partition,
            "x-wcpulse-dead-lettered-at": self._clock.now().isoformat(),
        }
        try:
            publish_body(
                self._producer,
                delivery.body,
                self._topology.dlx,
                routing_key="",
                headers=headers,
                confirm_timeout=5.0,
            )
            tag.message.ack()
        except BROKER_ERRORS as exc:
            self._lost(exc)
            raise BrokerUnavailable(
                "dead-lettering failed; the message will be redelivered"
            ) from exc

    def dead_letters(self, limit: int = 100) -> list[dict]:
        """Peek at the dead-letter queue: messages are read with basic_get and NOT acked, so
        closing the peek channel puts them all back (nothing is consumed)."""
        channel = self._ensure_consuming().channel()
        try:
            records = []
            while len(records) < limit:
                message = channel.basic_get(self._topology.dead_letter_queue_name, no_ack=False)
                if message is None:
                    break
                records.append(dead_letter_record(message))
            return records
        finally:
            channel.close()

    def close(self) -> None:
        """Disconnect; unacked messages go back to their queues."""
        self._reset()

    def _ensure_consuming(self) -> Connection:
        if self._conn is not None:
            return self._conn
        conn = connect(self._url)
        self._generation += 1
        generation = self._generation
        try:
            channel = conn.channel()
            self._topology.declare(channel)
            channel.basic_qos(0, self._prefetch, False)  # per consumer: quorum queues need that
            for p in self._partitions:
                on_message = partial(self._on_message, p, generation)
                Consumer(
                    channel,
                    [Queue(self._topology.queue_name(p), no_declare=True)],
                    on_message=on_message,
                    auto_declare=False,
                ).consume()
        except BROKER_ERRORS as exc:
            discard(conn)
            raise BrokerUnavailable(f"cannot consume from RabbitMQ: {exc!r}") from exc
        self._conn, self._producer = conn, Producer(channel, auto_declare=False)
        log.info("rabbit_consuming", partitions=self._partitions, prefetch=self._prefetch)
        return conn

    def _on_message(self, partition: int, generation: int, message: Any) -> None:
        body = message.body if isinstance(message.body, bytes) else message.body.encode()
        redelivered = bool(message.delivery_info.get("redelivered"))
        self._buffer.append(Delivery(body, partition, redelivered, RabbitTag(generation, message)))

    def _current_tag(self, delivery: Delivery) -> RabbitTag | None:
        tag = delivery.tag
        if not isinstance(tag, RabbitTag):
            raise TypeError("not a RabbitSource delivery")
        if tag.generation != self._generation or self._conn is None:
            log.warning("rabbit_stale_delivery_skipped", partition=delivery.partition)
            return None
        return tag

    def _lost(self, exc: BaseException) -> None:
        log.warning("rabbit_connection_lost", error=type(exc).__name__)
        self._reset(graceful=False)

    def _reset(self, graceful: bool = True) -> None:
        self._buffer.clear()
        if self._conn is not None:
            if graceful:
                self._conn.release()
            else:
                discard(self._conn)
        self._conn = self._producer = None


def dead_letter_record(message: Any) -> dict:
    """reason, body, partition, dead_lettered_at of a message in the dead-letter queue."""
    headers = message.headers or {}
    reason = headers.get("x-wcpulse-reason")
    if reason is None:  # dead-lettered by RabbitMQ itself, e.g. the delivery limit
        reason = f"rabbitmq: {headers.get('x-first-death-reason', 'unknown')}"
    partition = headers.get("x-wcpulse-partition")
    if partition is None:
        suffix = str(headers.get("x-first-death-queue", "")).rsplit(".p", 1)[-1]
        partition = int(suffix) if suffix.isdigit() else None
    body = message.body if isinstance(message.body, bytes) else message.body.encode()
    at = headers.get("x-wcpulse-dead-lettered-at") or _death_time(headers)
    return {"reason": reason, "body": body, "partition": partition, "dead_lettered_at": at}


def _death_time(headers: dict) -> str | None:
    deaths = headers.get("x-death") or [{}]
    when = deaths[0].get("time")
    if not isinstance(when, datetime):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
