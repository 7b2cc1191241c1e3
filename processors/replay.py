"""Rebuild a shop's state and views from its raw event log (``wcpulse replay SHOP``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from processors.pipeline import ShopPipeline
from schemas.clock import Clock
from schemas.shop import ShopConfig
from store.layout import shop_paths

log = structlog.get_logger("wcpulse.replay")


@dataclass(frozen=True)
class ReplayReport:
    events: int
    applied: int
    unprocessable: int
    views_version: str


def replay_shop(
    data_dir: Path,
    shop: ShopConfig,
    clock: Clock,
    batch_rows: int = 5000,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Apply the whole raw log to a fresh state file, swap it in, publish the views.

    Raises store.errors.StateLocked when a processor holds the shop.
    """
    paths = shop_paths(data_dir, shop.shop_id)
    fresh = paths.root / "state.replay.duckdb"
    _remove_db(fresh)
    pipeline = ShopPipeline(data_dir, shop, state_path=fresh)
    events = applied = unprocessable = 0
    try:
        for batch in pipeline.rawlog.read_batches(batch_rows):
            result, failures = pipeline.apply(batch, clock.now(), log_raw=False)
            events += len(batch)
            applied += result.applied
            unprocessable += len(failures)
            if on_progress is not None:
                on_progress(events)
        pipeline.state.connection.execute("CHECKPOINT")
        pipeline.state.close()
        _remove_db(paths.state_db)
        os.replace(fresh, paths.state_db)
        pipeline.state = type(pipeline.state)(paths.state_db)
        version = pipeline.publish(clock.now())
    finally:
        pipeline.close()
    log.info("replay_done", shop_id=shop.shop_id, events=events, applied=applied)
    return ReplayReport(events, applied, unprocessable, version)


def _remove_db(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            candidate.unlink()
