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
``take_dead_lettered`` tells the consumer (it raises them as pipeline_health). It goes
alone: a fetch whose oldest row was handed out before without an ack hands out fewer
envelopes (``_room``), down to one, so the rows that shared its batches are handled.

Deleted messages leave no trace on disk once the queue is idle (GDPR: an erased customer's
webhooks passed through here): a fetch that finds the queue idle after deletions drops the
file's free pages (``scrub_freed``, spool_sql.py), then checkpoints and truncates the WAL,
which still holds the pages as they were before.

Fetch, ack and dead-lettering take a few statements per batch, none per row; the SQL, and
why it is shaped as it is (a batch costs the pages it writes), is in ``spool_sql.py``.

A list published at once (the journal's move, a page of an import) is stored in packs: each
partition's envelopes in their order, up to ``packs.py``'s limits, one row each (a row costs
its B-tree and index entries, its delivery count and its delete whatever it holds). A fetch
hands a pack's envelopes out one by one and never more than it is asked for (the rest of a
pack waits, leased, for the next fetch); the row goes when each of its envelopes is acked or
dead-lettered (those settled before are kept in ``pack_settled``: a consumer that stops
halfway leaves the rest to the next, ``redelivered``), and a pack past the delivery limit
gives up only its envelope the last fetches handed out alone. A list's order
across partitions is not kept (each partition's is, and so each shop's).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import msgspec

from ingest.errors import PublishError
from ingest.messaging.packs import PACK_SEPARATOR, packs, split_pack
from ingest.messaging.spool_sql import (
    count_deliveries,
    dead_letter_part,
    delete_messages,
    immediate,
    insert_messages,
    move_to_dead_letters,
    oldest_rows_query,
    open_queue_file,
    rows_of,
    scrub_freed,
    settle_parts,
    settled_parts,
)
from schemas.clock import Clock, SystemClock
from schemas.envelope import Envelope, partition_for

_POLL_SECONDS = 0.05
_DEPTH = (
    "SELECT count(*) + (SELECT coalesce(sum(envelopes - 1), 0) FROM packs)"
    " - (SELECT count(*) FROM pack_settled) FROM messages"
)
_GET_META = "SELECT value FROM queue_meta WHERE key = ?"
_SET_META = "INSERT OR REPLACE INTO queue_meta (key, value) VALUES (?, ?)"


class SpoolTag(msgspec.Struct, frozen=True, gc=False):
    row: int  # messages.id
    part: int  # which envelope of a pack (0 for a plain message)


class Delivery(msgspec.Struct, frozen=True, gc=False):
    """One envelope handed out (a msgspec struct: made in C, a fetch makes thousands)."""

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
        isolate: bool = True,
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
        self._isolate = isolate  # redelivered messages in smaller fetches (``_room``)
        self._held_room = 0  # envelopes a fetch may hand out of ``_held``
        self._clock = clock or SystemClock()
        self._open: dict[int, set[int]] = {}  # leased message: its envelopes not yet settled
        self._held: list[Delivery] = []  # envelopes of a leased pack the last fetch had no room for
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
        """Append all envelopes in ONE transaction (in packs); returns once the commit is
        durable."""
        rows = [(partition_for(e.shop_id, self.partitions), e.to_json()) for e in envelopes]
        self.publish_raw(rows)

    def publish_raw(
        self, rows: Sequence[tuple[int, bytes]], mark: tuple[str, str] | None = None
    ) -> None:
        """Append ``(partition, body)`` rows, each partition's in their order and in packs
        (``packs.py``: a run of them one message, which a fetch hands out one by one); with
        ``mark``, also set that ``queue_meta`` key in the same transaction."""
        if not rows:
            return
        if any(not 0 <= partition < self.partitions for partition, _ in rows):
            raise ValueError(f"partition out of range 0..{self.partitions - 1}")
        with self._published:
            try:
                with immediate(self._connection()) as conn:
                    insert_messages(conn, _packed(rows))
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
        """Settle the envelopes; delete the messages all of whose envelopes are settled
        (one statement for the whole batch)."""
        with self._lock:
            tags = [_tag(d) for d in deliveries]
            done = self._settled(tags)
            finished = set(done)
            # envelopes of a pack that stays: kept, so that they are not handed out again
            partial = [(tag.row, tag.part) for tag in tags if tag.row not in finished]
            if done or partial:
                with immediate(self._connection()) as conn:
                    settle_parts(conn, partial)
                    if done:
                        delete_messages(conn, done)
                self._deleted = self._deleted or bool(done)
            self._forget(deliveries, done)

    def release(self, deliveries: Sequence[Delivery]) -> None:
        """Give leased messages back: the next ``fetch`` of this instance hands them out
        again (a pack whole)."""
        with self._lock:
            rows = {_tag(delivery).row for delivery in deliveries}
            for row in rows:
                self._open.pop(row, None)
            self._held = [d for d in self._held if _tag(d).row not in rows]

    def dead_letter(self, delivery: Delivery, reason: str) -> None:
        """The envelope into ``dead_letters`` with the reason, its message deleted when
        that settles it (one transaction)."""
        tag = _tag(delivery)
        with self._lock:
            done = self._settled([tag])
            with immediate(self._connection()) as conn:
                dead_letter_part(conn, tag.row, delivery.body, reason, self._now())
                if done:
                    delete_messages(conn, done)
                else:  # its pack stays: this envelope is not handed out again
                    settle_parts(conn, [(tag.row, tag.part)])
            self._deleted = True
            self._forget([delivery], done)

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
        """Envelopes waiting or in flight (all partitions; a pack counts what it holds)."""
        with self._lock:
            return self._connection().execute(_DEPTH).fetchone()[0]

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
        """Up to ``limit`` envelopes: those of a leased pack the last fetch had no room for,
        then those of the next messages, leased (a pack that does not fit whole: the rest is
        held for the next fetch); count the delivery BEFORE handing them out (commit first).

        Messages this instance has leased are read again and skipped here: a consumer acks
        a batch before it fetches the next, so there are few or none.
        """
        taken = min(limit, self._held_room) if self._held else limit
        held, self._held = self._held[:taken], self._held[taken:]
        if held and (taken < limit or len(held) == limit):
            return held  # a leased pack's rest, as many at a time as when it was leased
        poison = True
        while poison:  # given up on the oldest: the next ones fill the fetch
            rows, settled, room, poison = self._lease(limit - len(held))
        deliveries: list[Delivery] = []
        for row_id, partition, body, count, envelopes in rows:
            parts = split_pack(bytes(body), envelopes)
            left = [n for n in range(len(parts)) if n not in settled.get(row_id, ())]
            self._open[row_id] = set(left)
            deliveries += [
                Delivery(parts[n], partition, count > 0, SpoolTag(row_id, n)) for n in left
            ]
        self._held, self._held_room = deliveries[room:], room
        return held + deliveries[:room]

    def _lease(self, free: int) -> tuple[list[tuple], dict[int, set[int]], int, bool]:
        """The oldest messages that fill ``free`` envelopes (``_room``), counted, with the
        settled envelopes of their packs, the room, and whether some were given up (past the
        delivery limit: ``take_dead_lettered`` tells the consumer)."""
        sql, partitions = self._oldest_rows
        reason = f"delivery limit reached ({self._max_deliveries} deliveries without ack)"
        with immediate(self._connection()) as conn:
            head = conn.execute(sql, (*partitions, free + len(self._open)))
            try:  # read lazily: the rows up to the one that fills the room, not ``room`` rows
                ids, room = _fitting((h for h in head if h[0] not in self._open), self._room(free))
            finally:
                head.close()
            rows = rows_of(conn, ids) if ids else []
            settled = settled_parts(conn, [r[0] for r in rows if r[4] > 1])
            poison = [r for r in rows if r[3] >= self._max_deliveries]
            if poison:
                gave_up = move_to_dead_letters(conn, poison, settled, reason, self._now())
                self._gave_up += [(body, reason) for body in gave_up]
                self._deleted = True
            rows = [r for r in rows if r[3] < self._max_deliveries]
            if rows:
                count_deliveries(conn, [r[0] for r in rows])
        return rows, settled, room, bool(poison) and not rows

    def _room(self, limit: int) -> Callable[[int], int]:
        """How many envelopes a fetch of ``limit`` hands out when its oldest message was
        handed out ``deliveries`` times without an ack (a consumer died holding it, or gave
        it back): half as many for each time, and one alone from half the delivery limit on.
        A message that kills every consumer that takes it ends up alone, and is given up
        alone (a pack: its envelope handed out alone), while the others of its batches are
        handled in the smaller ones. The spool, which gives rows back whenever the broker is
        down, keeps whole batches (``isolate=False``)."""

        def room(deliveries: int) -> int:
            if not self._isolate or deliveries <= 0:
                return limit
            if deliveries >= max(1, self._max_deliveries // 2):
                return 1
            return max(1, limit >> deliveries)

        return room

    def _settled(self, tags: Sequence[SpoolTag]) -> list[int]:
        """The messages ``tags`` leave with every envelope settled (a message this instance
        does not hold open is settled whole)."""
        left: dict[int, set[int]] = {}
        for tag in tags:
            parts = left.get(tag.row)
            if parts is None:
                parts = left[tag.row] = set(self._open.get(tag.row, ()))
            parts.discard(tag.part)
        return [row for row, parts in left.items() if not parts]

    def _forget(self, deliveries: Sequence[Delivery], done: list[int]) -> None:
        """After the commit: the settled envelopes and the deleted messages forgotten."""
        for delivery in deliveries:
            tag = _tag(delivery)
            parts = self._open.get(tag.row)
            if parts is not None:
                parts.discard(tag.part)
        for row in done:
            self._open.pop(row, None)

    def _now(self) -> str:
        return self._clock.now().isoformat()

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


def _tag(delivery: Delivery) -> SpoolTag:
    if not isinstance(delivery.tag, SpoolTag):
        raise TypeError("not a SQLiteQueue delivery")
    return delivery.tag


def _fitting(
    head: Iterable[tuple[int, int, int]], room_for: Callable[[int], int]
) -> tuple[list[int], int]:
    """The ids of the first messages of ``head`` (id, envelopes, deliveries) up to the one
    that fills the room (it may hold more), and the room: ``room_for`` the deliveries of
    the oldest."""
    ids: list[int] = []
    total = 0
    room = 0
    for row_id, envelopes, deliveries in head:
        if not ids:
            room = room_for(deliveries)
        if total >= room:
            break
        ids.append(row_id)
        total += envelopes
    return ids, room


def _packed(rows: Sequence[tuple[int, bytes]]) -> list[tuple[int, bytes, int]]:
    """``(partition, body, envelopes)``: each partition's bodies in their order, in packs."""
    by_partition: dict[int, list[bytes]] = {}
    for partition, body in rows:
        by_partition.setdefault(partition, []).append(body)
    return [
        (partition, PACK_SEPARATOR.join(pack), len(pack))
        for partition, bodies in by_partition.items()
        for pack in packs(bodies)
    ]
