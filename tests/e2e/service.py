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

from ingest.phpjson import php_json_encode
from ingest.verify import sign

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
