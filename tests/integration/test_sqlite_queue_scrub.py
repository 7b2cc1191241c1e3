"""SQLiteQueue: what deleted messages leave on disk is gone once the queue is idle.

A file made by this version deletes with ``secure_delete = FAST`` and drops its free pages
at the next idle fetch (``scrub_freed``); a file made by an older version zeroes every
deleted message at the ack. Each test searches the queue's files, byte for byte, for a
marker only the deleted messages held.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import msgspec

from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope, partition_for
from tests.integration.broker_support import decode, drain, make_envelope

BIG_BODY_CHARS = 300_000  # a REST import page: a chain of overflow pages


def _marked(shop_id: str, seq: int, marker: str, big: bool = False) -> Envelope:
    envelope = make_envelope(shop_id, seq)
    body = {"id": seq, "billing": {"email": f"{marker}@example.com"}}
    if big:
        body["note"] = marker * (BIG_BODY_CHARS // len(marker))
    return msgspec.structs.replace(envelope, body=json.dumps(body))


def _files_holding(folder: Path, marker: str) -> list[str]:
    needle = marker.encode()
    return sorted(p.name for p in folder.iterdir() if p.is_file() and needle in p.read_bytes())


def _pragma(path: Path, name: str) -> int:
    conn = sqlite3.connect(path)
    try:
        ((value,),) = conn.execute(f"PRAGMA {name}").fetchall()
        return int(value)
    finally:
        conn.close()


def _checkpoint(path: Path) -> None:
    """What any later checkpoint does: the WAL's pages copied into the file, the WAL emptied."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    finally:
        conn.close()


def _shop_in(partition: int, partitions: int) -> str:
    return next(
        shop
        for shop in (f"shop-{i}" for i in range(100))
        if partition_for(shop, partitions) == partition
    )


def test_a_drained_queue_keeps_no_byte_of_the_messages_it_deleted(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite3"
    marker = f"erase-me-{uuid.uuid4().hex}"
    queue = SQLiteQueue(path, 2)
    queue.publish([_marked("shop-1", i, marker, big=i == 0) for i in range(300)])
    assert _pragma(path, "auto_vacuum") == 2  # INCREMENTAL: the free pages kept apart
    deliveries = drain(queue, 300)
    queue.ack(deliveries)
    _checkpoint(path)
    # the ack zeroed only what cost no write: the freed pages still hold the messages ...
    assert _files_holding(tmp_path, marker) == ["broker.sqlite3"]

    assert queue.fetch(10, timeout=0) == []  # ... until a fetch finds the queue idle

    assert _files_holding(tmp_path, marker) == []
    assert _pragma(path, "freelist_count") == 0
    queue.close()


def test_an_idle_partition_scrubs_its_deleted_messages_and_another_keeps_its_own(
    tmp_path: Path,
) -> None:
    """Most of the file is still in use (another partition's backlog): the free pages are
    dropped without rebuilding the file, and the waiting messages come out intact."""
    path = tmp_path / "broker.sqlite3"
    marker, kept = f"erase-me-{uuid.uuid4().hex}", f"keep-me-{uuid.uuid4().hex}"
    done, waiting = _shop_in(0, 2), _shop_in(1, 2)
    SQLiteQueue(path, 2).publish(
        [_marked(done, i, marker) for i in range(200)]
        + [_marked(waiting, i, kept, big=i % 50 == 0) for i in range(600)]
    )
    consumer = SQLiteQueue(path, 2, consume=[0])
    consumer.ack(drain(consumer, 200))

    assert consumer.fetch(10, timeout=0) == []  # idle: its partition is drained

    assert _files_holding(tmp_path, marker) == []
    assert _files_holding(tmp_path, kept) == ["broker.sqlite3"]
    other = SQLiteQueue(path, 2, consume=[1])
    envelopes = decode(drain(other, 600))
    assert [e.resource_id for e in envelopes] == list(range(600))
    assert all(kept in e.body for e in envelopes)
    consumer.close()
    other.close()


def test_a_file_of_an_older_version_zeroes_each_message_at_its_ack(tmp_path: Path) -> None:
    """A file without a separate free list (made before this version) cannot get one without
    rewriting it: its deletions are zeroed at once, as they always were."""
    path = tmp_path / "broker.sqlite3"
    older = sqlite3.connect(path)  # as an older version made it: auto_vacuum NONE
    older.execute("PRAGMA auto_vacuum = NONE")
    older.execute("CREATE TABLE IF NOT EXISTS queue_meta (key TEXT PRIMARY KEY, value TEXT)")
    older.close()
    marker = f"erase-me-{uuid.uuid4().hex}"
    queue = SQLiteQueue(path, 1)
    queue.publish([_marked("shop-1", i, marker, big=i == 0) for i in range(300)])
    assert _pragma(path, "auto_vacuum") == 0

    queue.ack(drain(queue, 300))
    _checkpoint(path)

    assert _files_holding(tmp_path, marker) == []  # no idle fetch needed
    assert _pragma(path, "freelist_count") > 0
    queue.close()
