"""``processors``: order events applied per second by one consumer (SPEC 7: >= 20,000/s/core).

Order envelopes are published into an embedded ``SQLiteQueue`` in a temporary folder, then
``Consumer.run_once`` is timed until the queue is drained and the views are published (view
cadence as in production: every 0.5 s while busy, once more when idle). The same envelopes
then go through RabbitMQ (queues of their own, ``bench/processors_rabbit.py``) to the same
consumer through ``RabbitSource`` (skipped, with a note, when RabbitMQ is unreachable), and
straight through ``ShopPipeline.apply`` (same view cadence, no queue) to separate the
queue's cost. Probes split the time into queue, envelope decode, body decode and
normalise, raw log append, DuckDB apply (and its parts) and view publish. The target holds
for both queues, per core: the timed part runs with every thread of this process, DuckDB's
included, on one CPU (``bench/affinity.py``; the RabbitMQ broker is another process and is
not pinned). Every run starts from a shop live for a while (``bench/processors_warm.py``:
its first events and a rescoring applied and published, not timed).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import processors.handlers
import processors.pipeline
import store.state
from bench import processors_rabbit, report
from bench.affinity import SERVER_CPU, can_pin, pinned_here
from bench.breakdown import breakdown_seconds, print_breakdown
from bench.logs import configure_discarded_logging
from bench.options import Options
from bench.orders import order_envelopes
from bench.probes import Probes, Target, probing
from bench.processors_warm import WARM_EVENTS, warm_shop
from bench.profiling import profiled
from ingest.messaging.rabbit_source import RabbitSource
from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from processors.pipeline import ShopPipeline
from processors.publish_schedule import publish_due_after
from schemas.clock import SystemClock
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from store.rawlog import ParquetRawLog
from store.state import DuckDBStateStore

TARGET = 20_000
SHOP = ShopConfig("shp_bench", "Bench", "https://shop.example", currency="PLN")
VIEW_INTERVAL = 0.5
BATCH_SIZES = (500, 2000)
PUBLISH_CHUNK = 1000
STALL_SECONDS = 10.0  # a consumer that gets nothing for this long stops (see WARNING)

# (owner, attribute, label); labels starting with "  " are parts of the line above them.
QUEUE_PROBES: list[Target] = [
    (SQLiteQueue, "fetch", "queue fetch (SQLite)"),
    (SQLiteQueue, "ack", "queue ack (SQLite)"),
    (Consumer, "_decode", "envelope JSON decode"),
]
RABBIT_PROBES: list[Target] = [
    (RabbitSource, "fetch", "queue fetch (RabbitMQ)"),
    (RabbitSource, "ack", "queue ack (RabbitMQ)"),
    (Consumer, "_decode", "envelope JSON decode"),
]
PIPELINE_PROBES: list[Target] = [
    (processors.pipeline, "decode_events", "body decode + normalise"),
    (processors.handlers, "parse_body", "  json.loads of the body"),
    (ParquetRawLog, "append", "raw log append (Parquet+fsync)"),
    (DuckDBStateStore, "apply", "DuckDB apply (one transaction)"),
    (store.state, "payload_table", "  events -> Arrow columns"),
    (DuckDBStateStore, "_write_newer", "  upsert of newer payloads (SQL)"),
    (store.state, "replace_children", "  line items/refunds replace"),
    (DuckDBStateStore, "_set_meta", "  meta upserts"),
    (ShopPipeline, "publish", "view publish (build + Parquet)"),
]


class _Shops:
    def get(self, shop_id: str) -> ShopConfig | None:
        return SHOP if shop_id == SHOP.shop_id else None


@dataclass(frozen=True)
class Run:
    label: str
    events: int
    wall: float
    cpu: float
    probes: Probes
    orders: int

    @property
    def per_second(self) -> float:
        return report.rate(self.events, self.wall)

    @property
    def per_cpu_second(self) -> float:
        return report.rate(self.events, self.cpu)


def _count_orders(data_dir: Path) -> int:
    pipeline = ShopPipeline(data_dir, SHOP)
    try:
        return int(pipeline.state.connection.execute("SELECT count(*) FROM orders").fetchone()[0])
    finally:
        pipeline.close()


def _fill_queue(path: Path, envelopes: list[Envelope]) -> tuple[SQLiteQueue, float]:
    queue = SQLiteQueue(path, 4)
    started = time.perf_counter()
    for start in range(0, len(envelopes), PUBLISH_CHUNK):
        queue.publish(envelopes[start : start + PUBLISH_CHUNK])
    return queue, time.perf_counter() - started


def _consume(source: Any, data_dir: Path, count: int, batch_size: int, options: Options) -> Run:
    """Time one consumer taking ``count`` messages off ``source``, then publishing the
    views, as it does when its queue runs dry."""
    rabbit = isinstance(source, RabbitSource)
    label = f"{'RabbitMQ' if rabbit else 'queue'} -> Consumer.run_once, batch {batch_size}"
    consumer = Consumer(source, _Shops(), data_dir, SystemClock(), batch_size, VIEW_INTERVAL)
    targets = (RABBIT_PROBES if rabbit else QUEUE_PROBES) + PIPELINE_PROBES
    with pinned_here(), probing(targets) as probes, profiled(options.profile, label):
        wall0, cpu0 = time.perf_counter(), time.process_time()
        taken = 0
        while taken < count and (got := consumer.run_once(STALL_SECONDS)):
            taken += got
        consumer.publish_due(force=True)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    consumer.close()
    return Run(label, count, wall, cpu, probes, _count_orders(data_dir))


def _left_over(left: int, dead: int) -> None:
    if left or dead:
        report.note(f"WARNING: {left} messages left in the queue, {dead} dead letters")


def through_queue(
    warm: list[Envelope], envelopes: list[Envelope], batch_size: int, options: Options
) -> Run:
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        data_dir = Path(tmp)
        warm_shop(data_dir, SHOP, warm)
        queue, fill_seconds = _fill_queue(data_dir / "broker.sqlite3", envelopes)
        report.line("queue filled", f"{report.fmt_rate(len(envelopes) / fill_seconds)} published")
        result = _consume(queue, data_dir, len(envelopes), batch_size, options)
        _left_over(queue.depth(), len(queue.dead_letters(10)))
        queue.close()
        return result


def through_rabbit(
    warm: list[Envelope], envelopes: list[Envelope], batch_size: int, options: Options
) -> Run:
    """The same through RabbitMQ, consumed as ``wcpulse`` does (prefetch: two batches)."""
    with (
        tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp,
        processors_rabbit.filled_topology(envelopes) as (topology, fill_seconds),
    ):
        warm_shop(Path(tmp), SHOP, warm)
        rate = report.fmt_rate(len(envelopes) / fill_seconds)
        report.line("RabbitMQ queues filled", f"{rate} published (no confirms)")
        partitions = range(topology.partitions)
        url = processors_rabbit.AMQP_URL
        source = RabbitSource(url, topology, partitions, prefetch=2 * batch_size)
        try:
            result = _consume(source, Path(tmp), len(envelopes), batch_size, options)
        finally:
            source.close()
        _left_over(*processors_rabbit.left_over(topology))
        return result


def _apply_all(pipeline: ShopPipeline, envelopes: list[Envelope], batch_size: int) -> None:
    """Apply batch by batch, publishing as the consumer does under a backlog (when
    ``publish_due_after`` has passed since the last publish), and once at the end if
    anything was applied since.

    Never publish twice in a row: ``DuckDBStateStore.get_meta`` leaves an unfinished
    DB-API result (``fetchone``), and the next ``con.sql`` in ``build_views`` then raises
    ResourceInUseException (a product bug this benchmark found, not worked around here).
    """
    clock = SystemClock()
    last_publish, took, dirty = time.monotonic(), 0.0, False
    for start in range(0, len(envelopes), batch_size):
        pipeline.apply(envelopes[start : start + batch_size], clock.now())
        dirty = True
        if time.monotonic() - last_publish >= publish_due_after(VIEW_INTERVAL, took):
            started = time.monotonic()
            pipeline.publish(clock.now())
            last_publish, dirty = time.monotonic(), False
            took = last_publish - started
    if dirty:
        pipeline.publish(clock.now())


def direct(
    warm: list[Envelope], envelopes: list[Envelope], batch_size: int, options: Options
) -> Run:
    """``ShopPipeline.apply`` per batch and ``publish`` at the consumer's cadence, no queue."""
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        warm_shop(Path(tmp), SHOP, warm)
        pipeline = ShopPipeline(Path(tmp), SHOP)
        label = f"ShopPipeline.apply direct, batch {batch_size}"
        with pinned_here(), probing(PIPELINE_PROBES) as probes, profiled(options.profile, label):
            wall0, cpu0 = time.perf_counter(), time.process_time()
            _apply_all(pipeline, envelopes, batch_size)
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        pipeline.close()
        return Run(label, len(envelopes), wall, cpu, probes, _count_orders(Path(tmp)))


def _print_run(run: Run) -> None:
    report.note("")
    report.note(f"[{run.label}]")
    report.line("events/s (wall)", report.fmt_rate(run.per_second))
    report.line("events per CPU-second", report.fmt_rate(run.per_cpu_second))
    report.line(
        "wall / CPU", f"{run.wall:.2f} s / {run.cpu:.2f} s  ({run.orders:,} orders in state)"
    )
    print_breakdown(run.probes, run.wall, run.events, "other (consumer loop, meta, logs)")
    publish = run.probes.tallies["view publish (build + Parquet)"]
    longest = f"{publish.longest * 1000:,.0f} ms"
    report.line("longest view publish", f"{longest} ({publish.calls} publishes)")


def _figures(run: Run) -> dict[str, Any]:
    return {
        "events_per_s": round(run.per_second),
        "events_per_cpu_s": round(run.per_cpu_second),
        "wall_s": round(run.wall, 3),
        "breakdown_s": breakdown_seconds(run.probes),
    }


def _best(runs: list[Run], queue: str) -> float:
    """The verdict on the best of the runs through one queue; its events/s."""
    best = max(item.per_second for item in runs)
    target = f">= {TARGET:,}/s per core"
    report.verdict(f"{best:,.0f} events/s through {queue}", target, best >= TARGET, best / TARGET)
    return best


def _conclude(queued: list[Run], rabbit: list[Run], others: list[Run]) -> dict[str, Any]:
    """The verdicts on the best run through each queue, and the BENCH line."""
    best = _best(queued, "SQLite")
    best_rabbit = _best(rabbit, "RabbitMQ") if rabbit else None
    headline = f"{best:,.0f} events/s" + (
        f" (RabbitMQ {best_rabbit:,.0f})" if best_rabbit is not None else " (RabbitMQ skipped)"
    )
    return report.emit(
        "processors",
        {
            "headline": headline,
            "events": queued[0].events,
            "best_events_per_s": round(best),
            "best_rabbitmq_events_per_s": None if best_rabbit is None else round(best_rabbit),
            "runs": {item.label: _figures(item) for item in queued + rabbit + others},
            "target_per_s": TARGET,
            "met": best >= TARGET and (best_rabbit is None or best_rabbit >= TARGET),
        },
    )


def _rabbit_runs(warm: list[Envelope], envelopes: list[Envelope], options: Options) -> list[Run]:
    why = processors_rabbit.unreachable()
    if why is None:
        return [through_rabbit(warm, envelopes, size, options) for size in BATCH_SIZES]
    report.note(f"RabbitMQ runs SKIPPED: {processors_rabbit.AMQP_URL} unreachable ({why})")
    return []


def run(options: Options) -> dict[str, Any]:
    configure_discarded_logging()
    count = options.size(quick=4_000, default=100_000)
    report.heading("processors", f"{count:,} order events, one consumer, one shop")
    pinned = f"on CPU {SERVER_CPU} only" if can_pin() else "not pinned (cannot pin here)"
    report.line("processor (timed part)", pinned)
    started = time.perf_counter()
    stream = order_envelopes(WARM_EVENTS + count, SHOP.shop_id)
    warm, envelopes = stream[:WARM_EVENTS], stream[WARM_EVENTS:]
    report.line("generated envelopes", f"{time.perf_counter() - started:.1f} s (not timed)")
    queued = [through_queue(warm, envelopes, size, options) for size in BATCH_SIZES]
    rabbit = _rabbit_runs(warm, envelopes, options)
    direct_runs = [direct(warm, envelopes, size, options) for size in BATCH_SIZES]
    for item in queued + rabbit + direct_runs:
        _print_run(item)
    report.note("")
    for queue, runs in (("queue", queued), ("RabbitMQ", rabbit)):
        for size, via_queue, straight in zip(BATCH_SIZES, runs, direct_runs, strict=False):
            share = 1 - via_queue.per_second / straight.per_second
            report.line(f"{queue}'s share, batch {size}", f"{share * 100:.0f}% of the time")
    return _conclude(queued, rabbit, direct_runs)
