"""``wcpulse jobs run JOB --shop SHOP [--as-of DATE]``: run a job in a shop's processor.

A job travels as an envelope into the shop's partition, so the shop's one writer runs it in
order with its events and the raw log keeps it for replay. The command then waits for the
processor to publish views that include the job (``--no-wait`` returns at once).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from processors.jobs import JOBS, RUNNABLE_JOBS
from schemas.clock import SystemClock
from schemas.jobs import EARLIEST_AS_OF, JOB_NAMES, LATEST_AS_OF, dated_job_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from schemas.views import MANIFEST
from store.layout import shop_paths
from wcpulse.errors import UserError
from wcpulse.waiting import unless_refused, wait_for_processor
from wcpulse.wiring import open_messaging, open_registry


def shop_today(shop: ShopConfig, now: datetime) -> date:
    return now.astimezone(ZoneInfo(shop.timezone)).date()


def publish_job(
    publisher: Any, shop: ShopConfig, job: str, now: datetime, as_of: date | None
) -> Any:
    """Queue ``job.<job>`` (rfm, clv, churn, backtest, products) for ``shop`` as of ``as_of``
    (default: today in the shop's timezone)."""
    envelope = dated_job_envelope(shop.shop_id, job, as_of or shop_today(shop, now), now)
    publisher.publish([envelope])
    return envelope


def run_job(args: argparse.Namespace, settings: Settings) -> int:
    if args.job not in RUNNABLE_JOBS:
        raise UserError(f"job {args.job!r} is not available; available: {', '.join(RUNNABLE_JOBS)}")
    clock = SystemClock()
    registry = open_registry(settings)
    try:
        shop = registry.require(args.shop)
        messaging = open_messaging(settings, clock)
        try:
            envelope = publish_job(messaging.publisher, shop, args.job, clock.now(), args.as_of)
        finally:
            messaging.close()
    finally:
        registry.close()
    as_of = json.loads(envelope.body)["as_of"]
    if args.no_wait:
        print(f"queued job.{args.job} for shop {shop.shop_id} as of {as_of}")
        return 0
    paths = shop_paths(settings.data_dir, shop.shop_id)
    views = paths.views_dir
    print(
        f"queued job.{args.job} as of {as_of}; waiting for the shop's processor...",
        file=sys.stderr,
    )
    applied = partial(_applied, views, args.job, envelope.received_at)
    what = f"job.{args.job}"
    wait_for_processor(unless_refused(applied, paths, envelope.envelope_id, what), args.wait, what)
    summary = JOBS[args.job].summary
    print(summary(views) if summary is not None else f"job.{args.job} applied")
    return 0


def _applied_at(views_dir: Path, job: str) -> datetime | None:
    try:
        manifest = json.loads((views_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    value = manifest.get("jobs_applied", {}).get(job)
    return datetime.fromisoformat(value) if value else None


def _applied(views_dir: Path, job: str, requested_at: datetime) -> bool | None:
    done = _applied_at(views_dir, job)
    return True if done is not None and done >= requested_at else None


def _as_of(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date like 2026-01-31") from None
    if not EARLIEST_AS_OF <= day < LATEST_AS_OF:
        raise argparse.ArgumentTypeError(
            f"use a date from {EARLIEST_AS_OF} to before {LATEST_AS_OF}"
        )
    return day


def register(sub: Any) -> None:
    """Add the ``jobs`` command."""
    jobs = sub.add_parser("jobs", help="run an analytics job for a shop now")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", metavar="COMMAND", required=True)
    run = jobs_sub.add_parser(
        "run",
        help="run JOB in the shop's processor and wait for it",
        description="Run JOB in the shop's processor (in order with its events) and wait until "
        "the views include it. rfm: rescore RFM segments and customer status as of a day; "
        "clv: refit the CLV and churn models on the orders up to that day; churn: record the "
        "customers per churn level of that day; backtest: fit on the history up to 180 days "
        "before that day and compare the prediction with what happened; products: score every "
        "product against the shop's window sales and fit its price elasticity; retention: drop "
        "from the raw log the superseded events older than the shop's retention.",
    )
    run.add_argument("job", metavar="JOB", choices=JOB_NAMES, help=", ".join(JOB_NAMES))
    run.add_argument("--shop", required=True, metavar="SHOP")
    run.add_argument(
        "--as-of", type=_as_of, default=None, help="score as of DATE (default: today, shop tz)"
    )
    run.add_argument("--wait", type=float, default=120.0, help="seconds to wait (default 120)")
    run.add_argument("--no-wait", action="store_true", help="queue the job and return")
    run.set_defaults(handler=run_job)
