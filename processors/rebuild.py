"""A shop's state rebuilt from its raw log into a fresh DuckDB file, then swapped in.

Used by ``wcpulse replay`` and by a GDPR erasure. A fresh file matters for the erasure:
DuckDB keeps deleted rows in free blocks and its WAL, so deleting in place would leave the
erased customer on disk; a file built from the scrubbed log never held them.

``pipeline`` is a ``processors.pipeline.ShopPipeline`` (not imported: the pipeline runs
erasures, which rebuild).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from store.state import DuckDBStateStore


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
    pipeline: Any,
    now: datetime,
    batch_rows: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> LogCounts:
    """Apply the whole raw log, in log order, to ``pipeline.state`` (jobs included)."""
    events = applied = unprocessable = 0
    for batch in pipeline.rawlog.read_batches(batch_rows):
        result, failures = pipeline.apply(batch, now, log_raw=False)
        events += len(batch)
        applied += result.applied
        unprocessable += len(failures)
        if on_progress is not None:
            on_progress(events)
    return LogCounts(events, applied, unprocessable)


def install_state(pipeline: Any, fresh: Path, target: Path) -> None:
    """Make the state open at ``fresh`` the pipeline's state at ``target``: checkpoint,
    close, rename over ``target`` (whose own connection is closed already), reopen."""
    pipeline.state.connection.execute("CHECKPOINT")
    pipeline.state.close()
    target_wal = target.with_name(target.name + ".wal")
    if target_wal.exists():  # it would be replayed onto the new file
        target_wal.unlink()
    os.replace(fresh, target)
    pipeline.state = DuckDBStateStore(target)
    pipeline.state_path = target


def rebuild_state(pipeline: Any, now: datetime, batch_rows: int = 5000) -> LogCounts:
    """Replay the raw log into a fresh file beside the state and swap it in; on failure
    the pipeline keeps its current state."""
    target = Path(pipeline.state_path)
    fresh = scratch_path(target)
    remove_db(fresh)
    previous = pipeline.state
    pipeline.state = DuckDBStateStore(fresh)
    try:
        counts = replay_log(pipeline, now, batch_rows)
    except BaseException:
        pipeline.state.close()
        pipeline.state = previous
        remove_db(fresh)
        raise
    previous.close()
    install_state(pipeline, fresh, target)
    return counts
