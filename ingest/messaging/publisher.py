"""Publishing that survives a broker outage: spool locally, forward when the broker is back.

``FallbackPublisher`` publishes to the primary (RabbitMQ). When the primary raises
``BrokerUnavailable`` the envelopes go into the spool (a ``SQLiteQueue`` with one partition),
which is just as durable, so the webhook can still be answered 2xx. While the spool holds
anything, new envelopes are spooled too: this keeps publish order (the forwarder drains the
spool oldest first) and stops every web request from waiting on a broker that is down.

``SpoolForwarder`` moves spooled envelopes to the primary in order and deletes them from the
spool only after the primary confirmed them. A crash in between means the batch is forwarded
again (at least once; consumers are idempotent).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import structlog

from ingest.errors import BrokerUnavailable
from ingest.messaging.journal_file import try_lock
from ingest.messaging.spool import Delivery, SQLiteQueue
from schemas.envelope import Envelope, EnvelopeError

log = structlog.get_logger(__name__)


def forwarding_lock(spool_path: Path) -> Path:
    """The file whose lock a forwarder holds while it drains the spool at ``spool_path``."""
    return spool_path.with_name(spool_path.name + ".forwarding")


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Return only when every envelope is durable; raise PublishError otherwise."""
        ...


class FallbackPublisher:
    """Primary first; the spool when the primary is unavailable or still has a backlog."""

    def __init__(self, primary: Publisher, spool: SQLiteQueue) -> None:
        self._primary = primary
        self._spool = spool

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        if not envelopes:
            return
        if not self._spool.is_empty():
            self._spool.publish(envelopes)
            return
        try:
            self._primary.publish(envelopes)
        except BrokerUnavailable as exc:
            log.warning("broker_unavailable_spooling", count=len(envelopes), error=str(exc))
            self._spool.publish(envelopes)


class SpoolForwarder:
    """Drains the spool into the primary: ``run_once()`` on demand or a background thread."""

    def __init__(
        self,
        spool: SQLiteQueue,
        primary: Publisher,
        interval: float = 1.0,
        batch_size: int = 500,
    ) -> None:
        self._spool = spool
        self._primary = primary
        self._interval = interval
        self._batch_size = batch_size
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one drain at a time (thread and run_once callers)

    def run_once(self) -> int:
        """Forward everything spooled now, oldest first; returns how many were forwarded.

        A spooled row that is not an envelope goes to the spool's dead letters instead.

        Stops at the first primary failure (the batch stays spooled, ``BrokerUnavailable``
        is logged, not raised) so that the next run retries in the same order.

        One forwarder drains a spool at a time, across processes: every process that
        publishes (each gunicorn worker, the scheduler) runs one on the data dir's spool,
        and each spool instance leases its rows in its own memory, so two draining at once
        would both publish every row. The one that finds ``forwarding_lock`` held returns
        0 and leaves the spool to the one holding it.
        """
        with self._lock:
            held = try_lock(forwarding_lock(self._spool.path))
            if held is None:  # another process's forwarder is draining the spool
                return 0
            try:
                forwarded = self._drain()
            finally:
                os.close(held)
        if forwarded:
            log.info("spool_forwarded", count=forwarded)
        return forwarded

    def _drain(self) -> int:
        forwarded = 0
        while batch := self._spool.fetch(self._batch_size, timeout=0):
            try:
                forwarded += self._forward(batch)
            except BrokerUnavailable as exc:
                self._spool.release(batch)
                log.warning("spool_forward_failed", pending=len(batch), error=str(exc))
                break
        return forwarded

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="spool-forwarder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # the edge of a background thread: log, keep going
                log.exception("spool_forwarder_error")
            self._stop.wait(self._interval)

    def _forward(self, batch: list[Delivery]) -> int:
        good: list[Delivery] = []
        envelopes: list[Envelope] = []
        for delivery in batch:
            try:
                envelopes.append(Envelope.from_json(delivery.body))
            except EnvelopeError as exc:
                self._spool.dead_letter(delivery, f"spooled message is not an envelope: {exc}")
            else:
                good.append(delivery)
        self._primary.publish(envelopes)
        self._spool.ack(good)
        return len(good)
