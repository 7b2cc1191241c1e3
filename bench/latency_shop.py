"""The 1M-order shop ``bench latency --full`` serves: ``bench publish``'s cached shop, live.

The shop's state is the one ``bench publish`` builds once through ``ShopPipeline`` and
keeps under ``var/bench-cache/`` (``bench/publish_shop.py``: 1,000,000 orders of about
200,000 customers over two years, the day's jobs run and published); each run works on a
copy. The live service needs the shop in its metadata database with a webhook secret and
an API token the bench knows, so the shop is registered the way an owner would do it,
with ``wcpulse shop add`` (same timezone and currency as the cached shop), and the copied
shop folder is renamed to the id ``shop add`` returned.

Why not register the cached id ``shp_bench_publish`` instead: the registry makes the id
itself and seals the webhook secret with the id as associated data, so a fixed id would
mean writing its rows behind its back. The shop folder holds no shop id that the live
service reads (only the raw log's history rows name the old id, and the service never
reads them back: no replay, no erasure in this bench).

At start ``wcpulse run``'s scheduler queues the day's jobs for every shop (RFM rescoring,
CLV fit and backtest, churn day); on a 1M shop they and the whole publish after them take
a while. ``wait_for_start_up`` waits (with a deadline) until the published manifest says
all of them were applied, so the measured stream starts on a settled service.
"""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report
from bench.publish import SEED, SHOP
from bench.publish_shop import PreparedShop, prepare
from bench.service import WcpulseService
from schemas.jobs import PREDICTION_JOBS, PRODUCTS, RFM
from store.layout import shop_paths
from store.view_files import read_manifest

ORDERS = 1_000_000
START_UP_SECONDS = 900.0
RESCORED_AT = "rescored_at"  # manifest: when the last RFM rescoring was requested
START_UP_JOBS = (RFM, *PREDICTION_JOBS, PRODUCTS)  # what the scheduler queues at start


@dataclass(frozen=True)
class LiveShop:
    service: WcpulseService
    shop: dict[str, Any]  # shop_id, webhook_secret, api_token (``shop add --json``)
    prepared: PreparedShop


def prepare_live_shop(work_dir: Path) -> LiveShop:
    """A copy of the cached 1M-order shop in ``work_dir/data``, registered for a service."""
    prepared = prepare(SHOP, ORDERS, SEED, work_dir)
    service = WcpulseService(prepared.data_dir)
    shop = _register(service)
    cached = shop_paths(prepared.data_dir, SHOP.shop_id).root
    cached.rename(shop_paths(prepared.data_dir, shop["shop_id"]).root)
    return LiveShop(service, shop, prepared)


def _register(service: WcpulseService) -> dict[str, Any]:
    out = service.cli(
        "shop", "add", "--name", SHOP.name, "--url", SHOP.url,
        "--timezone", SHOP.timezone, "--currency", SHOP.currency, "--json",
    )  # fmt: skip
    return dict(json.loads(out))


def pending_jobs(views_dir: Path, since: datetime) -> list[str]:
    """The start-up jobs the published views do not show as applied at or after ``since``."""
    manifest = read_manifest(views_dir)
    applied = {RFM: manifest.get(RESCORED_AT)} | dict(manifest.get("jobs_applied") or {})
    return [job for job in START_UP_JOBS if not applied.get(job) or _parsed(applied[job]) < since]


def _parsed(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def wait_for_start_up(live: LiveShop, process: subprocess.Popen[bytes], since: datetime) -> float:
    """Wait until the service has applied and published its start-up jobs (``since``: just
    before it started); returns how long that took. Raises past START_UP_SECONDS."""
    views_dir = shop_paths(live.service.data_dir, live.shop["shop_id"]).views_dir
    started = time.monotonic()
    deadline = started + START_UP_SECONDS
    pending = list(START_UP_JOBS)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wcpulse run exited with {process.returncode} while starting")
        pending = pending_jobs(views_dir, since)
        if not pending:
            return time.monotonic() - started
        time.sleep(0.5)
    late = ", ".join(pending)
    raise RuntimeError(f"start-up jobs not published after {START_UP_SECONDS:.0f} s: {late}")


def print_live_shop(live: LiveShop) -> None:
    history, prepared = live.prepared.history, live.prepared
    size = f"{history.orders:,} orders, {history.customers:,} customers"
    how = "from the cache" if prepared.was_cached else "built now"
    report.line("shop", f"{size} (history up to {prepared.built_at})")
    report.line("state", f"{how}, copied for this run in {prepared.copy_seconds:.1f} s")
