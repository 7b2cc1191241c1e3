"""Send deliveries to a webhook URL the way WooCommerce does: PHP-encoded JSON bodies,
signed, with WooCommerce's headers.

Unlike WooCommerce (which drops a failed delivery), a failed POST — a connection error or a
5xx — is retried a few times with backoff, so a demo reaches the pipeline whole. Deliveries
of the same resource go through the same worker in the order given; different resources go
out concurrently over a few keep-alive connections.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import structlog

from ingest.demo.phpjson import php_json_encode
from ingest.demo.shop import DemoDelivery
from ingest.receiver.verify import sign

log = structlog.get_logger(__name__)

USER_AGENT = "WooCommerce/9.4.2 Hookshot (WordPress/6.6.2)"
# WooCommerce has one webhook per topic, each with its own id.
WEBHOOK_IDS = {
    topic: index
    for index, topic in enumerate(
        (
            "order.created", "order.updated", "order.deleted", "order.restored",
            "customer.created", "customer.updated", "customer.deleted",
            "product.created", "product.updated", "product.deleted", "product.restored",
            "coupon.created", "coupon.updated", "coupon.deleted", "coupon.restored",
        ),
        start=1,
    )
}  # fmt: skip
ATTEMPTS = 4
BACKOFF_SECONDS = 0.1
QUEUE_DEPTH = 64
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True)
class SendReport:
    sent: int
    failed: int
    statuses: dict[int, int] = field(default_factory=dict)


def webhook_headers(
    topic: str,
    body: bytes,
    secret: str,
    *,
    source_url: str,
    webhook_id: int = 1,
    delivery_id: str | None = None,
) -> dict[str, str]:
    """The headers of a WooCommerce delivery of ``body`` (the exact bytes to be sent)."""
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-WC-Webhook-Source": source_url,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret),
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": delivery_id or delivery_id_for(webhook_id, int(time.time())),
    }


def delivery_id_for(webhook_id: int, second: int) -> str:
    """Like WooCommerce's: a hash of the webhook id and the current second, so not unique."""
    return hashlib.md5(f"{webhook_id}{second}".encode()).hexdigest()


def send_deliveries(
    webhook_url: str,
    secret: str,
    deliveries: Iterable[DemoDelivery],
    *,
    source_url: str = "https://demo.wcpulse.local/",
    concurrency: int = 4,
    on_progress: ProgressCallback | None = None,
    stop: threading.Event | None = None,
) -> SendReport:
    """POST every delivery; per-resource order is kept, failures are retried then counted.

    ``on_progress(done, total)`` is called after each delivery, from the worker threads (one
    at a time). Setting ``stop`` ends the sending early (what was not sent is not counted)."""
    stop = stop or threading.Event()
    pending = list(deliveries)
    tally = _Tally(len(pending), on_progress)
    workers = max(1, concurrency)
    queues: list[queue.Queue[DemoDelivery | None]] = [
        queue.Queue(QUEUE_DEPTH) for _ in range(workers)
    ]
    post = _Poster(webhook_url, secret, source_url, stop)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook-sender") as pool:
        futures = [pool.submit(_drain, lane, post, tally) for lane in queues]
        try:
            for delivery in pending:
                if stop.is_set():
                    break
                index = shard_of(delivery, workers)
                _hand_over(queues[index], delivery, futures[index])
        finally:
            for lane, future in zip(queues, futures, strict=True):
                if not future.done():
                    _hand_over(lane, None, future)
        for future in futures:
            future.result()
    return tally.report()


def shard_of(delivery: DemoDelivery, shards: int) -> int:
    """The same resource (``order`` 123) always lands on the same worker."""
    resource = delivery.topic.partition(".")[0]
    return zlib.crc32(f"{resource}:{delivery.body.get('id')}".encode()) % shards


class _Poster:
    def __init__(self, url: str, secret: str, source_url: str, stop: threading.Event) -> None:
        self.url, self.secret, self.source_url = url, secret, source_url
        self.stop = stop

    def send(self, client: httpx.Client, delivery: DemoDelivery) -> int | None:
        """The final status (after retries), or None when the server was never reached."""
        body = php_json_encode(delivery.body)
        webhook_id = WEBHOOK_IDS.get(delivery.topic, 99)
        headers = webhook_headers(
            delivery.topic,
            body,
            self.secret,
            source_url=self.source_url,
            webhook_id=webhook_id,
            delivery_id=delivery_id_for(webhook_id, int(delivery.at.timestamp())),
        )
        status: int | None = None
        for attempt in range(ATTEMPTS):
            if attempt and self.stop.wait(BACKOFF_SECONDS * 2 ** (attempt - 1)):
                break
            try:
                status = client.post(self.url, content=body, headers=headers).status_code
            except httpx.TransportError as error:
                log.warning("webhook_post_error", topic=delivery.topic, error=type(error).__name__)
                continue
            if status < 500:
                break
        return status


class _Tally:
    def __init__(self, total: int, on_progress: ProgressCallback | None) -> None:
        self.total, self.on_progress = total, on_progress
        self.sent = self.failed = 0
        self.statuses: Counter[int] = Counter()
        self.lock = threading.Lock()

    def record(self, delivery: DemoDelivery, status: int | None) -> None:
        ok = status is not None and 200 <= status <= 302
        with self.lock:
            if status is not None:
                self.statuses[status] += 1
            self.sent += ok
            self.failed += not ok
            if not ok:
                log.warning("webhook_delivery_failed", topic=delivery.topic, status=status)
            if self.on_progress is not None:
                self.on_progress(self.sent + self.failed, self.total)

    def report(self) -> SendReport:
        return SendReport(self.sent, self.failed, dict(self.statuses))


def _drain(lane: queue.Queue[DemoDelivery | None], post: _Poster, tally: _Tally) -> None:
    with httpx.Client(timeout=httpx.Timeout(30.0)) as client:
        while (delivery := lane.get()) is not None:
            if not post.stop.is_set():
                tally.record(delivery, post.send(client, delivery))


def _hand_over(lane: queue.Queue, item: DemoDelivery | None, worker: Future) -> None:
    """Put ``item`` on a worker's queue, without waiting forever on a worker that died."""
    while True:
        try:
            lane.put(item, timeout=0.5)
            return
        except queue.Full:
            if worker.done():
                worker.result()
                raise RuntimeError("webhook sender worker stopped") from None
