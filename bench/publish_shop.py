"""The shops ``bench publish`` measures, built once and kept under ``var/bench-cache/``.

A shop is built through ``ShopPipeline.apply`` (raw log, state, rejected log, as the
processor does) from ``bench.shop_history``'s deliveries in batches of BUILD_BATCH, then the
scheduled jobs a live shop has run (RFM rescoring, CLV fit, churn day) and a publish. The
built data folder is kept in ``var/bench-cache/publish-<orders>-<seed>/`` with
``shop.json`` (where the history left off), written last: a folder without it is rebuilt.
Each run works on a copy, so the cached shop stays as built.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb

from bench import report
from bench.orders import envelope_of
from bench.shop_history import FIRST_ORDER_ID, History, history_deliveries
from processors.pipeline import ShopPipeline
from schemas.envelope import Envelope
from schemas.jobs import CHURN, CLV, PRODUCTS, RFM, dated_job_envelope
from schemas.shop import ShopConfig

CACHE_ROOT = Path(__file__).resolve().parent.parent / "var" / "bench-cache"
INFO = "shop.json"
FORMAT = 3  # bump when the history changes: older cached shops are rebuilt
BUILD_BATCH = 5000
PROGRESS_EVERY = 10  # progress lines while building
COLUMNS_SQL = "SELECT table_name, column_name, data_type FROM information_schema.columns"


@dataclass(frozen=True)
class PreparedShop:
    data_dir: Path  # the run's own copy
    history: History
    built_at: str
    was_cached: bool
    copy_seconds: float


def cache_dir(orders: int, seed: int) -> Path:
    return CACHE_ROOT / f"publish-{orders}-{seed}"


def prepare(shop: ShopConfig, orders: int, seed: int, work_dir: Path) -> PreparedShop:
    """A copy of the cached shop of ``orders`` in ``work_dir`` (built first when missing,
    or when today's code lays out the shop's state differently)."""
    cached = cache_dir(orders, seed)
    info = _read_info(cached)
    tables = state_tables(shop, work_dir / "fresh")
    if info is not None and info.get("state_tables") != tables:
        report.note("the state's tables changed since the cached shop was built")
        info = None
    was_cached = info is not None
    if info is None:
        report.note(f"building the shop (once) into {cached}")
        info = _build(shop, (orders, seed), cached, tables)
    started = time.perf_counter()
    data_dir = work_dir / "data"
    shutil.copytree(cached / "data", data_dir)
    history = History.from_json(info["history"])
    took = time.perf_counter() - started
    return PreparedShop(data_dir, history, info["built_at"], was_cached, took)


def state_tables(shop: ShopConfig, scratch: Path) -> str:
    """A digest of the tables and columns of a new shop's DuckDB files (what the code of
    today creates), from a pipeline opened in ``scratch`` and removed after."""
    ShopPipeline(scratch, shop).close()
    columns = set()
    try:
        for path in sorted(scratch.rglob("*.duckdb")):
            con = duckdb.connect(str(path), read_only=True)
            try:
                columns |= set(con.execute(COLUMNS_SQL).fetchall())
            finally:
                con.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return hashlib.sha256(repr(sorted(columns)).encode()).hexdigest()[:16]


def _read_info(cached: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((cached / INFO).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") == FORMAT else None


def _build(shop: ShopConfig, size: tuple[int, int], cached: Path, tables: str) -> dict[str, Any]:
    """Build the shop of ``size`` (orders, seed) in a scratch folder, then move it into
    the cache whole; ``tables`` is the digest of the state's tables it was built with."""
    orders, seed = size
    scratch = cached.with_name(cached.name + ".building")
    shutil.rmtree(scratch, ignore_errors=True)
    shutil.rmtree(cached, ignore_errors=True)
    started = time.perf_counter()
    end = datetime.now(UTC).replace(microsecond=0)
    history = History(orders)
    pipeline = ShopPipeline(scratch / "data", shop)
    try:
        _apply_history(pipeline, history, end, seed)
        run_jobs(pipeline, end)
        pipeline.publish(datetime.now(UTC))
    finally:
        pipeline.close()
    info = {
        "format": FORMAT,
        "built_at": end.isoformat(),
        "history": history.as_json(),
        "state_tables": tables,
    }
    (scratch / INFO).write_text(json.dumps(info))
    scratch.rename(cached)
    took = time.perf_counter() - started
    report.line("built", f"{orders:,} orders in {took:.0f} s")
    return info


def _batches(history: History, end: datetime, seed: int, shop_id: str) -> Iterator[list[Envelope]]:
    deliveries = history_deliveries(history, end, seed)
    while chunk := list(islice(deliveries, BUILD_BATCH)):
        yield [envelope_of(delivery, shop_id, at) for delivery, at in chunk]


def _apply_history(pipeline: ShopPipeline, history: History, end: datetime, seed: int) -> None:
    started = time.perf_counter()
    step = max(1, history.orders // PROGRESS_EVERY)
    mark = step
    for batch in _batches(history, end, seed, pipeline.shop.shop_id):
        _apply(pipeline, batch)
        placed = history.next_order_id - FIRST_ORDER_ID
        if placed >= mark:
            took = time.perf_counter() - started
            report.note(f"building: {placed:,} / {history.orders:,} orders ({took:.0f} s)")
            mark += step


def run_jobs(pipeline: ShopPipeline, at: datetime) -> None:
    """What the scheduler runs in a live shop each day: rescoring, the CLV fit, the churn
    day and the product scores, as of ``at``'s day."""
    shop_id, day = pipeline.shop.shop_id, at.date()
    jobs = (RFM, CLV, CHURN, PRODUCTS)
    _apply(pipeline, [dated_job_envelope(shop_id, job, day, at) for job in jobs])


def _apply(pipeline: ShopPipeline, batch: list[Envelope]) -> None:
    _, failures = pipeline.apply(batch, datetime.now(UTC))
    if failures:
        reason = next(iter(failures.values()))
        raise RuntimeError(f"building the shop: {len(failures)} envelopes refused ({reason})")
