"""``publish``: what one small batch costs on shops of 10k, 100k and 1M orders (issue 11).

On each shop (``bench/publish_shop.py``: built once through ``ShopPipeline.apply`` and kept
under ``var/bench-cache/``, copied for each run; the day's RFM, CLV, churn and products jobs
and a publish run first, by today's code, not counted) a fresh 100-event batch
(``bench/publish_batch.py``: new orders, new customers and guests, updates of recent
orders, a refund, customer updates) goes through ``ShopPipeline.apply`` and then
``ShopPipeline.publish``, as the consumer does, REPEATS times after WARMUP batches. The
figures are the median and p95 of apply, publish and both, per shop; the verdict is the
ratio of the biggest shop's median to the 10k shop's (target: 1M within 2x of 10k, since
a publish should cost what changed, not what the shop holds). Probes split the time into
the publish's parts, where those functions still exist.
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.logs import configure_discarded_logging
from bench.options import Options
from bench.probes import probing
from bench.profiling import profiled
from bench.publish_batch import BATCH_EVENTS, MIX, BatchSource
from bench.publish_parts import (
    PartProbes,
    breakdown,
    fmt_seconds,
    part_paths,
    part_probes,
    print_parts,
)
from bench.publish_shop import CACHE_ROOT, PreparedShop, prepare, run_jobs
from bench.stats import percentile
from processors.pipeline import ShopPipeline
from schemas.shop import ShopConfig

TARGET_RATIO = 2.0
REPEATS = 15
WARMUP = 1
SEED = 11
SHOP = ShopConfig("shp_bench_publish", "Bench", "https://shop.example", currency="PLN")


@dataclass
class ShopRun:
    orders: int
    customers: int
    apply: list[float] = field(default_factory=list)
    publish: list[float] = field(default_factory=list)
    applied: int = 0
    refused: int = 0
    unchanged_versions: int = 0
    parts: dict[str, float] = field(default_factory=dict)  # label -> mean seconds per batch

    @property
    def total(self) -> list[float]:
        return [a + p for a, p in zip(self.apply, self.publish, strict=True)]


def size_label(orders: int) -> str:
    if orders >= 1_000_000 and orders % 1_000_000 == 0:
        return f"{orders // 1_000_000}M"
    return f"{orders // 1000}k" if orders % 1000 == 0 else f"{orders:,}"


def _batch(pipeline: ShopPipeline, source: BatchSource, run: ShopRun, version: str) -> str:
    """One batch applied and published; its times go into ``run``."""
    now = datetime.now(UTC)
    batch = source.next_batch(now)
    started = time.perf_counter()
    result, failures = pipeline.apply(batch, now)
    applied = time.perf_counter()
    new_version = pipeline.publish(now)
    published = time.perf_counter()
    run.apply.append(applied - started)
    run.publish.append(published - applied)
    run.applied += result.applied
    run.refused += len(failures)
    run.unchanged_versions += new_version == version
    return new_version


def _measure(prepared: PreparedShop, options: Options, found: PartProbes) -> ShopRun:
    history = prepared.history
    run = ShopRun(history.orders, history.customers)
    source = BatchSource(history, SHOP.shop_id, SEED + history.orders)
    pipeline = ShopPipeline(prepared.data_dir, SHOP)
    try:
        _run_todays_jobs(pipeline)
        version = ""
        for _ in range(WARMUP):
            version = _batch(pipeline, source, ShopRun(0, 0), version)
        label = f"apply + publish on the {size_label(history.orders)} shop"
        with probing(found.targets) as probes, profiled(options.profile, label):
            for _ in range(REPEATS):
                version = _batch(pipeline, source, run, version)
    finally:
        pipeline.close()
    wholes = (statistics.fmean(run.apply), statistics.fmean(run.publish))
    run.parts = breakdown(probes, found, wholes, REPEATS)
    return run


def _run_todays_jobs(pipeline: ShopPipeline) -> None:
    """The day's scheduled jobs and a publish, by today's code (not counted): the state
    then holds what this code keeps for them, whatever code built the cached shop."""
    started = time.perf_counter()
    run_jobs(pipeline, datetime.now(UTC))
    pipeline.publish(datetime.now(UTC))
    took = f"{time.perf_counter() - started:.1f} s (not counted)"
    report.line("jobs rfm, clv, churn, products + a publish", took)


def _print_prepared(prepared: PreparedShop) -> None:
    history = prepared.history
    size = f"{history.orders:,} orders, {history.customers:,} customers"
    how = "from the cache" if prepared.was_cached else "built now"
    ready = f"{how}, copied for this run in {prepared.copy_seconds:.1f} s"
    report.line("shop", f"{size} (history up to {prepared.built_at})")
    report.line("state", ready)


def _print_shop(run: ShopRun) -> None:
    for what, samples in (
        ("apply", run.apply),
        ("publish", run.publish),
        ("apply + publish", run.total),
    ):
        p50, p95 = statistics.median(samples), percentile(samples, 95)
        report.line(what, f"p50 {fmt_seconds(p50):>8}   p95 {fmt_seconds(p95):>8}")
    events = REPEATS * BATCH_EVENTS
    report.line("events applied", f"{run.applied:,} of {events:,} ({run.refused} refused)")
    if run.refused or run.unchanged_versions:
        same = f"{run.unchanged_versions} publishes left the version as it was"
        report.note(f"WARNING: {run.refused} envelopes refused, {same}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report.line("peak memory of this process", f"{peak:,.0f} MiB")


def _conclude(runs: list[ShopRun], found: PartProbes) -> dict[str, Any]:
    base, top = runs[0], runs[-1]
    medians = {size_label(run.orders): statistics.median(run.total) for run in runs}
    ratio = medians[size_label(top.orders)] / medians[size_label(base.orders)]
    met = ratio <= TARGET_RATIO and not any(run.refused for run in runs)
    figure = f"{size_label(top.orders)}/{size_label(base.orders)} = {ratio:.1f}x"
    report.verdict(figure, f"1M within {TARGET_RATIO:.0f}x of 10k", met, TARGET_RATIO / ratio)
    shown = ", ".join(f"{label} {fmt_seconds(seconds)}" for label, seconds in medians.items())
    return report.emit(
        "publish",
        {
            "headline": f"{figure} ({shown})",
            "ratio": round(ratio, 2),
            "batch_events": BATCH_EVENTS,
            "repeats": REPEATS,
            "shops": {size_label(run.orders): _figures(run, found) for run in runs},
            "target_ratio": TARGET_RATIO,
            "met": met,
        },
    )


def _figures(run: ShopRun, found: PartProbes) -> dict[str, Any]:
    def ms(samples: list[float], pct: float) -> float:
        return round(percentile(samples, pct) * 1000, 1)

    figures: dict[str, Any] = {"orders": run.orders, "customers": run.customers}
    for what, samples in (("apply", run.apply), ("publish", run.publish), ("total", run.total)):
        figures[what] = {"p50_ms": ms(samples, 50), "p95_ms": ms(samples, 95)}
    paths = part_paths(run.parts, found.labels)
    figures["parts_ms"] = {path: round(seconds * 1000, 1) for path, seconds in paths.items()}
    return figures


def _run_shop(orders: int, options: Options, found: PartProbes) -> ShopRun:
    """Measure a copy of the cached shop of ``orders`` (the copy is removed after)."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="run-", dir=CACHE_ROOT) as tmp:
        prepared = prepare(SHOP, orders, SEED, Path(tmp))
        _print_prepared(prepared)
        return _measure(prepared, options, found)


def run(options: Options) -> dict[str, Any]:
    configure_discarded_logging()
    sizes = (10_000, 100_000) if options.quick else (10_000, 100_000, 1_000_000)
    shown = ", ".join(size_label(orders) for orders in sizes)
    report.heading(
        "publish", f"apply + publish one {BATCH_EVENTS}-event batch, shops of {shown} orders"
    )
    report.note("batch: " + ", ".join(f"{count} {kind}" for kind, count in MIX.items()))
    report.note(f"{REPEATS} batches per shop after {WARMUP} warm-up (so p95 is the slowest one)")
    report.note(f"shops cached in {CACHE_ROOT}")
    report.note("(delete a shop's folder there to build it again; building 1M takes minutes)")
    found = part_probes()
    runs = []
    for orders in sizes:
        report.note("")
        report.note(f"[{size_label(orders)} shop]")
        runs.append(_run_shop(orders, options, found))
        _print_shop(runs[-1])
    print_parts([(size_label(run.orders), run.parts) for run in runs], found)
    if options.quick:
        report.note("(--quick: the biggest shop is 100k; the target is on the 1M shop)")
    return _conclude(runs, found)
