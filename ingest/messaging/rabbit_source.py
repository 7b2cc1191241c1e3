"""RabbitMQ consumer side: a partition source with manual ack, dead-lettering with a reason.

It consumes the queues ``ingest.messaging.rabbit.RabbitTopology`` declares; delivery is at
least once (see ``ingest.messaging.rabbit``), so whatever handles the deliveries must be
idempotent. A pack's envelopes are separate deliveries; the message is acked once each of
them is acked or dead-lettered (until then, a lost connection redelivers the whole pack).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec
import structlog
from kombu import Connection

from ingest.errors import BrokerUnavailable
from ingest.messaging.rabbit import (
    BROKER_ERRORS,
    SHOP_HEADER,
    RabbitTopology,
    connect,
    discard,
    publish_body,
    unpacked,
)
from ingest.messaging.spool import Delivery
from schemas.clock import Clock, SystemClock

log = structlog.get_logger(__name__)

_REASON_MAX_CHARS = 1000


class RabbitTag(msgspec.Struct, frozen=True, gc=False):
    generation: int  # connection generation: tags of a lost connection cannot be acked
    number: int  # the delivery tag on the generation's channel
    part: int = 0  # which envelope of the message (a pack holds several)


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
        # delivery tags received on the channel and not acked: the parts still unsettled
        self._unacked: dict[int, set[int]] = {}
        # messages on their last delivery (``x-delivery-count`` at the queue's limit): how
        # many times each came before, by delivery tag
        self._last_chance: dict[int, int] = {}
        self._gave_up: list[tuple[bytes, str]] = []  # for ``take_dead_lettered``
        self._generation = 0
        self._conn: Connection | None = None
        self._channel: Any = None  # the py-amqp channel the partitions are consumed on

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
        taken = [self._buffer.popleft() for _ in range(min(max_messages, len(self._buffer)))]
        if not self._last_chance:
            return taken
        try:
            return self._give_up_last_chances(taken)
        except BrokerUnavailable:  # the connection is gone: everything comes again
            return []

    def _give_up_last_chances(self, taken: list[Delivery]) -> list[Delivery]:
        """``taken`` less the envelopes of messages on their last delivery, which go to the
        dead letters with the reason, here, where the consumer sees them
        (``take_dead_lettered``): RabbitMQ would dead-letter them itself at the next death,
        unseen, under its own reason. A message that came this often without an ack killed
        every consumer that took it (an envelope that fails by an exception fails alone at
        its first delivery), or shared the deliveries of one that did."""
        kept: list[Delivery] = []
        for delivery in taken:
            count = self._last_chance.get(delivery.tag.number)
            if count is None:
                kept.append(delivery)
                continue
            reason = f"delivery limit reached ({count} deliveries without ack)"
            self.dead_letter(delivery, reason)
            self._gave_up.append((delivery.body, reason))
            log.warning("rabbit_delivery_limit_reached", partition=delivery.partition, count=count)
        return kept

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Ack the messages these deliveries settle, as many as it can with ONE
        ``multiple`` ack (see ``_acks``)."""
        tags = [tag for tag in map(self._current_tag, deliveries) if tag is not None]
        try:
            self._send_acks(self._settled(tags))
        except BROKER_ERRORS as exc:
            self._lost(exc)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Publish the envelope to the DLX with the reason (confirmed), then ack the
        original (a pack: once its other envelopes are settled too)."""
        tag = self._current_tag(delivery)
        if tag is None or self._channel is None:
            return
        headers = {
            "x-wcpulse-reason": reason[:_REASON_MAX_CHARS],
            "x-wcpulse-partition": delivery.partition,
            "x-wcpulse-dead-lettered-at": self._clock.now().isoformat(),
        } | ({SHOP_HEADER: delivery.shop_id} if delivery.shop_id else {})
        try:
            publish_body(
                self._channel, delivery.body, self._topology.dlx, "", headers, confirm_timeout=5.0
            )
            self._send_acks(self._settled([tag]))
        except BROKER_ERRORS as exc:
            self._lost(exc)
            raise BrokerUnavailable(
                "dead-lettering failed; the message will be redelivered"
            ) from exc

    def take_dead_lettered(self) -> list[tuple[bytes, str]]:
        """(body, reason) of each envelope ``fetch`` gave up since last asked: those of
        messages on their last delivery (see ``_give_up_last_chances``)."""
        gave_up, self._gave_up = self._gave_up, []
        return gave_up

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
                records += dead_letter_records(message)
            return records[:limit]
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
            channel.auto_decode = False  # the body as it came (bytes), not decoded to text
            for p in self._partitions:
                on_message = partial(self._on_message, p, generation)
                channel.basic_consume(self._topology.queue_name(p), callback=on_message)
        except BROKER_ERRORS as exc:
            discard(conn)
            raise BrokerUnavailable(f"cannot consume from RabbitMQ: {exc!r}") from exc
        self._conn, self._channel = conn, channel
        log.info("rabbit_consuming", partitions=self._partitions, prefetch=self._prefetch)
        return conn

    def _on_message(self, partition: int, generation: int, message: Any) -> None:
        """A py-amqp message, straight from the channel (kombu's Consumer and Message cost
        about 10 us a message more: ``bench processors``, RabbitMQ); a pack becomes one
        delivery per envelope."""
        body = message.body if isinstance(message.body, bytes) else message.body.encode()
        info = message.delivery_info
        number = info["delivery_tag"]
        headers = message.properties.get("application_headers") or {}
        shop_id = headers.get(SHOP_HEADER)
        named = shop_id if isinstance(shop_id, str) and shop_id else None
        redelivered = bool(info.get("redelivered"))
        count = headers.get("x-delivery-count")  # deliveries before this one (quorum queues)
        if redelivered and type(count) is int and count >= self._topology.delivery_limit:
            self._last_chance[number] = count
        bodies = unpacked(body, headers)
        self._unacked[number] = set(range(len(bodies)))
        self._buffer.extend(
            Delivery(part_body, partition, redelivered, RabbitTag(generation, number, part), named)
            for part, part_body in enumerate(bodies)
        )

    def _settled(self, tags: list[RabbitTag]) -> list[RabbitTag]:
        """The messages these parts settle: those with no part left unsettled (a part
        settled already is left alone: acking its message again would close the channel)."""
        done: dict[int, RabbitTag] = {}
        for tag in tags:
            parts = self._unacked.get(tag.number)
            if parts is None or tag.part not in parts:
                continue
            parts.discard(tag.part)
            if not parts:
                del self._unacked[tag.number]
                self._last_chance.pop(tag.number, None)
                done[tag.number] = tag
        return list(done.values())

    def _send_acks(self, tags: list[RabbitTag]) -> None:
        for tag, multiple in self._acks(tags):
            self._channel.basic_ack(tag.number, multiple=multiple)

    def _acks(self, tags: list[RabbitTag]) -> list[tuple[RabbitTag, bool]]:
        """``(tag, multiple)`` acks that settle exactly these messages (settled, no longer
        in ``_unacked``), in as few frames as can be: a ``multiple`` ack settles EVERY
        unacked delivery of the channel (all the partitions' consumers share it) up to its
        tag, so it covers the messages below the oldest one still unacked, and the others
        are acked one by one. A consumer acking its whole batch (one shop) sends one frame
        instead of one per message."""
        by_number = {t.number: t for t in tags}
        oldest_kept = min(self._unacked, default=None)
        numbers = sorted(by_number)
        covered = [n for n in numbers if oldest_kept is None or n < oldest_kept]
        acks = [(by_number[covered[-1]], True)] if covered else []
        return acks + [(by_number[n], False) for n in numbers[len(covered) :]]

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
        self._unacked.clear()
        self._last_chance.clear()
        if self._conn is not None:
            if graceful:
                self._conn.release()
            else:
                discard(self._conn)
        self._conn = self._channel = None


def dead_letter_records(message: Any) -> list[dict]:
    """reason, body, partition, dead_lettered_at of each envelope a message in the
    dead-letter queue holds (a pack RabbitMQ dead-lettered whole: one per envelope)."""
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
    return [
        {"reason": reason, "body": part, "partition": partition, "dead_lettered_at": at}
        for part in unpacked(body, headers)
    ]


def _death_time(headers: dict) -> str | None:
    deaths = headers.get("x-death") or [{}]
    when = deaths[0].get("time")
    if not isinstance(when, datetime):
        return None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).isoformat()
