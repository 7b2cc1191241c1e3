"""A shop's state rebuilt from its raw log into a fresh DuckDB file, then swapped in.

Used by ``wcpulse replay`` and by a GDPR erasure. A fresh file matters for the erasure:
DuckDB keeps deleted rows in free blocks and its WAL, so deleting in place would leave the
erased customer on disk; a file built from the scrubbed log never held them.

``unit`` is the shop's writer (``processors.shop_unit.ShopUnit``, the pipeline): the
rebuild swaps its state and replays the log through its ``apply``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from processors.collector import collector_paused
from processors.shop_unit import ShopUnit
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
    """Apply the whole raw log, in log order, to ``unit.state`` (jobs included)."""
    events = applied = unprocessable = 0
    batches = unit.rawlog.read_batches(batch_rows)
    while True:
        with collector_paused():  # reading a batch makes 20,000 envelopes, none in a cycle
            batch = next(batches, None)
        if batch is None:
            break
        result, failures = unit.apply(batch, now, log_raw=False)
        events += len(batch)
        applied += result.applied
        unprocessable += len(failures)
        if on_progress is not None:
            on_progress(events)
    return LogCounts(events, applied, unprocessable)


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
