"""The webhook sender against a real local HTTP server (werkzeug, in a thread)."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from flask import Flask, request
from werkzeug.serving import make_server

from ingest.demo.phpjson import php_json_encode
from ingest.demo.shop import DemoDelivery, generate_demo_shop
from ingest.demo.webhook_sender import ATTEMPTS, USER_AGENT, send_deliveries, webhook_headers
from ingest.receiver.verify import signature_matches

SECRET = "wc-demo-secret"
SOURCE = "https://demo.wcpulse.local/"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Received:
    topic: str
    raw: bytes
    headers: dict[str, str]
    signed: bool


@dataclass
class Receiver:
    """Checks each delivery's signature on the raw bytes and records it. ``fail_first``
    requests are answered 503; ``broken_ids`` always get a 500."""

    fail_first: int = 0
    broken_ids: frozenset[int] = frozenset()
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Flask:
        app = Flask(__name__)
        app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])
        return app

    def hook(self) -> tuple[str, int]:
        raw = request.get_data()
        signed = signature_matches(raw, SECRET, request.headers.get("X-WC-Webhook-Signature"))
        with self.lock:
            self.received.append(
                Received(request.headers["X-WC-Webhook-Topic"], raw, dict(request.headers), signed)
            )
            if len(self.received) <= self.fail_first:
                return "busy", 503
        if request.get_json()["id"] in self.broken_ids:
            return "broken", 500
        return ("", 200) if signed else ("bad signature", 401)


@contextmanager
def serving(receiver: Receiver) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, receiver.app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def deliveries() -> list[DemoDelivery]:
    return generate_demo_shop(seed=11, now=NOW, customers=60, days=90)


def per_resource(pairs: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    """Raw bodies grouped by resource (``order:12``), in the order given."""
    grouped: dict[str, list[bytes]] = defaultdict(list)
    for topic, raw in pairs:
        grouped[f"{topic.partition('.')[0]}:{json.loads(raw)['id']}"].append(raw)
    return grouped


def test_every_delivery_arrives_signed_and_in_order_per_resource(
    deliveries: list[DemoDelivery],
) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        report = send_deliveries(url, SECRET, deliveries, source_url=SOURCE, concurrency=4)
    assert (report.sent, report.failed, report.statuses) == (
        len(deliveries),
        0,
        {200: len(deliveries)},
    )
    assert len(receiver.received) == len(deliveries)
    assert all(item.signed for item in receiver.received)
    sent = per_resource([(x.topic, php_json_encode(x.body)) for x in deliveries])
    got = per_resource([(item.topic, item.raw) for item in receiver.received])
    assert got == sent
    assert sorted(item.topic for item in receiver.received) == sorted(x.topic for x in deliveries)


def test_deliveries_carry_woocommerce_headers(deliveries: list[DemoDelivery]) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        send_deliveries(url, SECRET, deliveries[:20], source_url=SOURCE)
    for item in receiver.received:
        headers = item.headers
        resource, _, event = item.topic.partition(".")
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == USER_AGENT and USER_AGENT.startswith("WooCommerce/")
        assert headers["X-Wc-Webhook-Source"] == SOURCE
        assert (headers["X-Wc-Webhook-Resource"], headers["X-Wc-Webhook-Event"]) == (
            resource,
            event,
        )
        assert headers["X-Wc-Webhook-Id"].isdigit()
        assert len(headers["X-Wc-Webhook-Delivery-Id"]) == 32


def test_a_503_is_retried_and_the_delivery_still_arrives(deliveries: list[DemoDelivery]) -> None:
    receiver = Receiver(fail_first=1)
    batch = deliveries[:5]
    with serving(receiver) as url:
        report = send_deliveries(url, SECRET, batch, source_url=SOURCE, concurrency=1)
    assert (report.sent, report.failed, report.statuses) == (5, 0, {200: 5})
    assert len(receiver.received) == 6
    assert receiver.received[0].raw == receiver.received[1].raw
    assert [item.raw for item in receiver.received[1:]] == [php_json_encode(x.body) for x in batch]


def test_a_delivery_that_keeps_failing_is_counted_as_failed(
    deliveries: list[DemoDelivery],
) -> None:
    batch = deliveries[:6]
    receiver = Receiver(broken_ids=frozenset({batch[0].body["id"]}))
    with serving(receiver) as url:
        report = send_deliveries(url, SECRET, batch, source_url=SOURCE, concurrency=2)
    broken = sum(x.body["id"] == batch[0].body["id"] for x in batch)
    assert (report.sent, report.failed) == (len(batch) - broken, broken)
    assert report.statuses == {200: len(batch) - broken, 500: broken}
    assert len(receiver.received) == len(batch) + (ATTEMPTS - 1) * broken


def test_an_unreachable_server_fails_every_delivery_without_hanging(
    deliveries: list[DemoDelivery],
) -> None:
    receiver = Receiver()
    with serving(receiver) as url:
        pass  # the port is closed again
    report = send_deliveries(url, SECRET, deliveries[:3], source_url=SOURCE)
    assert (report.sent, report.failed, report.statuses) == (0, 3, {})


def test_progress_is_reported_up_to_the_total(deliveries: list[DemoDelivery]) -> None:
    seen: list[tuple[int, int]] = []
    receiver = Receiver()
    with serving(receiver) as url:
        send_deliveries(url, SECRET, deliveries[:30], on_progress=lambda *p: seen.append(p))
    assert [done for done, _ in seen] == list(range(1, 31))
    assert {total for _, total in seen} == {30}


def test_webhook_headers_sign_the_exact_bytes() -> None:
    raw = php_json_encode({"id": 7, "href": "https://x/y"})
    headers = webhook_headers("product.deleted", raw, SECRET, source_url=SOURCE, webhook_id=9)
    assert signature_matches(raw, SECRET, headers["X-WC-Webhook-Signature"])
    assert not signature_matches(
        raw.replace(b"\\/", b"/"), SECRET, headers["X-WC-Webhook-Signature"]
    )
    assert headers["X-WC-Webhook-ID"] == "9"
    assert (headers["X-WC-Webhook-Resource"], headers["X-WC-Webhook-Event"]) == (
        "product",
        "deleted",
    )


def test_a_body_that_cannot_be_encoded_raises_instead_of_hanging() -> None:
    bad = [DemoDelivery("order.updated", {"id": 1, "tags": {"a", "b"}}, NOW)] * 200
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            send_deliveries("http://127.0.0.1:9/hook", SECRET, bad, concurrency=2)
        except Exception as error:
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], TypeError)
