"""RabbitMQ behind a local spool: what is published is durable in the spool (a
``SQLiteQueue`` with one partition, behind this process's webhook journal: ``journal.py``),
and ``SpoolForwarder`` moves it into RabbitMQ in order, whether RabbitMQ is up now or later.

So a webhook's 202 waits for one write to the journal, not for RabbitMQ's confirm of its
message (SPEC §6: durable means a broker confirm or a local spool), and RabbitMQ being down
changes nothing for the receiver. The forwarder sends the spool in lists of ``batch_size``,
each confirmed with one wait (``confirms.py``), and deletes the rows only after RabbitMQ
confirmed them: a crash in between forwards them again (at least once; consumers are
idempotent).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import structlog

from ingest.errors import BrokerUnavailable
from ingest.messaging.journal_file import try_lock
from ingest.messaging.spool import Delivery, SQLiteQueue
from schemas.clock import Clock
from schemas.envelope import Envelope, EnvelopeError

log = structlog.get_logger(__name__)


def open_spool(path: Path, clock: Clock) -> SQLiteQueue:
    """The spool at ``path``: one partition, and no delivery limit. A forward that fails
    (RabbitMQ down) gives its rows back, and each fetch counts a delivery, so the queue's
    limit (20, for a message that crashes every consumer) would move them to the dead
    letters after 20 tries, where no forwarder looks; and whole batches (``isolate``: no
    smaller fetches for rows given back, which here is the broker's fault, not theirs)."""
    return SQLiteQueue(path, 1, max_deliveries=sys.maxsize, clock=clock, isolate=False)


def forwarding_lock(spool_path: Path) -> Path:
    """The file whose lock a forwarder holds while it drains the spool at ``spool_path``."""
    return spool_path.with_name(spool_path.name + ".forwarding")


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Return only when every envelope is durable; raise PublishError otherwise."""
        ...


class SpoolForwarder:
    """Drains the spool into the primary: ``run_once()`` on demand or a background thread,
    which looks at the spool every ``interval`` seconds (a read of an empty table when
    there is nothing) and, after a failure (RabbitMQ down), waits ``retry`` seconds."""

    def __init__(
        self,
        spool: SQLiteQueue,
        primary: Publisher,
        interval: float = 1.0,
        batch_size: int = 500,
        retry: float = 2.0,
    ) -> None:
        self._spool = spool
        self._primary = primary
        self._interval = interval
        self._retry = retry
        self._failed = False  # the last drain stopped at a primary failure
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
                self._failed = False
                return 0
            try:
                forwarded = self._drain()
            finally:
                os.close(held)
        if forwarded:
            log.info("spool_forwarded", count=forwarded)
        return forwarded

    def _drain(self) -> int:
        forwarded, self._failed = 0, False
        while batch := self._spool.fetch(self._batch_size, timeout=0):
            try:
                forwarded += self._forward(batch)
            except BrokerUnavailable as exc:
                self._spool.release(batch)
                log.warning("spool_forward_failed", pending=len(batch), error=str(exc))
                self._failed = True
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
            pause = self._interval
            try:
                if not self._spool.is_empty():
                    self.run_once()
                    pause = self._retry if self._failed else self._interval
            except Exception:  # the edge of a background thread: log, keep going
                log.exception("spool_forwarder_error")
                pause = self._retry
            self._stop.wait(pause)

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
