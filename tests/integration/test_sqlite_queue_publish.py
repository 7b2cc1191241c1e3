"""SQLiteQueue.publish on a real SQLite file: durable on return, all-or-nothing on failure."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from ingest.errors import PublishError
from ingest.messaging.spool import SQLiteQueue
from tests.integration.broker_support import make_envelope


def _rows_holding(path: Path, envelope_id: str) -> int:
    """Count, from a connection of its own, the stored messages that hold ``envelope_id``."""
    with sqlite3.connect(path) as other:
        row = other.execute(
            "SELECT count(*) FROM messages WHERE instr(body, ?) > 0", (envelope_id.encode(),)
        ).fetchone()
    return int(row[0])


def test_every_concurrent_publish_is_readable_from_another_connection_when_it_returns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue.sqlite3"
    queue = SQLiteQueue(path, 4)
    missing: list[str] = []

    def publisher(shop: str) -> None:
        for seq in range(25):
            envelope = make_envelope(shop, seq)
            queue.publish([envelope])
            if _rows_holding(path, envelope.envelope_id) != 1:
                missing.append(envelope.envelope_id)

    threads = [threading.Thread(target=publisher, args=(f"shop-{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    try:
        assert missing == []
        assert queue.depth() == 150
    finally:
        queue.close()


def test_a_publish_the_file_has_no_room_for_fails_stores_nothing_and_the_next_succeeds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue.sqlite3"
    queue = SQLiteQueue(path, 1)
    conn = queue._connection()  # a real limit of this connection: SQLITE_FULL on a new page
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    try:
        with pytest.raises(PublishError, match="full"):
            queue.publish([make_envelope("shop-a", n) for n in range(50)])
        assert not conn.in_transaction
        assert _count(path) == 0
        conn.execute("PRAGMA max_page_count = 1073741823")
        queue.publish([make_envelope("shop-a", 1)])
        assert _count(path) == 1
    finally:
        queue.close()


def _count(path: Path) -> int:
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT count(*) FROM messages").fetchone()[0])
