"""The webhook journal in front of the embedded queue (ingest/messaging/journal.py): what
``publish`` accepted reaches the queue once, in order, whether the process lives, is killed
before or after a move, or dies in the middle of a write or a wipe; nothing of a delivery
stays in the journal once it is moved and the journal is idle."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import msgspec
import pytest

from ingest.messaging import journal as journal_module
from ingest.messaging.journal import JournaledPublisher
from ingest.messaging.journal_file import (
    MAGIC,
    encode_frame,
    move_journal,
    move_orphans,
    read_frames,
)
from ingest.messaging.packs import split_pack
from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope, partition_for
from tests.integration.broker_support import make_envelope, start_script, wait_until

SHOPS = ("shop-a", "shop-b", "shop-c")
NEVER = (3600.0, 3600.0)  # a mover that never moves on its own


@pytest.fixture
def queue(tmp_path: Path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 2)
    yield queue
    queue.close()


def _envelopes(count: int, start: int = 0) -> list[Envelope]:
    return [make_envelope(SHOPS[seq % len(SHOPS)], seq) for seq in range(start, start + count)]


Row = tuple[int, str, int]  # partition, shop, resource id (a killed writer's ids are its own)


def _queued(queue: SQLiteQueue) -> list[Row]:
    """Every envelope in the queue, each partition's oldest first (read straight from the
    file, packs split)."""
    rows = queue._connection().execute(
        "SELECT m.partition, m.body, coalesce(p.envelopes, 1) FROM messages m"
        " LEFT JOIN packs p ON p.id = m.id ORDER BY m.id"
    )
    envelopes = [
        (partition, Envelope.from_json(part))
        for partition, body, count in rows
        for part in split_pack(bytes(body), count)
    ]
    return _by_partition([(partition, e.shop_id, e.resource_id) for partition, e in envelopes])


def _rows(envelopes: list[Envelope]) -> list[Row]:
    return _by_partition(
        [(partition_for(e.shop_id, 2), e.shop_id, e.resource_id) for e in envelopes]
    )


def _by_partition(rows: list[Row]) -> list[Row]:
    """Each partition's rows in their order: what the queue keeps (what is moved at once
    goes in packs, each partition's apart)."""
    return sorted(rows, key=lambda row: row[0])


def _order_of_3_kb(seq: int) -> Envelope:
    envelope = make_envelope(SHOPS[seq % len(SHOPS)], seq)
    return msgspec.structs.replace(envelope, body=json.dumps({"id": seq, "note": "x" * 3000}))


def _killed_writer(tmp_path: Path, count: int, moved: int) -> None:
    """A process that published ``count`` envelopes through its journal (the first ``moved``
    of them moved), killed with SIGKILL once all were accepted."""
    queue_path, journals = str(tmp_path / "broker.sqlite3"), str(tmp_path / "journal")
    process = start_script(
        "journal_writer", queue_path, journals, str(count), str(moved), stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == b"ready\n", process.stderr.read() if process.stderr else line
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def test_deliveries_reach_the_queue_in_order_and_an_idle_journal_keeps_none_of_them(
    queue: SQLiteQueue, tmp_path: Path
) -> None:
    journal = JournaledPublisher(queue, tmp_path / "journal", idle_seconds=0.05)
    envelopes = _envelopes(60)
    for envelope in envelopes:
        journal.publish([envelope])
    wait_until(lambda: len(_queued(queue)) == 60, 10, "the deliveries in the queue")
    assert _queued(queue) == _rows(envelopes)
    path = tmp_path / "journal" / "0.log"
    wait_until(lambda: path.stat().st_size == 24, 10, "the idle journal wiped")
    assert path.read_bytes()[:8] == MAGIC  # a fresh header, no delivery
    assert not journal.is_empty()  # they wait in the queue
    journal.close()
    assert path.stat().st_size == 0


def test_close_moves_what_waits_and_wipes_the_journal(queue: SQLiteQueue, tmp_path: Path) -> None:
    journal = JournaledPublisher(queue, tmp_path / "journal", gather_seconds=NEVER)
    envelopes = _envelopes(7)
    journal.publish(envelopes[:3])
    journal.publish(envelopes[3:])
    assert _queued(queue) == []
    journal.close()
    assert _queued(queue) == _rows(envelopes)
    assert (tmp_path / "journal" / "0.log").stat().st_size == 0


@pytest.mark.parametrize("moved", [0, 4, 10])
def test_what_a_killed_process_accepted_is_moved_once_by_the_next_publisher(
    queue: SQLiteQueue, tmp_path: Path, moved: int
) -> None:
    _killed_writer(tmp_path, 10, moved)
    assert len(_queued(queue)) == moved
    again = JournaledPublisher(queue, tmp_path / "journal", gather_seconds=NEVER)
    assert _queued(queue) == _rows(_envelopes(10))  # none lost, none twice, in order
    again.publish(_envelopes(2, start=10))  # it takes the journal over
    again.close()
    JournaledPublisher(queue, tmp_path / "journal").close()
    assert _queued(queue) == _rows(_envelopes(12))


def test_a_live_publisher_moves_the_journal_of_a_process_that_died(
    queue: SQLiteQueue, tmp_path: Path
) -> None:
    live = JournaledPublisher(queue, tmp_path / "journal", scan_seconds=0.05, idle_seconds=0.05)
    live.publish(_envelopes(1, start=100))  # it holds 0.log: the writer takes 1.log
    _killed_writer(tmp_path, 5, 0)
    wait_until(lambda: len(_queued(queue)) == 6, 10, "the dead process's deliveries")
    assert _queued(queue) == _rows(_envelopes(1, start=100) + _envelopes(5))
    live.close()


def test_two_live_publishers_write_journals_of_their_own(
    queue: SQLiteQueue, tmp_path: Path
) -> None:
    first = JournaledPublisher(queue, tmp_path / "journal", gather_seconds=NEVER)
    second = JournaledPublisher(queue, tmp_path / "journal", gather_seconds=NEVER)
    first.publish(_envelopes(2))
    second.publish(_envelopes(2, start=2))
    assert sorted(p.name for p in (tmp_path / "journal").iterdir()) == ["0.log", "1.log"]
    assert move_orphans(queue, tmp_path / "journal") == 0  # both are held
    first.close()
    second.close()
    assert sorted(_queued(queue)) == sorted(_rows(_envelopes(4)))


def test_a_frame_cut_short_by_a_crash_is_not_moved(queue: SQLiteQueue, tmp_path: Path) -> None:
    _killed_writer(tmp_path, 3, 0)
    path = tmp_path / "journal" / "0.log"
    torn = encode_frame(0, make_envelope("shop-a", 99).to_json())
    with path.open("ab") as file:
        file.write(torn[: len(torn) // 2])
    assert move_orphans(queue, tmp_path / "journal") == 3
    assert _queued(queue) == _rows(_envelopes(3))
    assert path.stat().st_size == 0


@pytest.mark.parametrize("left", ["zeros", "empty", "header only"])
def test_a_crash_while_a_moved_journal_starts_again_moves_nothing_twice(
    queue: SQLiteQueue, tmp_path: Path, left: str
) -> None:
    """The wipe writes zeros, truncates, then writes a new header: a crash after any step
    leaves a file with nothing to move (everything was moved before the wipe)."""
    _killed_writer(tmp_path, 4, 4)
    path = tmp_path / "journal" / "0.log"
    size = path.stat().st_size
    if left == "zeros":
        path.write_bytes(bytes(size))
    elif left == "empty":
        path.write_bytes(b"")
    else:
        path.write_bytes(MAGIC + os.urandom(16))
    assert move_orphans(queue, tmp_path / "journal") == 0
    assert _queued(queue) == _rows(_envelopes(4))


def test_when_the_journal_cannot_be_written_a_delivery_goes_to_the_queue_after_the_rest(
    queue: SQLiteQueue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = JournaledPublisher(queue, tmp_path / "journal", gather_seconds=NEVER)
    envelopes = _envelopes(5)
    journal.publish(envelopes[:3])
    write = os.pwrite

    def disk_full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal_module.os, "pwrite", disk_full)
    journal.publish(envelopes[3:4])
    assert _queued(queue) == _rows(envelopes[:4])  # the waiting three first
    monkeypatch.setattr(journal_module.os, "pwrite", write)
    journal.publish(envelopes[4:])
    journal.close()
    assert _queued(queue) == _rows(envelopes)


def test_frames_read_back_as_written_and_stop_at_a_bad_checksum() -> None:
    bodies = [(0, b"{}"), (1, b'{"a": 1}'), (0, bytes(range(256)))]
    data = b"".join(encode_frame(p, b) for p, b in bodies)
    assert read_frames(data, 0) == (bodies, len(data))
    broken = bytearray(data)
    broken[len(encode_frame(0, b"{}")) + 12] ^= 1  # a byte of the second body
    rows, end = read_frames(bytes(broken), 0)
    assert rows == bodies[:1] and end == len(encode_frame(0, b"{}"))


def test_move_journal_resumes_from_the_recorded_offset(queue: SQLiteQueue, tmp_path: Path) -> None:
    """A move records how far it got in the queue, in its own transaction: a second move of
    the same journal takes only what came after."""
    _killed_writer(tmp_path, 6, 2)
    path = tmp_path / "journal" / "0.log"
    data = path.read_bytes()
    fd = os.open(path, os.O_RDWR)
    try:
        assert move_journal(queue, fd, "0.log") == 4
    finally:
        os.close(fd)
    path.write_bytes(data)  # as if the wipe never happened
    fd = os.open(path, os.O_RDWR)
    try:
        assert move_journal(queue, fd, "0.log") == 0
    finally:
        os.close(fd)
    assert _queued(queue) == _rows(_envelopes(6))


def test_a_journal_past_its_size_starts_again_though_deliveries_wait(
    queue: SQLiteQueue, tmp_path: Path
) -> None:
    """Under steady load deliveries arrive while each move runs, so the journal is never
    all moved when the mover looks: past ``rotate_bytes`` it moves what waits itself and
    starts again (the mover's step, run here by hand: its own thread never moves)."""
    journal = JournaledPublisher(
        queue, tmp_path / "journal", gather_seconds=NEVER, rotate_bytes=64 * 1024
    )
    envelopes = [_order_of_3_kb(seq) for seq in range(40)]  # ~130 KB of journal
    for envelope in envelopes[:30]:
        journal.publish([envelope])
    path = tmp_path / "journal" / "0.log"
    journal._rotate(idle=True)  # idle: only a journal all moved starts again
    assert path.stat().st_size > 64 * 1024 and _queued(queue) == []
    journal._rotate(idle=False)
    assert path.stat().st_size == 24 and _queued(queue) == _rows(envelopes[:30])
    for envelope in envelopes[30:]:
        journal.publish([envelope])
    journal.close()
    assert _queued(queue) == _rows(envelopes)
