"""A shop's state rebuilt from its raw log into a fresh DuckDB file, then swapped in.

Used by ``wcpulse replay`` and by a GDPR erasure. A fresh file matters for the erasure:
DuckDB keeps deleted rows in free blocks and its WAL, so deleting in place would leave the
erased customer on disk; a file built from the scrubbed log never held them.

``unit`` is the shop's writer (``processors.shop_unit.ShopUnit``, the pipeline): the
rebuild swaps its state and replays the log through its ``apply``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from processors.collector import collector_paused
from processors.decoded import Decoded
from processors.read_ahead import read_ahead
from processors.shop_unit import ShopUnit
from schemas.envelope import Envelope
from store.state import DuckDBStateStore

# Envelopes a replay applies at once: a batch's statements cost about the same for 5,000
# rows as for 20,000, so bigger batches replay about 15% faster (memory: ~50 MB of bodies).
BATCH_ROWS = 20_000


@dataclass(frozen=True)
class LogCounts:
    events: int
    applied: int
    unprocessable: int


def scratch_path(target: Path) -> Path:
    """Where a rebuild of ``target`` is written before it replaces it."""
    return target.with_name(target.stem + ".rebuild.duckdb")


def remove_db(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            candidate.unlink()


def replay_log(
    unit: ShopUnit,
    now: datetime,
    batch_rows: int = BATCH_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> LogCounts:
    """Apply the whole raw log, in log order, to ``unit.state`` (jobs included).

    Two stages: a thread reads and decodes the next batch (Python) while this one applies
    the batch before (mostly DuckDB, which lets go of the interpreter while it works).
    Decoding reads nothing of the state, so the order of the log is kept. The collector
    stays off for the whole replay (``processors/collector.py``: a batch holds no cycles),
    in both threads."""
    events = applied = unprocessable = 0
    unit.rawlog.recover()  # a compaction cut short would have logged some envelopes twice
    decoding = read_ahead(_decoded(unit, batch_rows), "wcpulse-replay-decode")
    with collector_paused(), decoding as batches:
        for batch, decoded, failures in batches:
            result, failures = unit.apply_decoded(batch, decoded, failures, now, log_raw=False)
            events += len(batch)
            applied += result.applied
            unprocessable += len(failures)
            if on_progress is not None:
                on_progress(events)
    return LogCounts(events, applied, unprocessable)


def _decoded(
    unit: ShopUnit, batch_rows: int
) -> Iterator[tuple[list[Envelope], list[Decoded], dict[int, str]]]:
    """The raw log's batches, each with its decoded events and its failures."""
    for batch in unit.rawlog.read_batches(batch_rows):
        failures: dict[int, str] = {}
        yield batch, unit.decode(batch, False, failures), failures


def install_state(unit: ShopUnit, fresh: Path, target: Path) -> None:
    """Make the state open at ``fresh`` the pipeline's state at ``target``: checkpoint,
    close, rename over ``target`` (whose own connection is closed already), reopen."""
    unit.state.connection.execute("CHECKPOINT")
    unit.state.close()
    target_wal = target.with_name(target.name + ".wal")
    if target_wal.exists():  # it would be replayed onto the new file
        target_wal.unlink()
    os.replace(fresh, target)
    unit.state = DuckDBStateStore(target)
    unit.state_path = target


def rebuild_state(unit: ShopUnit, now: datetime, batch_rows: int = BATCH_ROWS) -> LogCounts:
    """Replay the raw log into a fresh file beside the state and swap it in; on failure
    the pipeline keeps its current state."""
    target = Path(unit.state_path)
    fresh = scratch_path(target)
    remove_db(fresh)
    previous = unit.state
    unit.state = DuckDBStateStore(fresh)
    try:
        counts = replay_log(unit, now, batch_rows)
    except BaseException:
        unit.state.close()
        unit.state = previous
        remove_db(fresh)
        raise
    previous.close()
    install_state(unit, fresh, target)
    return counts
