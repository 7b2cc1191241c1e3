"""``replay``: rebuild a shop from its raw log (SPEC 7: 1,000,000 orders in under 60 s).

A raw log of order events is written with ``ParquetRawLog.append`` in files of 500 rows
(what the consumer writes at its default batch size under load), then
``processors.replay.replay_shop`` is timed: read, decode, apply to a fresh DuckDB file,
swap it in, publish the views. A thread reads and decodes the next batch while the one
before is applied, so the parts of the breakdown overlap. The default size is 200,000
events (20,000 with --quick) and the time for a million is EXTRAPOLATED linearly from the
measured rate; ``--full`` replays a real million.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.breakdown import breakdown_seconds, print_breakdown
from bench.logs import configure_discarded_logging
from bench.options import Options
from bench.probes import Probes, probing
from bench.processors import PIPELINE_PROBES, SHOP
from bench.profiling import profiled
from bench.rawlogs import FILE_ROWS, write_raw_log
from processors.replay import ReplayReport, replay_shop
from schemas.clock import SystemClock

TARGET_SECONDS = 60.0
MILLION = 1_000_000


def _timed_replay(count: int, options: Options) -> tuple[ReplayReport, float, float, Probes]:
    """Write the raw log (not timed), then replay it; returns the report, wall and CPU."""
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        files = write_raw_log(data_dir, SHOP.shop_id, count)
        took = time.perf_counter() - started
        report.line("raw log written", f"{files:,} files in {took:.1f} s (not timed)")
        with probing(PIPELINE_PROBES) as probes, profiled(options.profile, "replay_shop"):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = replay_shop(data_dir, SHOP, SystemClock())
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return result, wall, cpu, probes


def run(options: Options) -> dict[str, Any]:
    configure_discarded_logging()
    count = options.size(quick=20_000, default=200_000, full=MILLION)
    report.heading("replay", f"{count:,} order events from a raw log in files of {FILE_ROWS} rows")
    result, wall, cpu, probes = _timed_replay(count, options)
    events_per_s = report.rate(result.events, wall)
    million_s = MILLION / events_per_s
    how = "measured" if count >= MILLION else "extrapolated"
    applied = f"{result.applied:,} applied, {result.unprocessable} unprocessable"
    report.line("replayed", f"{result.events:,} events, {applied}")
    report.line("time (wall / CPU)", f"{wall:.1f} s / {cpu:.1f} s")
    report.line("events/s", report.fmt_rate(events_per_s))
    # the raw log is read and decoded by a thread beside the apply (processors/read_ahead.py)
    print_breakdown(probes, wall, result.events, "raw log read + other", overlapping=True)
    shown = "measured" if how == "measured" else f"EXTRAPOLATED from {count:,}"
    met = million_s < TARGET_SECONDS
    report.verdict(f"1M in {million_s:.0f} s ({shown})", "< 60 s", met, TARGET_SECONDS / million_s)
    return report.emit(
        "replay",
        {
            "headline": f"1M in {million_s:.0f} s ({how})",
            "events": result.events,
            "seconds": round(wall, 2),
            "events_per_s": round(events_per_s),
            "million_seconds": round(million_s, 1),
            "million_is": how,
            "breakdown_s": breakdown_seconds(probes),
            "target_s": TARGET_SECONDS,
            "met": met,
        },
    )
