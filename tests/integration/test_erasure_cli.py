"""``wcpulse customers erase`` as a real command (a subprocess) against a data dir whose
shop's processor runs in this test's thread: one-line errors, and the success line."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.demo.phpjson import php_json_encode
from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from schemas.clock import SystemClock
from schemas.envelope import Envelope
from schemas.settings import Settings, load_settings
from store.layout import embedded_broker_path, shop_paths
from store.metadata import ShopRegistry
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.cli_runner import run_wcpulse
from tests.integration.erasure_support import files_mentioning
from tests.views_builder import guest_key
from wcpulse.shop_registry import default_open_registry

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
ADA = "Ada@Example.com"
BOB = "bob@example.com"


@dataclass
class Env:
    settings: Settings
    registry: ShopRegistry
    shop_id: str

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return run_wcpulse(self.settings.data_dir, *args)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    settings = load_settings({"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64})
    registry = default_open_registry(settings)
    new = registry.add_shop(name="Cli", url="https://cli.example", now=NOW)
    yield Env(settings, registry, new.shop.shop_id)
    registry.close()


class Processor:
    """The shop's processor in a thread of this test, on the data dir's embedded queue."""

    def __init__(self, env: Env) -> None:
        data_dir, partitions = env.settings.data_dir, env.settings.partitions
        self.queue = SQLiteQueue(embedded_broker_path(data_dir), partitions)
        consumer = Consumer(self.queue, env.registry, data_dir, SystemClock())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=consumer.run, args=(self._stop, 0.05))
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(timeout=30)
            self.queue.close()


@pytest.fixture
def processor(env: Env) -> Iterator[Processor]:
    running = Processor(env)
    yield running
    running.stop()


def one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("wcpulse: error:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_unknown_shop_and_a_malformed_key_end_in_one_line(env):
    unknown = one_line_error(env.cli("customers", "erase", "shp_nope", "25", "--yes"))
    assert "shp_nope" in unknown
    malformed = one_line_error(env.cli("customers", "erase", env.shop_id, "ada", "--yes"))
    assert "'ada' is not a customer key" in malformed


def test_without_yes_and_without_a_terminal_it_refuses(env):
    line = one_line_error(env.cli("customers", "erase", env.shop_id, "25"))
    assert "without --yes" in line


def test_with_no_processor_running_the_wait_ends_in_one_line_naming_the_erasure(env):
    result = env.cli("customers", "erase", env.shop_id, "25", "--yes", "--wait", "0.5")
    line = one_line_error(result)
    assert "is queued but was not applied within 0.5 s" in line
    assert "wcpulse run" in line


def _orders(env: Env, queue: SQLiteQueue) -> None:
    bodies = [
        ("customer.created", woo.customer(25, email=ADA)),
        ("order.created", woo.order(100, customer_id=25, email=ADA)),
        ("order.created", woo.order(101, email=ADA.lower(), total="12.00")),  # as a guest
        ("order.created", woo.order(102, email=BOB, total="3.00")),
    ]
    queue.publish(
        [
            Envelope(env.shop_id, t, *t.split("."), b["id"], php_json_encode(b).decode(), NOW)
            for t, b in bodies
        ]
    )


def _customer_keys(env: Env) -> set[str]:
    table = read_view(shop_paths(env.settings.data_dir, env.shop_id).views_dir, "customers")
    return set(table["customer_key"].to_pylist()) if table is not None else set()


def test_an_erasure_by_email_waits_for_the_processor_and_prints_one_line(env, processor):
    _orders(env, processor.queue)
    deadline = time.monotonic() + 30
    while _customer_keys(env) != {"25", guest_key(BOB)}:  # the e-mail is looked up there
        assert time.monotonic() < deadline, "the orders never reached the customers view"
        time.sleep(0.05)
    result = env.cli("customers", "erase", env.shop_id, ADA.upper(), "--yes", "--wait", "60")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"erased customer 25 of shop {env.shop_id}: 2 orders")
    assert result.stdout.count("\n") == 1
    guest = env.cli("customers", "erase", env.shop_id, guest_key(BOB), "--yes")
    assert guest.returncode == 0, guest.stderr
    assert f"erased customer {guest_key(BOB)} of shop {env.shop_id}: 1 order " in guest.stdout
    processor.stop()
    assert files_mentioning(env.settings.data_dir, ADA) == []
    assert files_mentioning(env.settings.data_dir, BOB) == []
