"""SQLiteQueue: our durable embedded broker (and the publisher's spool) on one SQLite file.

Why not kombu's SQLAlchemy transport: it marks a message invisible when it is fetched, so a
``kill -9`` between fetch and ack loses it. Here a fetched row stays in the table until it is
acked; the *lease* lives only in memory, so a restarted process (a new instance on the same
file) hands every unacked row out again with ``redelivered=True``. Consumers must therefore
tolerate redelivery (the processors are idempotent by design).

Roles: ``publish`` (many threads), and a MessageSource (``fetch``/``ack``/``dead_letter``) for
ONE consumer per partition. Which partitions an instance consumes is a constructor argument
(``consume=[0, 2]``; default: all). Publishers and consumers may be separate instances or
processes on the same file: a consumer wakes at once for publishes on its own instance and
polls every 50 ms otherwise. The spool is the same class with ``partitions=1`` on
``store.layout.spool_path``.

A row handed out ``max_deliveries`` times without an ack (it crashed every consumer that
took it) is moved to the dead letters by the next fetch, like RabbitMQ's ``x-delivery-limit``;
``take_dead_lettered`` tells the consumer (it raises them as pipeline_health).

Deleted messages leave no trace on disk once the queue is idle (GDPR: an erased customer's
webhooks passed through here): a fetch that finds the queue idle after deletions drops the
file's free pages (``scrub_freed``, spool_sql.py), then checkpoints and truncates the WAL,
which still holds the pages as they were before.

Fetch, ack and dead-lettering take a few statements per batch, none per row; the SQL, and
why it is shaped as it is (a batch costs the pages it writes), is in ``spool_sql.py``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ingest.errors import PublishError
from ingest.messaging.spool_sql import (
    count_deliveries,
    delete_messages,
    immediate,
    move_to_dead_letters,
    oldest_rows_query,
    open_queue_file,
    scrub_freed,
)
from schemas.clock import Clock, SystemClock
from schemas.envelope import Envelope, partition_for

_POLL_SECONDS = 0.05
_INSERT = "INSERT INTO messages (partition, body) VALUES (?, ?)"
_GET_META = "SELECT value FROM queue_meta WHERE key = ?"
_SET_META = "INSERT OR REPLACE INTO queue_meta (key, value) VALUES (?, ?)"


@dataclass(frozen=True)
class Delivery:
    body: bytes  # the envelope JSON bytes
    partition: int
    redelivered: bool
    tag: object  # adapter-specific handle for ack/dead_letter
    shop_id: str | None = None  # the shop a header names (RabbitMQ), whatever the body


class SQLiteQueue:
    """A durable, partitioned FIFO queue in one SQLite file (see the module docstring)."""

    def __init__(
        self,
        path: Path,
        partitions: int,
        *,
        consume: Sequence[int] | None = None,
        max_deliveries: int = 20,
        clock: Clock | None = None,
    ) -> None:
        if partitions < 1:
            raise ValueError("partitions must be at least 1")
        consumed = list(range(partitions)) if consume is None else sorted(set(consume))
        if not consumed or any(not 0 <= p < partitions for p in consumed):
            raise ValueError(f"consume must name partitions in 0..{partitions - 1}")
        self.path = Path(path)
        self.partitions = partitions
        self._consumed = consumed
        self._max_deliveries = max_deliveries
        self._clock = clock or SystemClock()
        self._leased: set[int] = set()
        self._deleted = False  # rows deleted since the WAL was last truncated
        self._gave_up: list[tuple[bytes, str]] = []  # (body, reason) moved by ``_take``
        self._lock = threading.RLock()
        self._published = threading.Condition(self._lock)
        self._oldest_rows = oldest_rows_query(consumed, partitions)  # (sql, partitions)
        self._conn: sqlite3.Connection | None = open_queue_file(self.path)
        try:
            self._check_partitions()
        except ValueError:
            self.close()
            raise

    # -- Publisher role -------------------------------------------------------------------

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Append all envelopes in ONE transaction; returns once the commit is durable."""
        rows = [(partition_for(e.shop_id, self.partitions), e.to_json()) for e in envelopes]
        self.publish_raw(rows)

    def publish_raw(
        self, rows: Sequence[tuple[int, bytes]], mark: tuple[str, str] | None = None
    ) -> None:
        """Append ``(partition, body)`` rows as they are (used to move messages between
        queues); with ``mark``, also set that ``queue_meta`` key in the same transaction."""
        if not rows:
            return
        if any(not 0 <= partition < self.partitions for partition, _ in rows):
            raise ValueError(f"partition out of range 0..{self.partitions - 1}")
        with self._published:
            try:
                with immediate(self._connection()) as conn:
                    conn.executemany(_INSERT, rows)
                    if mark is not None:
                        conn.execute(_SET_META, mark)
            except (sqlite3.Error, RuntimeError) as exc:
                raise PublishError(f"{self.path.name}: {exc}") from exc
            self._published.notify_all()

    def meta(self, key: str) -> str | None:
        """The ``queue_meta`` value of ``key`` (None when unset)."""
        with self._lock:
            cursor = self._connection().execute(_GET_META, (key,))
            row = cursor.fetchone()
        return None if row is None else str(row[0])

    # -- MessageSource role ---------------------------------------------------------------

    def fetch(self, max_messages: int, timeout: float) -> list[Delivery]:
        """Up to ``max_messages`` unleased rows of the consumed partitions, oldest first.

        Waits at most ``timeout`` seconds for the first row, then returns what is there.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        with self._published:
            while True:
                batch = self._take(max_messages)
                if not batch and self._deleted:
                    self._wipe_deleted()
                remaining = deadline - time.monotonic()
                if batch or remaining <= 0:
                    return batch
                self._published.wait(min(remaining, _POLL_SECONDS))

    def ack(self, deliveries: Sequence[Delivery]) -> None:
        """Delete the rows: they are done (one statement for the whole batch)."""
        ids = [_row_id(d) for d in deliveries]
        with self._lock:
            with immediate(self._connection()) as conn:
                delete_messages(conn, ids)
            self._leased.difference_update(ids)
            self._deleted = True

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Give leased rows back: the next ``fetch`` of this instance hands them out again."""
        with self._lock:
            self._leased.difference_update(_row_id(d) for d in deliveries)

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """Move the row into ``dead_letters`` with the reason (one transaction)."""
        row_id = _row_id(delivery)
        with self._lock:
            with immediate(self._connection()) as conn:
                self._move_to_dead_letters(conn, [row_id], reason)
            self._leased.discard(row_id)

    def take_dead_lettered(self) -> list[tuple[bytes, str]]:
        """(body, reason) of the rows fetches gave up on (delivery limit) since last asked."""
        with self._lock:
            taken, self._gave_up = self._gave_up, []
        return taken

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._published.notify_all()

    # -- For operators and tests ----------------------------------------------------------

    def depth(self) -> int:
        """Messages waiting or in flight (all partitions)."""
        with self._lock:
            return self._connection().execute("SELECT count(*) FROM messages").fetchone()[0]

    def is_empty(self) -> bool:
        """True when no message is waiting or in flight (cheap, unlike ``depth``)."""
        with self._lock:
            row = self._connection().execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()
            return not row[0]

    def dead_letters(self, limit: int = 100) -> list[dict]:
        """The oldest ``limit`` dead letters: reason, body, partition, dead_lettered_at."""
        with self._lock:
            rows = self._connection().execute(
                "SELECT reason, body, partition, dead_lettered_at, deliveries"
                " FROM dead_letters ORDER BY id LIMIT ?",
                (limit,),
            )
            keys = ("reason", "body", "partition", "dead_lettered_at", "deliveries")
            return [dict(zip(keys, row, strict=True)) for row in rows]

    # -- Internals ------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("SQLiteQueue is closed")
        return self._conn

    def _wipe_deleted(self) -> None:
        """Drop the free pages, copy the WAL into the database file and empty it, unless
        another connection (a publisher in another process) is using it; then the next idle
        fetch tries again."""
        conn = self._connection()
        try:
            scrub_freed(conn)
        except sqlite3.OperationalError:  # busy past the timeout: the next idle fetch
            return
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            self._deleted = False

    def _take(self, limit: int) -> list[Delivery]:
        """Lease the next rows; count the delivery BEFORE handing it out (commit first).

        Rows this instance has leased are read again and skipped here: a consumer acks a
        batch before it fetches the next, so there are few or none.
        """
        sql, partitions = self._oldest_rows
        with immediate(self._connection()) as conn:
            cursor = conn.execute(sql, (*partitions, limit + len(self._leased)))
            rows = [r for r in cursor if r[0] not in self._leased]
            poison = [r for r in rows if r[3] >= self._max_deliveries]
            reason = f"delivery limit reached ({self._max_deliveries} deliveries without ack)"
            if poison:
                self._move_to_dead_letters(conn, [r[0] for r in poison], reason)
            rows = [r for r in rows if r[3] < self._max_deliveries][:limit]
            if rows:
                count_deliveries(conn, [r[0] for r in rows])
        self._gave_up += [(bytes(r[2]), reason) for r in poison]
        self._leased.update(r[0] for r in rows)
        return [Delivery(bytes(r[2]), r[1], r[3] > 0, r[0]) for r in rows]

    def _move_to_dead_letters(self, conn: sqlite3.Connection, ids: list[int], reason: str) -> None:
        move_to_dead_letters(conn, ids, reason, self._clock.now().isoformat())
        self._deleted = True

    def _check_partitions(self) -> None:
        """Refuse to re-partition a non-empty queue: it would break per-shop order."""
        with immediate(self._connection()) as conn:
            row = conn.execute("SELECT value FROM queue_meta WHERE key = 'partitions'").fetchone()
            if row is not None and int(row[0]) != self.partitions:
                if conn.execute("SELECT EXISTS (SELECT 1 FROM messages)").fetchone()[0]:
                    raise ValueError(
                        f"{self.path} holds messages for {row[0]} partitions, not "
                        f"{self.partitions}; drain it before changing the partition count"
                    )
            conn.execute(
                "INSERT OR REPLACE INTO queue_meta (key, value) VALUES ('partitions', ?)",
                (str(self.partitions),),
            )


def _row_id(delivery: Delivery) -> int:
    if not isinstance(delivery.tag, int):
        raise TypeError("not a SQLiteQueue delivery")
    return delivery.tag
