"""The webhook receiver's journal: a delivery is durable after ONE write to a file, and a
thread moves what the journal holds into the embedded queue a few milliseconds later, many
deliveries to a transaction.

Why: under load, a webhook's own transaction in the SQLite queue cost ~100 us of the server's
CPU (about 11 page writes to the WAL and 6 file locks for one row, and the interpreter handed
to the server's other threads each time SQLite let go of it); one ``pwrite`` costs ~10 us,
and a moved batch writes its pages once. ``bench ingest``, pinned: 66% -> 86-89% of bare.

Durability is the queue's: a ``pwrite`` is in the OS page cache when it returns, as a WAL
commit with ``synchronous=NORMAL`` is, so the 202 survives a crash or ``kill -9`` of the
process (not a power loss). A move inserts the rows and records how far the journal is moved
in ONE transaction, so a crash between moves moves nothing twice and loses nothing (the
file and its marks: ``journal_file.py``). When everything is moved and the journal has grown
past ``rotate_bytes``, or nothing came for ``idle_seconds``, it is wiped (zeros, so an erased
customer's webhooks leave no trace, as the queue's idle scrub does) and starts again
under a new epoch.

One process writes one journal, held by ``flock`` for its lifetime (``0.log``, ``1.log``...,
never removed, so no one locks a file another is about to delete). A journal nobody holds
belongs to a process that died: every publisher moves such journals when it starts and every
``scan_seconds`` after. When the journal cannot be written, a delivery goes to the queue
directly, after what the journal still holds (order kept).
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import structlog

from ingest.errors import PublishError
from ingest.messaging.journal_file import (
    HEADER,
    MAGIC,
    Row,
    encode_frame,
    move_journal,
    move_orphans,
    try_lock,
    wipe,
)
from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope, partition_for

log = structlog.get_logger(__name__)

# How long a move waits for more deliveries after the first: a move costs ~0.4 ms beyond its
# rows, so under load (BUSY_RATE deliveries a second or more) it waits longer and takes more
# (``bench ingest``, pinned: 244 us a request with 5 ms, 230 with 20 ms, bare 212); a
# quiet shop's delivery reaches the queue 2 ms after its 202.
GATHER_SECONDS = (0.002, 0.02)
BUSY_RATE = 1000.0


class JournaledPublisher:
    """``publish`` appends to this process's journal; a thread moves it into ``queue``."""

    def __init__(
        self,
        queue: SQLiteQueue,
        directory: Path,
        *,
        gather_seconds: tuple[float, float] = GATHER_SECONDS,
        rotate_bytes: int = 1 << 20,
        idle_seconds: float = 1.0,
        scan_seconds: float = 5.0,
    ) -> None:
        self._queue = queue
        self._dir = Path(directory)
        self._gather = gather_seconds  # (quiet, busy)
        self._rotate_bytes = rotate_bytes
        self._idle = idle_seconds
        self._scan = scan_seconds
        self._lock = threading.Lock()  # the journal's end and what waits to move
        self._wake = threading.Condition(self._lock)
        self._moving = threading.Lock()  # one move at a time, in journal order
        self._pending: list[Row] = []
        self._fd: int | None = None
        self._name = ""
        self._epoch = ""
        self._end = 0
        self._closing = threading.Event()  # set by ``close``: no more publishes
        self._dir.mkdir(parents=True, exist_ok=True)
        try:
            move_orphans(queue, self._dir)
        except Exception as exc:  # the mover tries again within ``scan_seconds``
            log.error("journal_orphans_failed", error=type(exc).__name__)
        self._thread = threading.Thread(target=self._run, name="journal-mover", daemon=True)
        self._thread.start()

    # -- Publisher ------------------------------------------------------------------------

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Durable once written to the journal (or, failing that, to the queue itself)."""
        rows = [(partition_for(e.shop_id, self._queue.partitions), e.to_json()) for e in envelopes]
        if not rows:
            return
        frames = b"".join(encode_frame(partition, body) for partition, body in rows)
        with self._lock:
            if self._closing.is_set():
                raise PublishError("the journal is closed")
            if self._append(frames):
                if not self._pending:
                    self._wake.notify()
                self._pending += rows
                return
        self._publish_directly(rows)

    def is_empty(self) -> bool:
        """Nothing waiting to move and nothing waiting in the queue."""
        with self._lock:
            if self._pending:
                return False
        return self._queue.is_empty()

    def flush(self) -> None:
        """Move what waits now (tests; ``close``)."""
        self._move()

    def close(self) -> None:
        with self._lock:
            self._closing.set()
            self._wake.notify()
        self._thread.join(timeout=30)
        try:
            self._move()
            with self._moving, self._lock:
                if self._fd is not None and not self._pending:
                    wipe(self._fd, self._end)
        finally:
            with self._lock:
                self._let_go()

    # -- Internals ------------------------------------------------------------------------

    def _append(self, frames: bytes) -> bool:
        """Write ``frames`` at the journal's end (under ``_lock``); False if it cannot."""
        try:
            if self._fd is None:
                self._open()
            assert self._fd is not None
            if os.pwrite(self._fd, frames, self._end) == len(frames):
                self._end += len(frames)
                return True
            log.error("journal_short_write", journal=self._name)
        except OSError as exc:
            log.error("journal_write_failed", journal=self._name, error=type(exc).__name__)
        return False

    def _open(self) -> None:
        """Claim the first journal no one holds (moving what it still holds) and start it
        anew (on the first publish: a process that never publishes holds none)."""
        number = 0
        while True:
            path = self._dir / f"{number}.log"
            fd = try_lock(path)
            if fd is not None:
                break
            number += 1
        try:
            move_journal(self._queue, fd, path.name)
            self._fd, self._name = fd, path.name
            self._restart()
        except BaseException:
            self._fd = None
            os.close(fd)
            raise

    def _restart(self) -> None:
        """An empty journal under a new epoch (the file is wiped already)."""
        assert self._fd is not None
        epoch = secrets.token_bytes(16)
        os.pwrite(self._fd, HEADER.pack(MAGIC, epoch), 0)
        self._epoch, self._end = epoch.hex(), HEADER.size

    def _publish_directly(self, rows: list[Row]) -> None:
        """Into the queue after what the journal still holds (order kept)."""
        try:
            self._move()
        except Exception as exc:
            raise PublishError(f"journal: {type(exc).__name__}") from exc
        self._queue.publish_raw(rows)

    def _move(self) -> int:
        """Move what waits, marking how far the journal is moved in the same transaction
        (publishers go on appending meanwhile); returns how many rows moved."""
        with self._moving:
            with self._lock:
                rows, end, self._pending = self._pending, self._end, []
            if not rows:
                return 0
            try:
                self._queue.publish_raw(rows, mark=self._mark(end))
            except BaseException:
                with self._lock:
                    self._pending = rows + self._pending
                raise
            return len(rows)

    def _mark(self, end: int) -> tuple[str, str]:
        return f"journal:{self._name}", f"{self._epoch}:{end}"

    def _rotate(self, idle: bool) -> None:
        """Wipe and restart the journal once all of it is moved, when nothing came for
        ``idle_seconds`` or it has grown past ``rotate_bytes``. Under steady load something
        always waits: then what came during the last move is moved with the publishers
        held (a millisecond or two, once per ``rotate_bytes``), so the file stays small."""
        with self._moving, self._lock:
            if self._fd is None or self._end <= HEADER.size:
                return
            if not idle and self._end < self._rotate_bytes:
                return
            if self._pending:
                if idle:
                    return
                self._queue.publish_raw(self._pending, mark=self._mark(self._end))
                self._pending = []
            try:
                wipe(self._fd, self._end)
                self._restart()
            except OSError:  # all of it is moved: give it up, the next publish claims one
                self._let_go()
                raise

    def _let_go(self) -> None:
        """Close the journal (under ``_lock``); it keeps what it holds for whoever moves it."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _run(self) -> None:
        next_scan = time.monotonic() + self._scan
        gather, last = self._gather[0], time.monotonic()
        while True:
            with self._lock:
                if not self._pending and not self._closing.is_set():
                    self._wake.wait(self._idle)
                if self._closing.is_set():
                    return
                idle = not self._pending  # nothing came for idle_seconds
            try:
                if idle:
                    self._rotate(idle=True)
                else:
                    if self._closing.wait(gather):  # let a few more arrive
                        return  # ``close`` moves them
                    moved, now = self._move(), time.monotonic()
                    busy = moved >= BUSY_RATE * (now - last)
                    gather, last = self._gather[1 if busy else 0], now
                    self._rotate(idle=False)
                if time.monotonic() >= next_scan:
                    next_scan = time.monotonic() + self._scan
                    move_orphans(self._queue, self._dir)
            except Exception as exc:  # what waits stays in the journal: try again shortly
                log.error("journal_move_failed", journal=self._name, error=type(exc).__name__)
                self._closing.wait(0.5)
