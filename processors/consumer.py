"""The consumer loop: fetch a batch -> decode -> apply per shop -> commit -> ack -> views.

A message that cannot be decoded or handled goes to the dead-letter queue with its reason;
the rest of the batch keeps flowing. Messages are acknowledged only after their shop's
state has committed, so a crash anywhere before that redelivers them, and idempotent
application makes the redelivery harmless.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import structlog

from processors.pipeline import ShopPipeline
from schemas.clock import Clock
from schemas.envelope import Envelope, EnvelopeError
from schemas.shop import ShopConfig

log = structlog.get_logger("wcpulse.consumer")


class Delivery(Protocol):
    body: bytes
    partition: int
    redelivered: bool


class MessageSource(Protocol):
    def fetch(self, max_messages: int, timeout: float) -> Sequence[Any]: ...
    def ack(self, deliveries: Sequence[Any]) -> None: ...
    def dead_letter(self, delivery: Any, reason: str) -> None: ...
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
    ) -> None:
        self._source = source
        self._shops = shops
        self._data_dir = Path(data_dir)
        self._clock = clock
        self._batch_size = batch_size
        self._view_interval = view_interval
        self._pipelines: dict[str, ShopPipeline] = {}
        self._dirty: dict[str, float] = {}
        self.on_batch: Callable[[int], None] | None = None

    def run(self, stop: threading.Event, poll_timeout: float = 0.5) -> None:
        try:
            while not stop.is_set():
                self.run_once(poll_timeout)
        finally:
            self.close()

    def run_once(self, timeout: float = 0.5) -> int:
        """Handle one batch; returns how many messages were taken off the queues."""
        deliveries = list(self._source.fetch(self._batch_size, timeout))
        by_shop = self._decode(deliveries)
        for shop_id, pairs in by_shop.items():
            self._handle_shop(shop_id, pairs)
        self.publish_due(force=not deliveries)
        if self.on_batch is not None and deliveries:
            self.on_batch(len(deliveries))
        return len(deliveries)

    def publish_due(self, force: bool = False) -> None:
        now = self._clock.now()
        for shop_id, since in list(self._dirty.items()):
            if force or now.timestamp() - since >= self._view_interval:
                pipeline = self._pipelines.get(shop_id)
                if pipeline is not None:
                    pipeline.publish(now)
                del self._dirty[shop_id]

    def close(self) -> None:
        try:
            self.publish_due(force=True)
        finally:
            for pipeline in self._pipelines.values():
                pipeline.close()
            self._pipelines.clear()

    def _decode(self, deliveries: list[Any]) -> dict[str, list[tuple[Any, Envelope]]]:
        by_shop: dict[str, list[tuple[Any, Envelope]]] = {}
        for delivery in deliveries:
            try:
                envelope = Envelope.from_json(delivery.body)
            except EnvelopeError as exc:
                self._dead_letter(delivery, str(exc), None)
                continue
            by_shop.setdefault(envelope.shop_id, []).append((delivery, envelope))
        return by_shop

    def _handle_shop(self, shop_id: str, pairs: list[tuple[Any, Envelope]]) -> None:
        shop = self._shops.get(shop_id)
        if shop is None:
            for delivery, _ in pairs:
                self._dead_letter(delivery, f"unknown shop {shop_id}", shop_id)
            return
        pipeline = self._pipeline(shop)
        result, failures = pipeline.apply([e for _, e in pairs], self._clock.now())
        for index, reason in failures.items():
            self._dead_letter(pairs[index][0], reason, shop_id, pairs[index][1].topic)
        self._source.ack([d for i, (d, _) in enumerate(pairs) if i not in failures])
        self._dirty.setdefault(shop_id, self._clock.now().timestamp())
        log.info(
            "batch_committed",
            shop_id=shop_id,
            messages=len(pairs),
            applied=result.applied,
            skipped=result.skipped,
            dead_lettered=len(failures),
        )

    def _pipeline(self, shop: ShopConfig) -> ShopPipeline:
        pipeline = self._pipelines.get(shop.shop_id)
        if pipeline is None:
            pipeline = ShopPipeline(self._data_dir, shop)
            self._pipelines[shop.shop_id] = pipeline
        pipeline.shop = shop
        return pipeline

    def _dead_letter(
        self, delivery: Any, reason: str, shop_id: str | None, topic: str = ""
    ) -> None:
        log.warning("message_dead_lettered", shop_id=shop_id, topic=topic, reason=reason)
        self._source.dead_letter(delivery, reason)
