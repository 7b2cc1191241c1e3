"""Rebuild a shop's state and views from its raw event log (``wcpulse replay SHOP``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from processors.pipeline import ShopPipeline
from processors.rebuild import BATCH_ROWS, install_state, remove_db, replay_log
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
    batch_rows: int = BATCH_ROWS,
    on_progress: Callable[[int], None] | None = None,
) -> ReplayReport:
    """Apply the whole raw log to a fresh state file, swap it in, publish the views.

    The current state file is not opened (it may be what needs replacing).
    Raises store.errors.StateLocked when a processor holds the shop.
    """
    paths = shop_paths(data_dir, shop.shop_id)
    fresh = paths.root / "state.replay.duckdb"
    remove_db(fresh)
    pipeline = ShopPipeline(data_dir, shop, state_path=fresh)
    # its views are built whole at the end (a fresh state has no materialised tables), from
    # the state, not from a list of what changed: ~1M such rows would cost their inserts
    pipeline.state.note_changes = False
    try:
        counts = replay_log(pipeline, clock.now(), batch_rows, on_progress)
        install_state(pipeline, fresh, paths.state_db)
        version = pipeline.publish(clock.now())
    finally:
        pipeline.close()
    log.info("replay_done", shop_id=shop.shop_id, events=counts.events, applied=counts.applied)
    return ReplayReport(counts.events, counts.applied, counts.unprocessable, version)
