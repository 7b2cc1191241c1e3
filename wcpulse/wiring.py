"""Composition root: picks adapters from Settings (embedded defaults or RabbitMQ/PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from flask import Flask

from ingest.errors import PublishError
from ingest.messaging.journal import JournaledPublisher
from ingest.messaging.publisher import SpoolForwarder, open_spool
from ingest.messaging.spool import SQLiteQueue
from ingest.receiver.shops import CachedShopDirectory
from ingest.receiver.tickets import tickets_blueprint
from ingest.receiver.woocommerce import mount_woocommerce
from processors.alerts.mailer import Mailer, mailer_from_settings
from processors.alerts.notifier import MailLinks, Notifier
from processors.consumer import Consumer
from schemas.clock import Clock, SystemClock
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.layout import broker_journal_dir, embedded_broker_path, spool_journal_dir, spool_path
from store.metadata import ShopRegistry
from wcpulse.errors import UserError
from wcpulse.server import wait_until_stopped
from wcpulse.shop_registry import default_open_registry

log = structlog.get_logger("wcpulse")
# how often a forwarder looks at the spool (a read of an empty table when nothing waits:
# about 20 us; what a webhook waits for is the journal's write, not this)
FORWARD_POLL_SECONDS = 0.01


def open_registry(settings: Settings) -> ShopRegistry:
    try:
        return default_open_registry(settings)
    except UserError:
        raise
    except Exception as exc:  # the edge: an unreachable database becomes one line
        raise UserError(f"cannot open the metadata database: {exc}") from exc


def find_shop(settings: Settings, shop_id: str) -> ShopConfig:
    """The shop's configuration, read from the metadata database; one-line error if none."""
    registry = open_registry(settings)
    try:
        return registry.require(shop_id)
    finally:
        registry.close()


@dataclass
class Messaging:
    """The publisher for ingest and a factory of message sources for processors."""

    publisher: Any
    make_source: Callable[[list[int] | None], Any]
    background: list[Any] = field(default_factory=list)
    ping: Callable[[], None] = lambda: None
    closes: list[Callable[[], None]] = field(default_factory=list)  # after the publisher's

    def close(self) -> None:
        for item in self.background:
            item.stop()
        close = getattr(self.publisher, "close", None)
        try:
            if close is not None:
                close()
        finally:
            for then in self.closes:
                try:
                    then()
                except Exception as exc:  # noqa: BLE001 - the edge: the others still close
                    log.error("messaging_close_failed", error=type(exc).__name__)


def open_messaging(settings: Settings, clock: Clock) -> Messaging:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.embedded_broker:
        return _embedded_messaging(settings, clock)
    return _rabbit_messaging(settings, clock)


def _embedded_messaging(settings: Settings, clock: Clock) -> Messaging:
    queue = SQLiteQueue(embedded_broker_path(settings.data_dir), settings.partitions, clock=clock)

    def make_source(partitions: list[int] | None) -> Any:
        # One process owns the embedded broker: its consumer shares the publisher's queue.
        return _SharedSource(queue)

    # what is published goes through this process's journal (one write a delivery) into
    # the queue; the journal is moved into the queue before the queue closes
    journal = JournaledPublisher(queue, broker_journal_dir(settings.data_dir))
    return Messaging(
        publisher=journal, make_source=make_source, ping=queue.depth, closes=[queue.close]
    )


def _rabbit_messaging(settings: Settings, clock: Clock) -> Messaging:
    from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology
    from ingest.messaging.rabbit_source import RabbitSource

    url = settings.broker_url or ""
    topology = RabbitTopology(settings.queue_prefix, settings.partitions)
    _declare(url, topology)
    # what is published is durable in the spool (behind this process's journal: one write
    # a delivery), and the forwarder moves the spool into RabbitMQ, now or when it is back
    spool = open_spool(spool_path(settings.data_dir), clock)
    primary = RabbitPublisher(url, topology)
    forwarder = SpoolForwarder(spool, primary, interval=FORWARD_POLL_SECONDS)
    forwarder.start()
    journal = JournaledPublisher(spool, spool_journal_dir(settings.data_dir))

    def make_source(partitions: list[int] | None) -> Any:
        chosen = partitions if partitions is not None else list(range(settings.partitions))
        # two batches in flight: a fetch finds a whole batch waiting, so a backlog is taken
        # in full batches (a short one means "drained" to the consumer: it publishes)
        return RabbitSource(url, topology, chosen, prefetch=2 * settings.batch_size)

    # on close: the forwarder stops, the journal moves into the spool, and what the spool
    # holds goes to RabbitMQ if it can (a command that exits leaves nothing it could send)
    return Messaging(
        publisher=journal,
        make_source=make_source,
        background=[forwarder],
        ping=spool.depth,  # ready while the spool takes deliveries, RabbitMQ up or not
        closes=[forwarder.run_once, spool.close, primary.close],
    )


def _declare(url: str, topology: Any) -> None:
    from ingest.messaging.rabbit import connect

    try:
        with connect(url) as conn:
            topology.declare(conn)
    except Exception as exc:  # unreachable at start: ingest still spools, say so once
        log.warning("broker_unreachable_at_start", error=str(exc))


class _SharedSource:
    """The embedded queue as a source for one consumer of a shared queue.

    Closing it must not close the publisher's queue; it hands back whatever it fetched
    and did not settle, so a restarted consumer gets those messages again.
    """

    def __init__(self, queue: SQLiteQueue) -> None:
        self._queue = queue
        self._outstanding: dict[Any, Any] = {}

    def fetch(self, max_messages: int, timeout: float) -> Any:
        batch = self._queue.fetch(max_messages, timeout)
        self._outstanding.update((d.tag, d) for d in batch)
        return batch

    def ack(self, deliveries: Any) -> None:
        self._queue.ack(deliveries)
        for delivery in deliveries:
            self._outstanding.pop(delivery.tag, None)

    def dead_letter(self, delivery: Any, reason: str) -> None:
        self._queue.dead_letter(delivery, reason)
        self._outstanding.pop(delivery.tag, None)

    def take_dead_lettered(self) -> list[tuple[bytes, str]]:
        return self._queue.take_dead_lettered()

    def close(self) -> None:
        if self._outstanding:
            self._queue.release(list(self._outstanding.values()))
            self._outstanding.clear()


def build_web_app(
    settings: Settings,
    registry: ShopRegistry,
    publisher: Any,
    clock: Clock,
    readiness: dict[str, Callable[[], Any]],
    serve_api: bool = True,
    serve_ingest: bool = True,
) -> Flask:
    """One Flask app serving the read API, the dashboard and/or the webhook receiver."""
    from api.app import create_app as create_api_app
    from ingest.receiver.app import create_app as create_ingest_app

    shops = CachedShopDirectory(registry, clock=clock)
    if not serve_api:
        return create_ingest_app(settings, shops, publisher, clock, readiness)
    app = create_api_app(settings, registry, clock, readiness=readiness, publisher=publisher)
    if serve_ingest:
        mount_woocommerce(app, settings, shops, publisher, clock)
        app.register_blueprint(tickets_blueprint(settings, shops, publisher, clock))
    return app


def start_consumer(
    settings: Settings,
    messaging: Messaging,
    registry: ShopRegistry,
    clock: Clock,
    stop: threading.Event,
    partitions: list[int] | None = None,
) -> threading.Thread:
    """A processor thread that restarts its consumer after an unexpected error."""
    notifier = alert_notifier(settings, registry)

    def loop() -> None:
        while not stop.is_set():
            source = messaging.make_source(partitions)
            consumer = Consumer(
                source,
                registry,
                settings.data_dir,
                clock,
                batch_size=settings.batch_size,
                view_interval=settings.view_interval_seconds,
                alert_interval=settings.alert_interval_seconds,
                notifier=notifier,
            )
            try:
                consumer.run(stop)
            except Exception:
                log.exception("consumer_crashed_restarting")
                _release_and_close(source)
                stop.wait(1.0)
            else:
                source.close()

    thread = threading.Thread(target=loop, name="wcpulse-processor", daemon=True)
    thread.start()
    return thread


def _mailer(settings: Settings) -> Mailer:
    try:
        return mailer_from_settings(settings.smtp_url, settings.data_dir)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def mail_destination(settings: Settings) -> str:
    """Where alert e-mails go, as the start-up says it (so the operator knows); a wrong
    WCPULSE_SMTP_URL is a UserError."""
    where = _mailer(settings).describe()
    if settings.smtp_url is None:
        where += " (no WCPULSE_SMTP_URL set: alert e-mails are written there)"
    return f"Alert e-mails: {where}"


def alert_notifier(settings: Settings, registry: ShopRegistry) -> Notifier:
    """Alert e-mail through WCPULSE_SMTP_URL, else into a Maildir under the data folder."""
    mailer = _mailer(settings)
    sender = getattr(mailer, "sender", None) or settings.mail_from  # the URL's ?from= wins
    links = MailLinks(sender, settings.public_url, registry.webhook_secret)
    return Notifier(mailer, registry.alert_sends, links)


def _release_and_close(source: Any) -> None:
    try:
        source.close()
    except PublishError:
        pass
    except Exception:
        log.exception("source_close_failed")


def run_in_background(
    settings: Settings,
    start: Callable[[ShopRegistry, Messaging, threading.Event], threading.Thread],
    banner: str | None,
    interrupt: bool = True,
) -> int:
    """A process whose work runs in one thread (processor, scheduler) until SIGINT/SIGTERM
    (SIGTERM only without ``interrupt``), or until something sets the stop event."""
    registry = open_registry(settings)
    messaging = open_messaging(settings, SystemClock())
    stop = threading.Event()
    thread = start(registry, messaging, stop)
    if banner:
        print(banner, flush=True)
    try:
        wait_until_stopped(stop, interrupt)
    finally:
        stop.set()
        thread.join(timeout=30)
        messaging.close()
        registry.close()
    return 0
