"""The webhook journal's file (``journal.py`` writes it): a header (magic, a random epoch)
and frames (body length, CRC-32 of partition and body, partition, body); how far a journal
is moved lives in the queue (``queue_meta``: ``journal:<file>`` = ``<epoch>:<offset>``),
written in the transaction that moved the rows. Reading stops at the first frame that does
not check (a write cut short by a crash: never answered 2xx). A wiped journal is zeros, then
empty, then a new header: nothing in it is left to move at any step.
"""

from __future__ import annotations

import fcntl
import os
import struct
import zlib
from pathlib import Path

import structlog

from ingest.messaging.spool import SQLiteQueue

log = structlog.get_logger(__name__)

MAGIC = b"WCPJRN01"
HEADER = struct.Struct("<8s16s")  # magic, epoch
_FRAME = struct.Struct("<IIH")  # body length, CRC-32 of partition + body, partition
MOVE_ROWS = 1000  # rows per transaction when a whole journal is moved
Row = tuple[int, bytes]  # (partition, body)


def _crc(partition: int, body: bytes) -> int:
    return zlib.crc32(body, zlib.crc32(struct.pack("<H", partition)))


def encode_frame(partition: int, body: bytes) -> bytes:
    return _FRAME.pack(len(body), _crc(partition, body), partition) + body


def read_frames(data: bytes, start: int) -> tuple[list[Row], int]:
    """The rows of the whole frames from ``start``, and where the last of them ends."""
    rows, at = [], start
    while at + _FRAME.size <= len(data):
        length, crc, partition = _FRAME.unpack_from(data, at)
        body = data[at + _FRAME.size : at + _FRAME.size + length]
        if len(body) < length or _crc(partition, body) != crc:
            break
        rows.append((partition, body))
        at += _FRAME.size + length
    return rows, at


def _epoch_of(data: bytes) -> str | None:
    if len(data) < HEADER.size:
        return None
    magic, epoch = HEADER.unpack_from(data, 0)
    return epoch.hex() if magic == MAGIC else None


def try_lock(path: Path) -> int | None:
    """An open descriptor of ``path`` holding its exclusive lock, or None if it is held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    return os.pread(fd, size, 0) if size else b""


def wipe(fd: int, size: int) -> None:
    """Zeros over the file's bytes, then nothing left of it."""
    if size:
        os.pwrite(fd, bytes(size), 0)
    os.ftruncate(fd, 0)


def move_journal(queue: SQLiteQueue, fd: int, name: str) -> int:
    """Move what the locked journal ``fd`` holds and has not moved into ``queue``, then wipe
    it; returns how many rows moved."""
    data = _read_all(fd)
    epoch = _epoch_of(data)
    moved = 0
    if epoch is not None:
        key = f"journal:{name}"
        mark_epoch, _, mark_offset = (queue.meta(key) or "").partition(":")
        start = int(mark_offset) if mark_epoch == epoch else HEADER.size
        rows, _ = read_frames(data, start)
        at = start
        for first in range(0, len(rows), MOVE_ROWS):
            chunk = rows[first : first + MOVE_ROWS]
            at += sum(_FRAME.size + len(body) for _, body in chunk)
            queue.publish_raw(chunk, mark=(key, f"{epoch}:{at}"))
            moved += len(chunk)
    wipe(fd, len(data))
    return moved


def move_orphans(queue: SQLiteQueue, directory: Path) -> int:
    """Move every journal in ``directory`` that no live process holds; returns the rows."""
    moved = 0
    for path in sorted(directory.glob("*.log")):
        fd = try_lock(path)
        if fd is None:
            continue
        try:
            moved += move_journal(queue, fd, path.name)
        finally:
            os.close(fd)  # the lock goes with it
    if moved:
        log.warning("journal_orphans_moved", rows=moved, directory=str(directory))
    return moved
