"""``wcpulse jobs run JOB --shop SHOP [--as-of DATE]``: run a job in a shop's processor.

A job travels as an envelope into the shop's partition, so the shop's one writer runs it in
order with its events and the raw log keeps it for replay. The command then waits for the
processor to publish views that include the job (``--no-wait`` returns at once).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq

from processors.analytics.rfm import SEGMENTS
from schemas.clock import SystemClock
from schemas.jobs import JOB_NAMES, RFM, rescore_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from schemas.views import MANIFEST
from store.layout import shop_paths
from wcpulse.errors import UserError
from wcpulse.waiting import wait_for_processor
from wcpulse.wiring import open_messaging, open_registry


def shop_today(shop: ShopConfig, now: datetime) -> date:
    return now.astimezone(ZoneInfo(shop.timezone)).date()


def publish_rescore(publisher: Any, shop: ShopConfig, now: datetime, as_of: date | None) -> Any:
    """Queue ``job.rfm`` for ``shop`` as of ``as_of`` (default: today in the shop's timezone)."""
    envelope = rescore_envelope(shop.shop_id, as_of or shop_today(shop, now), now)
    publisher.publish([envelope])
    return envelope


def run_job(args: argparse.Namespace, settings: Settings) -> int:
    if args.job != RFM:
        raise UserError(
            f"job {args.job!r} is not available yet; available: {RFM}"
            " (clv, churn, products, alerts, digests, fulfillment and backtest come with"
            " their features)"
        )
    clock = SystemClock()
    registry = open_registry(settings)
    try:
        shop = registry.require(args.shop)
        messaging = open_messaging(settings, clock)
        try:
            envelope = publish_rescore(messaging.publisher, shop, clock.now(), args.as_of)
        finally:
            messaging.close()
    finally:
        registry.close()
    as_of = json.loads(envelope.body)["as_of"]
    if args.no_wait:
        print(f"queued job.rfm for shop {shop.shop_id} as of {as_of}")
        return 0
    views = shop_paths(settings.data_dir, shop.shop_id).views_dir
    print(f"queued job.rfm as of {as_of}; waiting for the shop's processor...", file=sys.stderr)
    wait_for_processor(lambda: _applied(views, envelope.received_at), args.wait, "the job")
    print(_segment_summary(views))
    return 0


def _rescored_at(views_dir: Path) -> datetime | None:
    try:
        value = json.loads((views_dir / MANIFEST).read_text()).get("rescored_at")
    except (OSError, ValueError):
        return None
    return datetime.fromisoformat(value) if value else None


def _applied(views_dir: Path, requested_at: datetime) -> bool | None:
    done = _rescored_at(views_dir)
    return True if done is not None and done >= requested_at else None


def _segment_summary(views_dir: Path) -> str:
    manifest = json.loads((views_dir / MANIFEST).read_text())
    segments = pq.read_table(views_dir / "customers.parquet", columns=["segment"])["segment"]
    counts = Counter(value for value in segments.to_pylist() if value)
    lines = [f"rescored {sum(counts.values())} customers as of {manifest.get('scores_as_of')}"]
    lines += [f"  {name:<20} {counts.get(name, 0)}" for name in SEGMENTS]
    return "\n".join(lines)


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date like 2026-01-31") from None


def register(sub: Any) -> None:
    """Add the ``jobs`` command."""
    jobs = sub.add_parser("jobs", help="run an analytics job for a shop now")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    run = jobs_sub.add_parser(
        "run",
        help="run JOB in the shop's processor and wait for it",
        description="Run JOB in the shop's processor (in order with its events) and wait until "
        "the views include it. rfm: rescore RFM segments and customer status as of a day.",
    )
    run.add_argument("job", metavar="JOB", choices=JOB_NAMES, help=", ".join(JOB_NAMES))
    run.add_argument("--shop", required=True, metavar="SHOP")
    run.add_argument(
        "--as-of", type=_as_of, default=None, help="score as of DATE (default: today, shop tz)"
    )
    run.add_argument("--wait", type=float, default=120.0, help="seconds to wait (default 120)")
    run.add_argument("--no-wait", action="store_true", help="queue the job and return")
    run.set_defaults(handler=run_job)
