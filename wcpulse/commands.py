"""Handlers of the long-running commands (run, ingest, process, api) and of replay."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

import structlog

from processors.replay import replay_shop
from schemas.clock import SystemClock
from schemas.jobs import BACKTEST, CHURN, CLV, PRODUCTS, RFM
from schemas.settings import Settings
from store.metadata import ShopRegistry
from wcpulse import demo as demo_shop
from wcpulse.errors import UserError
from wcpulse.job_commands import publish_job
from wcpulse.processor_child import ProcessorChild, parent_pid, watch_parent
from wcpulse.ready import ready_line, say_when_settled, shop_lines
from wcpulse.server import make_server, serve_until_stopped
from wcpulse.wiring import (
    Messaging,
    build_web_app,
    mail_destination,
    open_messaging,
    open_registry,
    run_in_background,
    start_consumer,
)
from wcpulse.woo_commands import start_scheduler

log = structlog.get_logger("wcpulse")


def _readiness(registry: ShopRegistry, messaging: Messaging) -> dict[str, Any]:
    return {"metadata": registry.ping, "broker": messaging.ping}


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Ingest, processors and API in one process (embedded defaults)."""
    clock = SystemClock()
    registry = open_registry(settings)
    messaging = open_messaging(settings, clock)
    stop = threading.Event()
    mail = mail_destination(settings)  # a wrong SMTP URL stops here, not in the processor
    consumer = ProcessorChild(settings, stop)  # the processor, in a process of its own
    readiness = _readiness(registry, messaging) | {"processor": consumer.check}
    app = build_web_app(settings, registry, messaging.publisher, clock, readiness)
    server = make_server(app, settings.host, settings.port, settings.max_body_bytes)
    print(f"Data directory: {settings.data_dir.resolve()}", flush=True)
    print(mail, flush=True)
    consumer.start()
    start_scheduler(settings, registry, messaging.publisher, stop)
    base_url = f"http://{settings.host}:{server.effective_port}"
    if args.demo:
        _start_demo(settings, registry, base_url, args.demo_customers, stop, messaging.publisher)
    else:
        _say_ready_later(messaging.publisher, stop, shop_lines(base_url, registry))
    print(f"wcpulse is running at {base_url}  (Ctrl-C stops it)", flush=True)
    try:
        serve_until_stopped(server, stop)
    finally:
        consumer.join(timeout=30)
        messaging.close()
        registry.close()
    return 0


def queue_analytics(registry: ShopRegistry, publisher: Any, shop_id: str) -> None:
    """Rescore, refit, backtest and record churn now (after a history arrived) rather than
    at the scheduler's next turn."""
    shop = registry.require(shop_id)
    now = SystemClock().now()
    for job in (RFM, CLV, BACKTEST, CHURN, PRODUCTS):
        publish_job(publisher, shop, job, now, None)


def _say_ready_later(publisher: Any, stop: threading.Event, lines: list[str]) -> None:
    """The ready line(s), once what is queued now has been applied (in the background)."""
    threading.Thread(
        target=say_when_settled, args=(publisher, stop, lines), name="wcpulse-ready", daemon=True
    ).start()


def _start_demo(
    settings: Settings,
    registry: ShopRegistry,
    base_url: str,
    customers: int,
    stop: threading.Event,
    publisher: Any,
) -> None:
    shop = demo_shop.ensure_demo_shop(settings, registry, SystemClock(), customers)
    ready = [ready_line(base_url, shop.shop_id, shop.api_token)]
    arriving = not shop.history_complete
    print(
        f"\nDemo shop {shop.shop_id}"
        + (" (history arriving now, about a minute; a ready line follows)" if arriving else "")
        + f"\n  Dashboard: {base_url}/dashboard/{shop.shop_id}"
        + f"\n  API token: {shop.api_token}"
        + f"\n  Try:       curl -H 'Authorization: Bearer {shop.api_token}' "
        + f"{base_url}/api/v1/shops/{shop.shop_id}/kpis\n",
        flush=True,
    )
    if not arriving:
        _say_ready_later(publisher, stop, ready)
        return

    def delivered() -> None:  # in the sending thread: analytics now, then the ready line
        queue_analytics(registry, publisher, shop.shop_id)
        say_when_settled(publisher, stop, ready)

    secret = registry.webhook_secret(shop.shop_id) or ""
    demo_shop.send_in_background(settings, base_url, shop, secret, stop, delivered)


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    """The webhook receiver alone (spooling locally while the broker is unreachable)."""
    clock = SystemClock()
    registry = open_registry(settings)
    messaging = open_messaging(settings, clock)
    readiness = _readiness(registry, messaging)
    app = build_web_app(settings, registry, messaging.publisher, clock, readiness, serve_api=False)
    server = make_server(app, settings.host, settings.port, settings.max_body_bytes)
    url = f"http://{settings.host}:{server.effective_port}"
    where = settings.data_dir.resolve()
    print(f"wcpulse ingest listening on {url} (data directory {where})", flush=True)
    try:
        serve_until_stopped(server, threading.Event())
    finally:
        messaging.close()
        registry.close()
    return 0


def api(args: argparse.Namespace, settings: Settings) -> int:
    """The read API and dashboard alone (reads published views; stateless). With
    WCPULSE_ADMIN_TOKEN set it also publishes the admin API's jobs (customer erasure)."""
    from api.app import create_app

    clock = SystemClock()
    registry = open_registry(settings)
    messaging = None
    try:
        messaging = open_messaging(settings, clock) if settings.admin_token else None
        publisher = messaging.publisher if messaging is not None else None
        readiness = {"metadata": registry.ping}
        app = create_app(settings, registry, clock, readiness=readiness, publisher=publisher)
        server = make_server(app, settings.host, settings.port, settings.max_body_bytes)
        url = f"http://{settings.host}:{server.effective_port}"
        where = settings.data_dir.resolve()
        print(f"wcpulse api listening on {url} (data directory {where})", flush=True)
        serve_until_stopped(server, threading.Event())
    finally:
        if messaging is not None:
            messaging.close()
        registry.close()
    return 0


def process(args: argparse.Namespace, settings: Settings) -> int:
    """Stream processors for the given partitions (all by default)."""
    partitions = args.partitions
    if partitions is not None and any(p >= settings.partitions for p in partitions):
        raise UserError(f"partitions must be below WCPULSE_PARTITIONS={settings.partitions}")
    clock = SystemClock()

    parent = parent_pid()  # the ``wcpulse run`` this is the processor of, if any

    def start(registry: ShopRegistry, messaging: Messaging, stop: threading.Event) -> Any:
        if parent is not None:
            watch_parent(parent, stop)
        else:
            print(mail_destination(settings), flush=True)
        return start_consumer(settings, messaging, registry, clock, stop, partitions)

    banner = (
        f"wcpulse processor running (partitions: {partitions or 'all'}; data directory "
        f"{settings.data_dir.resolve()})"
    )
    return run_in_background(settings, start, None if parent else banner, interrupt=parent is None)


def replay(args: argparse.Namespace, settings: Settings) -> int:
    registry = open_registry(settings)
    try:
        shop = registry.require(args.shop)
    except Exception as exc:
        raise UserError(str(exc)) from None
    finally:
        registry.close()
    report = replay_shop(settings.data_dir, shop, SystemClock(), on_progress=_replay_progress)
    print(
        f"replayed {report.events} events of shop {shop.shop_id}: {report.applied} applied, "
        f"{report.unprocessable} unprocessable; views version {report.views_version}"
    )
    return 0


def _replay_progress(done: int) -> None:
    if done % 50000 == 0:
        print(f"replay: {done} events", file=sys.stderr, flush=True)
