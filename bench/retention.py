"""``retention``: a raw log purge (``job.retention``) and the replay after it.

A raw log of order events (``bench.orders.order_stream``: new orders and, for about a third
of the deliveries, a later completion of a recent order), one delivery every 30 s, with a
rescoring job every 6 hours as the scheduler queues them, is written in files of 500 rows.
The purge is timed with a cutoff in the middle of the log (a 30-day retention), then the
purged log and an untouched copy are each replayed and every published view is compared:
the purge must not change what a replay builds. Default 200,000 events (20,000 with
--quick, 1,000,000 with --full). No target in the spec: the figures are the purge's rate
(about a replay's decoding: the whole log is decoded) and the share it drops.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from bench import report
from bench.logs import configure_discarded_logging
from bench.options import Options
from bench.orders import envelope_of, order_stream
from bench.processors import SHOP
from bench.rawlogs import FILE_ROWS
from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from processors.retention import purge_raw_log
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import RFM, dated_job_envelope
from schemas.views import VIEW_KEYS
from store.layout import shop_paths
from store.rawlog import ParquetRawLog
from store.view_files import read_view

START = datetime(2024, 1, 1, tzinfo=UTC)
SPACING = timedelta(seconds=30)  # between two deliveries
RESCORE_EVERY = timedelta(hours=6)  # WCPULSE_RFM_INTERVAL's default
KEEP_DAYS = 30
RETAINED = replace(SHOP, raw_retention_days=KEEP_DAYS)


def _stream(count: int) -> Iterator[Envelope]:
    """The log's envelopes in order: the deliveries, a rescoring every RESCORE_EVERY."""
    next_rescoring = START + RESCORE_EVERY
    for n, delivery in enumerate(order_stream(count, start=START)):
        at = START + SPACING * n
        if at >= next_rescoring:
            yield dated_job_envelope(SHOP.shop_id, RFM, at.date(), at)
            next_rescoring += RESCORE_EVERY
        yield envelope_of(delivery, SHOP.shop_id, at)


def _write(data_dir: Path, count: int) -> int:
    rawlog = ParquetRawLog(shop_paths(data_dir, SHOP.shop_id).raw_dir)
    stream = _stream(count)
    files = 0
    while chunk := list(islice(stream, FILE_ROWS)):
        rawlog.append(chunk, datetime.now(UTC))
        files += 1
    return files


def _views(data_dir: Path) -> dict[str, Any]:
    views_dir = shop_paths(data_dir, SHOP.shop_id).views_dir
    found = {}
    for name, keys in VIEW_KEYS.items():
        table = read_view(views_dir, name)
        if table is not None:
            found[name] = table.sort_by([(key, "ascending") for key in keys])
    return found


def _replayed(data_dir: Path, now: datetime) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    replay_shop(data_dir, RETAINED, FixedClock(now))
    return _views(data_dir), time.perf_counter() - started


def run(options: Options) -> dict[str, Any]:
    configure_discarded_logging()
    count = options.size(quick=20_000, default=200_000, full=1_000_000)
    report.heading("retention", f"purge of a raw log of {count:,} order events, then replay")
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        purged_dir, kept_dir = Path(tmp) / "purged", Path(tmp) / "kept"
        files = _write(purged_dir, count)
        shutil.copytree(purged_dir, kept_dir)
        middle = START + SPACING * (count // 2)
        at = middle + timedelta(days=KEEP_DAYS)
        report.line("raw log written", f"{files:,} files (not timed), cutoff mid-log")
        pipeline = ShopPipeline(purged_dir, RETAINED)
        try:
            envelopes = pipeline.rawlog.count()
            pipeline.rawlog.append(  # the batch the job arrives in (the purge leaves it)
                [dated_job_envelope(SHOP.shop_id, "retention", at.date(), at)], at
            )
            wall0, cpu0 = time.perf_counter(), time.process_time()
            done = purge_raw_log(pipeline, KEEP_DAYS, at)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        finally:
            pipeline.close()
        purged_views, purged_s = _replayed(purged_dir, at)
        kept_views, kept_s = _replayed(kept_dir, at)
    identical = purged_views.keys() == kept_views.keys() and all(
        purged_views[name].equals(kept_views[name]) for name in kept_views
    )
    per_s = report.rate(done.envelopes, wall)
    report.line("log", f"{envelopes:,} envelopes ({count:,} order events + rescorings)")
    report.line("purge (wall / CPU)", f"{wall:.1f} s / {cpu:.1f} s")
    report.line("envelopes/s", report.fmt_rate(per_s))
    report.line("1M envelopes", f"{1_000_000 / per_s:.0f} s (from this rate)")
    share = done.dropped / envelopes if envelopes else 0.0
    report.line("dropped", f"{done.dropped:,} envelopes ({share:.0%} of the log)")
    report.line("replay after / before purge", f"{purged_s:.1f} s / {kept_s:.1f} s")
    report.line("views", "identical" if identical else "DIFFERENT")
    report.verdict(f"views {'identical' if identical else 'DIFFERENT'}", "identical", identical)
    return report.emit(
        "retention",
        {
            "headline": f"{per_s:,.0f} envelopes/s, {share:.0%} dropped, views "
            + ("identical" if identical else "DIFFERENT"),
            "envelopes": envelopes,
            "dropped": done.dropped,
            "purge_s": round(wall, 2),
            "envelopes_per_s": round(per_s),
            "replay_purged_s": round(purged_s, 2),
            "replay_kept_s": round(kept_s, 2),
            "identical": identical,
            "met": identical,
        },
    )
