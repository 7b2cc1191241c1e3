"""Start real wcpulse processes for end-to-end tests and talk to them over HTTP."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from ingest.demo.phpjson import php_json_encode
from ingest.receiver.verify import sign

DEADLINE = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], Any], timeout: float = DEADLINE, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (httpx.HTTPError, OSError, ValueError, KeyError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")


@dataclass
class Service:
    data_dir: Path
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
        env.update(
            WCPULSE_DATA_DIR=str(self.data_dir),
            WCPULSE_PORT=str(self.port),
            WCPULSE_ALLOW_HTTP_SHOPS="1",
            WCPULSE_VIEW_INTERVAL="0.1",
            WCPULSE_LOG_LEVEL="WARNING",
            WCPULSE_SECRET_KEY="0" * 64,
        )
        env.update(self.extra_env)
        env.update(overrides)
        return env

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "wcpulse", *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def add_shop(self, timezone: str = "UTC") -> dict[str, str]:
        result = self.cli(
            "shop", "add", "--name", "E2E", "--url", "http://127.0.0.1/shop",
            "--timezone", timezone, "--json",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    def start(self, *args: str, port: int | None = None, wait: bool = True, **env: str):
        port = port or self.port
        log = open(self.data_dir / f"{args[0]}-{len(self.processes)}.log", "w")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "wcpulse", *args],
            env=self.env(WCPULSE_PORT=str(port), **env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        if wait:
            wait_for(lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200,
                     what=f"wcpulse {args[0]} on port {port}")  # fmt: skip
        return process

    def kill9(self, process: subprocess.Popen) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def post_webhook(
    base_url: str, shop: dict[str, str], topic: str, payload: Any, secret: str | None = None
) -> httpx.Response:
    """POST a body encoded and signed exactly as WooCommerce (PHP) would."""
    body = php_json_encode(payload)
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "http://127.0.0.1/shop/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, secret or shop["webhook_secret"]),
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": "abc",
    }
    url = f"{base_url}/webhooks/woocommerce/{shop['shop_id']}"
    return httpx.post(url, content=body, headers=headers, timeout=10)


def api_get(base_url: str, shop: dict[str, str], path: str, **params: Any) -> httpx.Response:
    url = f"{base_url}/api/v1/shops/{shop['shop_id']}/{path}"
    headers = {"Authorization": f"Bearer {shop['api_token']}"}
    return httpx.get(url, params=params, headers=headers, timeout=10)


# -- Helpers of the hostile-input test: raw signed bodies, whole lists, dead letters, views --


@dataclass(frozen=True)
class Answer:
    status: int
    payload: Any  # the answer's JSON, or the start of its text


def post_raw_webhook(
    client: httpx.Client, base_url: str, shop: dict[str, str], topic: str, body: bytes
) -> httpx.Response:
    """POST ``body`` byte for byte, signed with the shop's secret, with WooCommerce's headers."""
    resource, _, event = topic.partition(".")
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": "http://127.0.0.1/shop/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": sign(body, shop["webhook_secret"]),
        "X-WC-Webhook-ID": "7",
        "X-WC-Webhook-Delivery-ID": "abc",
    }
    url = f"{base_url}/webhooks/woocommerce/{shop['shop_id']}"
    return client.post(url, content=body, headers=headers, timeout=30)


def post_concurrently(
    base_url: str, deliveries: list[tuple[dict[str, str], str, bytes]], threads: int = 4
) -> list[Answer]:
    """POST every (shop, topic, body) signed, from ``threads`` threads at once; the answers
    in the order of ``deliveries``."""
    from concurrent.futures import ThreadPoolExecutor

    def post(delivery: tuple[dict[str, str], str, bytes]) -> Answer:
        response = post_raw_webhook(client, base_url, *delivery)
        try:
            return Answer(response.status_code, response.json())
        except ValueError:
            return Answer(response.status_code, response.text[:300])

    with httpx.Client() as client, ThreadPoolExecutor(threads) as pool:
        return list(pool.map(post, deliveries))


def list_all(base_url: str, shop: dict[str, str], path: str, **params: Any) -> list[dict]:
    """Every row of a list endpoint, page after page; a non-200 answer raises
    ``httpx.HTTPStatusError`` (which ``wait_for`` treats as "not yet")."""
    rows: list[dict] = []
    page = 1
    while True:
        response = api_get(base_url, shop, path, page=page, per_page=500, **params)
        response.raise_for_status()
        document = response.json()
        rows.extend(document["data"])
        if page >= document["pagination"]["pages"]:
            return rows
        page += 1


def dead_letter_reasons(svc: Service, partitions: int) -> dict[tuple[Any, Any], str]:
    """The service's dead letters: {(shop id, delivery text): reason}, from the envelopes."""
    env = svc.extra_env
    if "WCPULSE_BROKER_URL" in env:
        url, prefix = env["WCPULSE_BROKER_URL"], env["WCPULSE_QUEUE_PREFIX"]
        records = rabbit_dead_letters(url, prefix, partitions)
    else:
        records = embedded_dead_letters(svc.data_dir, partitions)
    found = {}
    for record in records:
        try:
            envelope = json.loads(record["body"])
        except ValueError:
            continue
        if isinstance(envelope, dict):
            found[(envelope.get("shop_id"), envelope.get("body"))] = str(record["reason"])
    return found


def embedded_dead_letters(data_dir: Path, partitions: int) -> list[dict]:
    """The embedded queue's dead letters, read from its file (shared with the service)."""
    from ingest.messaging.spool import SQLiteQueue
    from store.layout import embedded_broker_path

    queue = SQLiteQueue(embedded_broker_path(data_dir), partitions)
    try:
        return queue.dead_letters(limit=100_000)
    finally:
        queue.close()


def rabbit_dead_letters(url: str, prefix: str, partitions: int) -> list[dict]:
    """Peek at RabbitMQ's dead-letter queue: ``basic_get`` without ack on a channel of our
    own, closed afterwards so every message goes back. (``RabbitSource.dead_letters`` would
    also start a consumer on the partition queues, competing with the service's.)"""
    from ingest.messaging.rabbit import RabbitTopology, connect
    from ingest.messaging.rabbit_source import dead_letter_records

    queue_name = RabbitTopology(prefix, partitions).dead_letter_queue_name
    with connect(url) as conn:
        channel = conn.channel()
        try:
            records = []
            while (message := channel.basic_get(queue_name, no_ack=False)) is not None:
                records += dead_letter_records(message)
            return records
        finally:
            channel.close()


def view_tables(data_dir: Path, shop_id: str) -> dict[str, Any]:
    """A shop's published views as Arrow tables, by view name (content, not file bytes)."""

    from store.layout import shop_paths

    views = shop_paths(data_dir, shop_id).views_dir
    from tests.views_builder import read_views

    return read_views(views)


def log_lines(svc: Service, needle: str) -> list[str]:
    """The lines of the service's process logs (stdout and stderr) that mention ``needle``."""
    found = []
    for path in sorted(svc.data_dir.glob("*.log")):
        found += [line for line in path.read_text(errors="replace").splitlines() if needle in line]
    return found
