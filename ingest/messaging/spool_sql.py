"""The SQLite file under ``SQLiteQueue`` (spool.py): schema, connection, and its statements.

Every statement handles a whole batch: the ids go in as ONE JSON array parameter read by
``json_each``, so the statements are the same for a batch of any size (no ``?`` per row, no
chunking under SQLite's limit on variables). That alone saves little (``executemany`` looped
in C too): what a batch costs is the pages it writes (each goes to the WAL, then is
checkpointed into the file), so each statement touches as few as it can:

- a message's delivery count lives in ``delivery_counts``, a few bytes a row, not in the
  message's own row: counting a fetch of 2,000 messages of 3 KB rewrites a handful of small
  pages instead of 2,000 body pages (measured 15 -> 3.5 us a message, fetch included);
  ``messages.deliveries`` holds only counts written by versions before that table, and the
  count of a message is the sum of both;
- a row may hold a pack of envelopes (``packs``: its count; spool.py), and a fetch first reads
  the next rows' ids and counts without their bodies (``oldest_rows_query``), then the bodies
  of those that fill its batch (``rows_of``): a pack's body is long;
- the next rows are read in id order straight from an index: all partitions by the rowid,
  a subset as a merge of one ``partition = ?`` range per partition (``UNION ALL ... ORDER
  BY``). ``partition IN (...) ORDER BY id`` sorted every waiting row on each fetch instead
  (15 us a message with 100,000 waiting). SQLite merges at most 500 such ranges
  (SQLITE_MAX_COMPOUND_SELECT), so an instance consumes all partitions or at most 500.

What a deleted message leaves on disk is wiped when the queue goes idle, not at each ack. A
file made by this version keeps its free pages apart (``auto_vacuum = INCREMENTAL``) and
deletes with ``secure_delete = FAST``: a page that still holds rows has the deleted ones
zeroed as it is written anyway, and a page left empty goes to the free list as it is. When a
fetch finds the queue idle, ``scrub_freed`` drops the free pages, and the WAL, which holds
every page as it was written, is truncated (spool.py). ``secure_delete = ON`` instead wrote
zeros over each freed page at the ack: an ack cost 16 us a message of 3 KB (a batch of
2,000 messages freed ~6 MB of pages, all written to the WAL), against 4 us now; a drained queue's
file is then rebuilt from the few pages it keeps (40,000 messages of 3 KB: the acks 0.19 s
and the rebuild 0.05 s, against 0.69 s of acks). Either way a trace could outlive the
ack until the queue is idle, in the WAL's frames then, in the free pages now. A file made by
an older version has no such free list (it cannot be added without rewriting the file) and
keeps ``secure_delete = ON``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from ingest.messaging.packs import split_pack
from schemas.jsoncodec import dumps_text

_BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partition INTEGER NOT NULL,
    body BLOB NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 0  -- counted by older versions; now delivery_counts
);
CREATE INDEX IF NOT EXISTS messages_by_partition ON messages (partition, id);
CREATE TABLE IF NOT EXISTS delivery_counts (
    id INTEGER PRIMARY KEY,  -- messages.id
    deliveries INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partition INTEGER NOT NULL,
    body BLOB NOT NULL,
    reason TEXT NOT NULL,
    deliveries INTEGER NOT NULL,
    dead_lettered_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS packs (
    id INTEGER PRIMARY KEY,  -- messages.id of a pack (packs.py); a message without a row: one
    envelopes INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pack_settled (
    id INTEGER NOT NULL,  -- messages.id of a pack some of whose envelopes are settled
    part INTEGER NOT NULL,  -- the envelope's place in the pack, from 0
    PRIMARY KEY (id, part)
) WITHOUT ROWID;
"""

_MESSAGE = (
    "SELECT m.id, m.partition, m.body, m.deliveries + coalesce(c.deliveries, 0) AS deliveries,"
    " coalesce(p.envelopes, 1) AS envelopes"
    " FROM messages m LEFT JOIN delivery_counts c ON c.id = m.id LEFT JOIN packs p ON p.id = m.id"
)
_HEAD = (
    "SELECT m.id, coalesce(p.envelopes, 1), m.deliveries + coalesce(c.deliveries, 0)"
    " FROM messages m LEFT JOIN packs p ON p.id = m.id LEFT JOIN delivery_counts c ON c.id = m.id"
)
_IDS = "SELECT value FROM json_each(?)"  # the ids, one JSON array
_DEAD_LETTER = "INSERT INTO dead_letters (partition, body, reason, deliveries, dead_lettered_at)"


def open_queue_file(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One connection shared by all threads, serialised by the queue's lock; explicit
    # transactions (isolation_level=None) so every write is one BEGIN IMMEDIATE ... COMMIT.
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # a new file only (see the docstring)
    conn.execute("PRAGMA journal_mode = WAL")
    # synchronous=NORMAL in WAL mode: a commit is written to the WAL file (the OS page cache)
    # before COMMIT returns, so it survives a crash or kill -9 of this PROCESS. Only a power
    # loss or OS crash can lose the last transactions; synchronous=FULL would fsync each
    # commit to cover that too, at a large cost per webhook.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.executescript(_SCHEMA)
    # deleted messages: zeroed where that costs no write, their free pages at the next idle
    # fetch (``scrub_freed``); in a file of an older version, every one at once
    conn.execute(f"PRAGMA secure_delete = {'FAST' if _keeps_free_pages(conn) else 'ON'}")
    return conn


_INCREMENTAL = 2  # PRAGMA auto_vacuum


def _keeps_free_pages(conn: sqlite3.Connection) -> bool:
    ((mode,),) = conn.execute("PRAGMA auto_vacuum").fetchall()
    return bool(mode == _INCREMENTAL)


def scrub_freed(conn: sqlite3.Connection) -> None:
    """Drop the file's free pages, and what deleted messages left in them (nothing to do in
    a file of an older version, whose deletions were zeroed at once). A file holding fewer
    pages than it has free, a drained queue's, is rebuilt (``VACUUM``: its cost follows the
    pages kept); else its last pages move into the free ones and it is cut short
    (``incremental_vacuum``: its cost follows the pages freed, about what zeroing them at
    the ack cost). ``executescript`` runs that pragma to its end: ``execute`` takes one step
    of it, which frees one page."""
    if not _keeps_free_pages(conn):
        return
    ((free,),) = conn.execute("PRAGMA freelist_count").fetchall()
    if not free:
        return
    ((pages,),) = conn.execute("PRAGMA page_count").fetchall()
    if pages - free <= free:
        conn.execute("VACUUM")
    else:
        conn.executescript("PRAGMA incremental_vacuum;")


class immediate:
    """``with immediate(conn):`` one write transaction, rolled back on error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        """Roll back only a transaction still open: some errors (SQLITE_FULL, say) have
        already rolled it back, and a ROLLBACK then would hide them behind its own error."""
        if exc_type is None:
            try:
                self._conn.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


def oldest_rows_query(consumed: Sequence[int], partitions: int) -> tuple[str, tuple[int, ...]]:
    """The query for ``(id, envelopes, deliveries)`` of the oldest messages of the ``consumed``
    partitions, and its parameters but the last (the limit). It reads no body (a pack's is
    long): the fetch picks the messages that fit its batch first (``rows_of`` then)."""
    if len(consumed) == partitions:
        return f"{_HEAD} ORDER BY m.id LIMIT ?", ()
    ranges = [f"{_HEAD} WHERE m.partition = ?"] * len(consumed)
    return f"{' UNION ALL '.join(ranges)} ORDER BY 1 LIMIT ?", tuple(consumed)


def rows_of(conn: sqlite3.Connection, ids: Sequence[int]) -> list[tuple]:
    """``(id, partition, body, deliveries, envelopes)`` of the messages, in id order."""
    return conn.execute(
        f"{_MESSAGE} WHERE m.id IN ({_IDS}) ORDER BY m.id", (dumps_text(ids),)
    ).fetchall()


def insert_messages(conn: sqlite3.Connection, rows: Sequence[tuple[int, bytes, int]]) -> None:
    """``(partition, body, envelopes)`` rows appended in order (a pack's count noted)."""
    for partition, body, envelopes in rows:
        cursor = conn.execute(
            "INSERT INTO messages (partition, body) VALUES (?, ?)", (partition, body)
        )
        if envelopes > 1:
            conn.execute(
                "INSERT INTO packs (id, envelopes) VALUES (?, ?)", (cursor.lastrowid, envelopes)
            )


def count_deliveries(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """One more delivery for each message (``WHERE true`` lets SQLite parse the upsert)."""
    conn.execute(
        "INSERT INTO delivery_counts (id, deliveries) SELECT value, 1 FROM json_each(?)"
        " WHERE true ON CONFLICT (id) DO UPDATE SET deliveries = deliveries + 1",
        (dumps_text(ids),),
    )


def delete_messages(conn: sqlite3.Connection, ids: Sequence[int]) -> None:
    """Delete the messages, their delivery counts and pack counts."""
    listed = dumps_text(ids)
    conn.execute(f"DELETE FROM messages WHERE id IN ({_IDS})", (listed,))
    conn.execute(f"DELETE FROM delivery_counts WHERE id IN ({_IDS})", (listed,))
    conn.execute(f"DELETE FROM packs WHERE id IN ({_IDS})", (listed,))
    conn.execute(f"DELETE FROM pack_settled WHERE id IN ({_IDS})", (listed,))


def settle_parts(conn: sqlite3.Connection, parts: Sequence[tuple[int, int]]) -> None:
    """``(message id, part)``: envelopes of packs that stay (others of theirs are not
    settled yet), so that a consumer that dies before the rest is not handed them again."""
    conn.executemany("INSERT OR IGNORE INTO pack_settled (id, part) VALUES (?, ?)", parts)


def settled_parts(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, set[int]]:
    """The settled envelopes of the packs ``ids``, by message id."""
    found: dict[int, set[int]] = {}
    if ids:
        rows = conn.execute(
            f"SELECT id, part FROM pack_settled WHERE id IN ({_IDS})", (dumps_text(ids),)
        )
        for row_id, part in rows:
            found.setdefault(row_id, set()).add(part)
    return found


def move_to_dead_letters(
    conn: sqlite3.Connection,
    rows: Sequence[tuple],
    settled: dict[int, set[int]],
    reason: str,
    now: str,
) -> list[bytes]:
    """Give up on the messages ``rows`` (as ``rows_of`` read them; ``settled``: the parts of
    their packs already settled): a message into ``dead_letters``, deleted; of a pack, only
    its first unsettled envelope, the one the last deliveries handed out alone (spool.py),
    and the pack stays, its count back to 0, while it holds others. Returns the bodies
    dead-lettered, in order."""
    letters: list[tuple[int, bytes, str, int, str]] = []
    gone: list[int] = []
    for row_id, partition, body, deliveries, envelopes in rows:
        parts = split_pack(bytes(body), envelopes)
        done = settled.get(row_id, set())
        left = [n for n in range(len(parts)) if n not in done]
        if not left:  # every envelope settled already: nothing to give up
            gone.append(row_id)
            continue
        letters.append((partition, parts[left[0]], reason, deliveries, now))
        if len(left) > 1:
            settle_parts(conn, [(row_id, left[0])])
            conn.execute("UPDATE messages SET deliveries = 0 WHERE id = ?", (row_id,))
            conn.execute("DELETE FROM delivery_counts WHERE id = ?", (row_id,))
        else:
            gone.append(row_id)
    conn.executemany(f"{_DEAD_LETTER} VALUES (?, ?, ?, ?, ?)", letters)
    delete_messages(conn, gone)
    return [letter[1] for letter in letters]


def dead_letter_part(
    conn: sqlite3.Connection, row_id: int, body: bytes, reason: str, now: str
) -> None:
    """One envelope of a message (all of a plain one) into ``dead_letters``; the message
    stays until each of its envelopes is settled."""
    conn.execute(
        f"{_DEAD_LETTER} SELECT partition, ?, ?, deliveries, ? FROM ({_MESSAGE} WHERE m.id = ?)",
        (body, reason, now, row_id),
    )
