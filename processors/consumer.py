"""The consumer loop: fetch a batch -> decode -> apply per shop -> commit -> ack -> views.

A message that cannot be decoded or handled goes to the dead-letter queue with its reason;
the rest of the batch keeps flowing. One that never reached its shop's pipeline (undecodable,
or given up by the queue) is noted for the shop it names and raised as that shop's
pipeline_health alert (processors/dead_letters.py). Messages are acknowledged only after
their shop's state has committed, so a crash anywhere before that redelivers them, and
idempotent application makes the redelivery harmless.

A failure that is not a message's fault (the disk, the metadata database, the broker) never
dead-letters anything and never restarts the consumer: the shop's part of the batch is held,
unacknowledged, and tried again with a growing pause (its delivery count does not grow), until
it succeeds or the consumer is stopped. A shop whose views fail to publish keeps its state
and is published again later, with the same pause. When each shop's views are published,
and its alert mail looked at: processors/publish_schedule.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import structlog

from processors.alerts.dispatch import send_alert_mail
from processors.alerts.notifier import Notifier
from processors.dead_letters import DeadLetterNotes, shop_of
from processors.pipeline import ShopPipeline
from processors.publish_schedule import PublishSchedule
from schemas.clock import Clock
from schemas.envelope import Envelope, EnvelopeError
from schemas.shop import ShopConfig
from store.errors import StateLocked

log = structlog.get_logger("wcpulse.consumer")

RETRY_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds; the last repeats


class Stopped(Exception):
    """The consumer was stopped while it held a batch it could not apply yet."""


def retry_delay(attempt: int, delays: Sequence[float] = RETRY_DELAYS) -> float:
    """The pause before try ``attempt + 1`` (attempt counts from 1)."""
    return delays[min(attempt, len(delays)) - 1]


class Delivery(Protocol):
    body: bytes
    partition: int
    redelivered: bool


class MessageSource(Protocol):
    def fetch(self, max_messages: int, timeout: float) -> Sequence[Any]: ...
    def ack(self, deliveries: Sequence[Any]) -> None: ...
    def dead_letter(self, delivery: Any, reason: str) -> None: ...
    def take_dead_lettered(self) -> list[tuple[bytes, str]]: ...
    def close(self) -> None: ...


class ShopDirectory(Protocol):
    def get(self, shop_id: str) -> ShopConfig | None: ...


class Consumer:
    def __init__(
        self,
        source: MessageSource,
        shops: ShopDirectory,
        data_dir: Path,
        clock: Clock,
        batch_size: int = 500,
        view_interval: float = 0.5,
        alert_interval: float = 0.0,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        notifier: Notifier | None = None,
    ) -> None:
        self._source = source
        self._shops = shops
        self._data_dir = Path(data_dir)
        self._clock = clock
        self._batch_size = batch_size
        self._alert_interval = alert_interval  # seconds between a shop's alert checks
        self._pipelines: dict[str, ShopPipeline] = {}
        self._schedule = PublishSchedule(view_interval)
        self._retry_delays = tuple(retry_delays)
        self._stop = threading.Event()
        self.retries = 0  # batches tried again after a failure that was not a message's
        self.on_batch: Callable[[int], None] | None = None
        self._notifier = notifier
        self._dead = DeadLetterNotes()  # dead letters no pipeline saw, by shop

    def run(self, stop: threading.Event, poll_timeout: float = 0.5) -> None:
        self._stop = stop
        try:
            while not stop.is_set():
                self.run_once(poll_timeout)
        except Stopped:
            pass
        finally:
            self.close()

    def run_once(self, timeout: float = 0.5) -> int:
        """Handle one batch; returns how many messages were taken off the queues."""
        deliveries = list(self._source.fetch(self._batch_size, timeout))
        for body, reason in self._source.take_dead_lettered():  # the queue gave up on them
            log.warning("message_dead_lettered", shop_id=shop_of(body), reason=reason)
            self._note_dead_letter(shop_of(body), reason)
        by_shop = self._decode(deliveries)
        for shop_id, pairs in by_shop.items():
            self._handle_shop_until_done(shop_id, pairs)
        self._raise_dead_letters()
        # drained (a short batch): publish now; under a backlog at most every view_interval
        self.publish_due(force=len(deliveries) < self._batch_size)
        self.mail_due()
        if self.on_batch is not None and deliveries:
            self.on_batch(len(deliveries))
        return len(deliveries)

    def publish_due(self, force: bool = False) -> None:
        now = self._clock.now()
        for shop_id, failed in self._schedule.due(now, force):
            pipeline = self._pipelines.get(shop_id)
            if pipeline is not None and not self._publish(pipeline, now, failed):
                continue
            self._schedule.done(shop_id)
            if pipeline is not None and pipeline.follow_up:  # the alerts it raised
                self._schedule.changed(shop_id, now.timestamp())

    def mail_due(self) -> None:
        """Alert e-mails: after a shop's publish, and every ``MAIL_TICK`` seconds for the
        digests and the retries."""
        if self._notifier is None:
            return
        now = self._clock.now()
        for shop_id, pipeline in list(self._pipelines.items()):
            if not self._schedule.mail_due(shop_id, now.timestamp()):
                continue
            if send_alert_mail(self._notifier, pipeline, self._shops.get(shop_id), now):
                self._schedule.changed(shop_id, now.timestamp())

    def _publish(self, pipeline: ShopPipeline, now: datetime, failed: int) -> bool:
        """Publish the shop's views; a failure is logged and tried again later."""
        shop_id = pipeline.shop.shop_id
        started = time.perf_counter()
        try:
            pipeline.publish(now, alerts=True)
        except Exception as exc:  # noqa: BLE001 - the edge: the state is safe, views wait
            delay = retry_delay(failed + 1, self._retry_delays)
            self._schedule.failed(shop_id, failed + 1, now.timestamp() + delay)
            log.error(
                "views_publish_failed",
                shop_id=shop_id,
                error=type(exc).__name__,
                attempt=failed + 1,
                retry_in=delay,
                exc_info=failed == 0,
            )
            self._drop_pipeline(shop_id)
            return False
        seconds = time.perf_counter() - started
        self._schedule.published(shop_id, seconds)
        log.info("views_published", shop_id=shop_id, seconds=round(seconds, 4))
        return True

    def close(self) -> None:
        try:
            self._schedule.retry_now()  # one last try for every dirty shop
            self.publish_due(force=True)
        finally:
            for shop_id in list(self._pipelines):
                self._drop_pipeline(shop_id)

    def _decode(self, deliveries: list[Any]) -> dict[str, list[tuple[Any, Envelope]]]:
        by_shop: dict[str, list[tuple[Any, Envelope]]] = {}
        for delivery in deliveries:
            try:
                envelope = Envelope.from_json(delivery.body)
            except EnvelopeError as exc:
                shop_id = shop_of(delivery.body, getattr(delivery, "shop_id", None))
                self._dead_letter(delivery, str(exc), shop_id)
                self._note_dead_letter(shop_id, str(exc))
                continue
            by_shop.setdefault(envelope.shop_id, []).append((delivery, envelope))
        return by_shop

    def _handle_shop_until_done(self, shop_id: str, pairs: list[tuple[Any, Envelope]]) -> None:
        """Handle the shop's part of the batch; a failure that is not a message's (the
        pipeline fails messages itself) holds it and tries again after a pause."""
        attempt = 0
        while True:
            try:
                self._handle_shop(shop_id, pairs)
                return
            except Exception as exc:  # noqa: BLE001 - the edge: held and tried again
                attempt += 1
                self.retries += 1
                delay = retry_delay(attempt, self._retry_delays)
                log.error(
                    "batch_failed_retrying",
                    shop_id=shop_id,
                    messages=len(pairs),
                    error=type(exc).__name__,
                    attempt=attempt,
                    retry_in=delay,
                    exc_info=attempt == 1,
                )
                self._drop_pipeline(shop_id)
            if self._stop.wait(delay):
                raise Stopped

    def _drop_pipeline(self, shop_id: str) -> None:
        """Close a shop's pipeline after a failure: the next use opens it afresh."""
        pipeline = self._pipelines.pop(shop_id, None)
        if pipeline is None:
            return
        try:
            pipeline.close()
        except Exception:  # noqa: BLE001 - it failed already; the lock goes with the process
            log.warning("pipeline_close_failed", shop_id=shop_id, exc_info=True)

    def _handle_shop(self, shop_id: str, pairs: list[tuple[Any, Envelope]]) -> None:
        shop = self._shops.get(shop_id)
        if shop is None:
            for delivery, _ in pairs:
                self._dead_letter(delivery, f"unknown shop {shop_id}", shop_id)
            return
        pipeline = self._pipeline(shop)
        started = time.perf_counter()
        result, failures = pipeline.apply([e for _, e in pairs], self._clock.now())
        for index, reason in failures.items():
            self._dead_letter(pairs[index][0], reason, shop_id, pairs[index][1].topic)
        self._source.ack([d for i, (d, _) in enumerate(pairs) if i not in failures])
        self._schedule.changed(shop_id, self._clock.now().timestamp())
        log.info(
            "batch_committed",
            shop_id=shop_id,
            messages=len(pairs),
            applied=result.applied,
            skipped=result.skipped,
            dead_lettered=len(failures),
            seconds=round(time.perf_counter() - started, 4),
        )

    def _pipeline(self, shop: ShopConfig) -> ShopPipeline:
        pipeline = self._pipelines.get(shop.shop_id)
        if pipeline is None:
            pipeline = ShopPipeline(self._data_dir, shop, alert_every=self._alert_interval)
            self._pipelines[shop.shop_id] = pipeline
        pipeline.shop = shop
        return pipeline

    def _note_dead_letter(self, shop_id: str | None, reason: str) -> None:
        if shop_id is None:
            log.warning("dead_letter_names_no_shop", reason=reason)
        elif self._shops.get(shop_id) is not None:
            self._dead.note(shop_id, reason)

    def _raise_dead_letters(self) -> None:
        """Each noted shop's dead letters into its stream (``job.health_noted``); kept for
        the next batch when its state fails, dropped when another process owns it."""
        now = self._clock.now()
        for shop_id, envelope in self._dead.waiting(now):
            shop = self._shops.get(shop_id)
            try:
                if shop is not None:
                    self._pipeline(shop).apply([envelope], now)
                    self._schedule.changed(shop_id, now.timestamp())
            except StateLocked:
                log.warning("dead_letters_not_noted", shop_id=shop_id, reason="state locked")
            except Exception as exc:  # noqa: BLE001 - the edge: noted again after the next batch
                log.error("dead_letters_noting_failed", shop_id=shop_id, error=type(exc).__name__)
                self._drop_pipeline(shop_id)
                continue
            self._dead.done(shop_id)

    def _dead_letter(
        self, delivery: Any, reason: str, shop_id: str | None, topic: str = ""
    ) -> None:
        log.warning("message_dead_lettered", shop_id=shop_id, topic=topic, reason=reason)
        self._source.dead_letter(delivery, reason)
