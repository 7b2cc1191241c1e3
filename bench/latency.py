"""``latency``: webhook -> visible in the API, p95 at 200 events/s (SPEC 7: p95 < 1 s).

``wcpulse run`` (embedded defaults: SQLiteQueue, SQLite metadata, views every 0.5 s) runs
as a subprocess on a free port; signed webhooks are POSTed at a steady 200/s while
watchers (``bench/latency_watch.py``) poll ``/orders`` listings and note when each order
first appears. Latency is from the moment the webhook's POST started to the moment the
API answer showing it was read, so it includes the poll interval (one poll every 20 ms,
all watchers together) and the listing's own time. The first second of the stream is
warm-up (not counted).

- default and ``--quick``: a new, empty shop; new orders only (20 s, or 5 s).
- ``--full``: a shop that already holds 1,000,000 orders of about 200,000 customers
  (``bench/latency_shop.py``: ``bench publish``'s cached shop, registered with
  ``wcpulse shop add``). The service first does its start-up work (the scheduler's RFM,
  CLV, backtest and churn jobs and the whole publish after them; waited for, not
  measured), then gets LIVE_SECONDS of ``bench publish``'s realistic traffic
  (``bench/latency_stream.py``): new orders are watched in the order list, updated ones
  in the list of completed and refunded orders, each kept to the days of the orders
  watched; customer events are sent, not watched.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.latency_report import Measured, figures_of, print_figures
from bench.latency_shop import (
    ORDERS,
    prepare_live_shop,
    print_live_shop,
    wait_for_start_up,
)
from bench.latency_stream import Stream, new_orders, shop_stream
from bench.latency_watch import POLL_SECONDS, Watcher
from bench.loadgen import open_loop
from bench.options import Options
from bench.publish_shop import CACHE_ROOT
from bench.service import WcpulseService, cpu_seconds, stop
from bench.stats import percentile

TARGET_P95 = 1.0
RATE = 200.0
SETTLE_SECONDS = 15.0
LIVE_SECONDS = 60
LIVE_SEED = 23  # the live stream's draws (customers, updates)


def _measure(
    service: WcpulseService, process: subprocess.Popen[bytes], shop: dict[str, Any], stream: Stream
) -> Measured:
    poll = POLL_SECONDS * len(stream.probes)  # all watchers together: one poll per 20 ms
    watchers = [
        Watcher(service.port, shop, probe.expected, probe.query, poll) for probe in stream.probes
    ]
    for watcher in watchers:
        watcher.start()
    log_path = service.data_dir / "run.log"
    log_from = log_path.stat().st_size if log_path.exists() else 0
    cpu, started = cpu_seconds(process.pid), time.perf_counter()
    sent = open_loop(service.port, stream.requests, RATE)
    deadline = time.monotonic() + SETTLE_SECONDS
    for watcher in watchers:
        watcher.join(timeout=max(0.0, deadline - time.monotonic()))
    for watcher in watchers:
        watcher.stop()
        watcher.join(timeout=5)
    wall, cpu = time.perf_counter() - started, cpu_seconds(process.pid) - cpu
    peak = _peak_memory_mib(process.pid)
    return Measured(stream, sent, watchers, wall, cpu, peak, log_from)


def _peak_memory_mib(pid: int) -> float:
    """The process's peak resident memory so far (Linux /proc, VmHWM), in MiB."""
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    return 0.0


def _on_new_shop(work_dir: Path, count: int) -> Measured:
    service = WcpulseService(work_dir / "data")
    service.data_dir.mkdir()
    shop = service.add_shop()
    process = service.start("run")
    try:
        measured = _measure(service, process, shop, new_orders(service.port, shop, count))
    finally:
        stop(process)
    return measured


def _on_big_shop(work_dir: Path, count: int) -> Measured:
    live = prepare_live_shop(work_dir)
    print_live_shop(live)
    since = datetime.now(UTC)
    process = live.service.start("run")
    try:
        took = wait_for_start_up(live, process, since)
        report.line("start-up jobs + whole publish", f"{took:.0f} s (not measured)")
        history = live.prepared.history  # the stream is dated now, after the start-up
        stream = shop_stream(live.service.port, live.shop, history, LIVE_SEED, count)
        measured = _measure(live.service, process, live.shop, stream)
    finally:
        stop(process)
    return measured


def run(options: Options) -> dict[str, Any]:
    big = options.full and not options.quick
    seconds = 5 if options.quick else LIVE_SECONDS if big else 20
    count = int(RATE * seconds)
    what = f"webhook -> API at {RATE:.0f}/s for {seconds} s ({count:,} events), wcpulse run"
    history = f"a shop with {ORDERS:,} orders" if big else "a new, empty shop"
    report.heading("latency", f"{what}, {history}")
    if big:
        CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="latency-", dir=CACHE_ROOT if big else None) as tmp:
        measured = (_on_big_shop if big else _on_new_shop)(Path(tmp), count)
        log_path = Path(tmp) / "data" / "run.log"
        figures = figures_of(measured, int(RATE), log_path)
    print_figures(figures, SETTLE_SECONDS)
    if not big:
        report.note("(a new shop; --full measures a shop with 1,000,000 orders)")
    return _verdict(figures, seconds, ORDERS if big else 0)


def _verdict(figures: dict[str, Any], seconds: int, orders: int) -> dict[str, Any]:
    samples = figures.pop("samples")
    p95 = percentile(samples, 95) if samples else None
    broken = figures["not_visible"] or figures["not_sent"]
    met = p95 is not None and p95 < TARGET_P95 and not broken
    shown = "n/a" if p95 is None else f"{p95 * 1000:,.0f} ms"
    shop = f"{orders // 1_000_000}M-order shop" if orders else "new shop"
    report.verdict(f"p95 {shown}", "p95 < 1 s", met, None if p95 is None else TARGET_P95 / p95)
    return report.emit(
        "latency",
        {"headline": f"p95 {shown} ({shop})", "rate": RATE, "seconds": seconds, "orders": orders}
        | figures
        | {"p95_s": None if p95 is None else round(p95, 3), "target_p95_s": TARGET_P95}
        | {"met": met},
    )
