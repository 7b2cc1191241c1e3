"""Commands that talk to a shop's WooCommerce REST API: import, sync, webhooks, scheduler."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from ingest.rest.client import WooClient
from ingest.rest.errors import WooError
from ingest.rest.importer import Importer
from ingest.rest.reconcile import Reconciler
from ingest.rest.webhooks import install_webhooks, webhook_status
from processors.jobs import JOBS
from processors.projections.customer_scores import SCORING_BASIS
from processors.scheduler import Job, Scheduler
from schemas.clock import Clock, SystemClock
from schemas.jobs import RFM, health_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.metadata import ShopRegistry
from store.sync_state import SyncRun
from store.view_files import live_files, read_manifest
from wcpulse.errors import UserError
from wcpulse.job_commands import publish_job
from wcpulse.progress import import_progress
from wcpulse.wiring import open_messaging, open_registry, run_in_background

BASIS_CHECK = 30.0  # seconds between checks for shops without a scoring basis
BASIS_RETRY = 600.0  # seconds before the same shop is asked to rescore again
log = structlog.get_logger("wcpulse")


def woo_client(settings: Settings, registry: ShopRegistry, shop: ShopConfig) -> WooClient:
    credentials = registry.credentials(shop.shop_id)
    if credentials is None:
        raise UserError(
            f"shop {shop.shop_id} has no REST API keys; add them with "
            f"`wcpulse shop set-credentials {shop.shop_id} --consumer-key ck_... "
            "--consumer-secret cs_...`"
        )
    try:
        return WooClient(
            shop.url,
            *credentials,
            allow_http=settings.allow_http_shops,
            query_auth=settings.woo_query_auth,
            timeout=settings.woo_timeout,
            concurrency=settings.woo_concurrency,
        )
    except WooError as exc:
        raise UserError(str(exc)) from None


@contextmanager
def shop_session(settings: Settings, shop_id: str) -> Iterator[tuple[Any, ...]]:
    """Registry, shop, REST client and publisher for one command; WooError -> one line."""
    clock = SystemClock()
    registry = open_registry(settings)
    messaging = None
    try:
        shop = registry.require(shop_id)
        client = woo_client(settings, registry, shop)
        messaging = open_messaging(settings, clock)
        with client:
            yield registry, shop, client, messaging.publisher, clock
    except WooError as exc:
        raise UserError(str(exc)) from None
    finally:
        if messaging is not None:
            messaging.close()
        registry.close()


def import_shop(args: argparse.Namespace, settings: Settings) -> int:
    with shop_session(settings, args.shop) as (registry, shop, client, publisher, clock):
        client.check()
        with import_progress(sys.stderr) as progress:
            importer = Importer(client, publisher, registry.sync_state, clock, progress)
            try:
                report = importer.run(shop.shop_id, since=args.since)
            except KeyboardInterrupt:
                print(
                    "wcpulse: import interrupted; run the same command again to continue",
                    file=sys.stderr,
                )
                return 130
    resumed = " (resumed)" if report.resumed else ""
    parts = ", ".join(f"{name} {count}" for name, count in report.items.items())
    print(f"imported {report.total} items{resumed}: {parts}; caught up {report.caught_up}")
    print("processors apply them (`wcpulse run` or `wcpulse process`)")
    return 0


def sync_shop(args: argparse.Namespace, settings: Settings) -> int:
    with shop_session(settings, args.shop) as (registry, shop, client, publisher, clock):
        report = run_sync(settings, registry, shop, client, publisher, clock, full=args.full)
    repaired = ", ".join(f"{k} {v}" for k, v in report.repaired.items() if v) or "nothing"
    deleted = ", ".join(f"{k} {v}" for k, v in report.hard_deleted.items() if v)
    print(
        f"sync of {shop.shop_id} since {report.window_from:%Y-%m-%d %H:%M} UTC: repaired {repaired}"
    )
    if deleted:
        print(f"hard deletes found: {deleted}")
    return 0


def run_sync(
    settings: Settings,
    registry: ShopRegistry,
    shop: ShopConfig,
    client: WooClient,
    publisher: Any,
    clock: Clock,
    full: bool,
):
    overlap = timedelta(seconds=settings.sync_overlap_seconds)
    reconciler = Reconciler(client, publisher, registry.sync_state, clock, overlap)
    views_dir = shop_paths(settings.data_dir, shop.shop_id).views_dir
    return reconciler.run(shop.shop_id, views_dir, full=full)


def webhooks(args: argparse.Namespace, settings: Settings) -> int:
    with shop_session(settings, args.shop) as (registry, shop, client, _publisher, _clock):
        url = settings.webhook_url(shop.shop_id)
        if args.webhooks_command == "install":
            secret = registry.webhook_secret(shop.shop_id) or ""
            states = install_webhooks(client, url, secret)
        else:
            states = webhook_status(client, url)
    for state in states:
        print(f"{state.topic:18} {state.status:9} {state.action or ''}".rstrip())
    unhealthy = [s for s in states if not s.healthy]
    if unhealthy:
        names = ", ".join(f"{s.topic} ({s.status})" for s in unhealthy)
        raise UserError(f"webhooks not active: {names}; run `wcpulse webhooks install {args.shop}`")
    return 0


def scheduler(args: argparse.Namespace, settings: Settings) -> int:
    def start(registry: ShopRegistry, messaging: Any, stop: threading.Event) -> threading.Thread:
        return start_scheduler(settings, registry, messaging.publisher, stop)

    return run_in_background(settings, start, "wcpulse scheduler running")


def start_scheduler(
    settings: Settings, registry: ShopRegistry, publisher: Any, stop: threading.Event
) -> threading.Thread:
    """Reconcile every shop with API keys every WCPULSE_SYNC_INTERVAL seconds; for every
    shop, rescore customers (RFM, status) every WCPULSE_RFM_INTERVAL seconds, refit the CLV
    and churn models and backtest them every WCPULSE_CLV_INTERVAL, and record the churn
    levels every WCPULSE_CHURN_INTERVAL (each also at start, in that order)."""
    clock = SystemClock()
    counter = {"runs": 0}

    def sync_all(now: datetime) -> None:
        counter["runs"] += 1  # the full id comparison is the Nth run, not the one at start-up
        full = counter["runs"] % max(settings.sync_full_every, 1) == 0
        for shop in registry.list_shops():
            if registry.has_credentials(shop.shop_id):
                _scheduled_sync(settings, registry, shop, publisher, clock, full)

    def every_shop(*names: str) -> Callable[[datetime], None]:
        return lambda now: queue_scheduled(registry, publisher, names, now)

    jobs = [Job("sync", settings.sync_interval_seconds, sync_all)]
    jobs += [Job("basis", BASIS_CHECK, BasisWatch(settings, registry, publisher).run)]
    jobs += [  # the jobs registry says which shop jobs run how often (and what follows them)
        Job(name, getattr(settings, spec.interval), every_shop(name, *spec.followed_by))
        for name, spec in JOBS.items()
        if spec.interval is not None
    ]
    thread = threading.Thread(
        target=Scheduler(jobs, clock).run_until, args=(stop,), name="wcpulse-scheduler", daemon=True
    )
    thread.start()
    return thread


def queue_scheduled(
    registry: ShopRegistry, publisher: Any, names: Sequence[str], now: datetime
) -> None:
    """Each named job for every shop its schedule is for (``JobSpec.scheduled_for``: the
    raw log purge only for a shop that keeps a window, ``wcpulse shop set-retention``)."""
    for shop in registry.list_shops():
        for name in names:
            if JOBS[name].scheduled_for(shop):
                publish_job(publisher, shop, name, now, None)


class BasisWatch:
    """Rescores now a shop whose views have no scoring basis yet (no rescoring since its
    first customers): until one, every publish scores the whole shop. At most once per
    BASIS_RETRY seconds per shop."""

    def __init__(self, settings: Settings, registry: ShopRegistry, publisher: Any) -> None:
        self._settings = settings
        self._registry = registry
        self._publisher = publisher
        self._queued: dict[str, float] = {}

    def run(self, now: datetime) -> None:
        for shop in self._registry.list_shops():
            due = self._queued.get(shop.shop_id, 0.0) + BASIS_RETRY <= now.timestamp()
            if due and needs_basis(shop_paths(self._settings.data_dir, shop.shop_id).views_dir):
                self._queued[shop.shop_id] = now.timestamp()
                publish_job(self._publisher, shop, RFM, now, None)


def needs_basis(views_dir: Path) -> bool:
    """The shop's views have customers but were scored without a rescoring's basis."""
    manifest = read_manifest(views_dir)
    customers = live_files(manifest).get("customers")
    return manifest.get(SCORING_BASIS) is False and customers is not None and customers.rows > 0


def _scheduled_sync(
    settings: Settings,
    registry: ShopRegistry,
    shop: ShopConfig,
    publisher: Any,
    clock: Clock,
    full: bool,
) -> None:
    started = clock.now()
    try:
        with woo_client(settings, registry, shop) as client:
            report = run_sync(settings, registry, shop, client, publisher, clock, full)
            states = webhook_status(client, settings.webhook_url(shop.shop_id))
        _record_webhooks(registry, shop, states, started, clock)
        _note_health(publisher, shop, report, states, clock)
    except (WooError, UserError) as exc:
        log.warning("scheduled_sync_failed", shop_id=shop.shop_id, error=str(exc))


def _note_health(publisher: Any, shop: ShopConfig, report: Any, states: list, clock: Clock) -> None:
    """Tell the shop's processor what the sync repaired and which webhooks are not active
    (``job.health_noted``: it raises them as pipeline_health alerts)."""
    notes = []
    if report.total_repaired:
        detail = ", ".join(f"{n} {name}" for name, n in sorted(report.repaired.items()) if n)
        notes.append(("gaps_repaired", report.total_repaired, detail or "hard deletes"))
    bad = [f"{s.topic} ({s.status})" for s in states if not s.healthy]
    if bad:
        notes.append(("webhook_disabled", len(bad), ", ".join(bad)))
    envelopes = [health_envelope(shop.shop_id, *note, clock.now()) for note in notes]
    if envelopes:
        publisher.publish(envelopes)


def _record_webhooks(
    registry: ShopRegistry, shop: ShopConfig, states: list, started: datetime, clock: Clock
) -> None:
    bad = {s.topic: s.status for s in states if not s.healthy}
    run = SyncRun("webhooks", started, clock.now(), None, not bad, None, {"not_active": bad})
    registry.sync_state.record_run(shop.shop_id, run)
    if bad:
        log.warning("webhooks_not_active", shop_id=shop.shop_id, topics=sorted(bad))


def parse_since(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("use a date like 2024-01-31") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def register(sub: Any) -> None:
    imp = sub.add_parser("import", help="import a shop's history through the REST API")
    imp.add_argument("shop", metavar="SHOP")
    imp.add_argument("--since", type=parse_since, default=None, help="only what changed since DATE")
    imp.set_defaults(handler=import_shop)
    sync = sub.add_parser("sync", help="repair what webhooks missed (reconcile with the REST API)")
    sync.add_argument("shop", metavar="SHOP")
    sync.add_argument("--full", action="store_true", help="also compare every id (hard deletes)")
    sync.set_defaults(handler=sync_shop)
    hooks = sub.add_parser("webhooks", help="install or check the shop's WooCommerce webhooks")
    hooks_sub = hooks.add_subparsers(dest="webhooks_command", metavar="COMMAND", required=True)
    for name, text in (("install", "create or re-activate our webhooks"), ("status", "list them")):
        parser = hooks_sub.add_parser(name, help=text)
        parser.add_argument("shop", metavar="SHOP")
        parser.set_defaults(handler=webhooks)
    sub.add_parser(
        "scheduler", help="periodic jobs (sync every 10 minutes, rescoring every 6 hours)"
    ).set_defaults(handler=scheduler, creates_data=True)
