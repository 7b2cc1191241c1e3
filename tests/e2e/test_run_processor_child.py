"""`wcpulse run` keeps its stream processor in a child process (wcpulse/processor_child.py):
a processor that dies is started again and nothing posted is lost; a `kill -9` of `wcpulse
run` leaves no processor behind holding the shop's writer lock; SIGTERM stops both."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import httpx
import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _children(pid: int) -> list[int]:
    """The processes ``pid`` started (Linux /proc)."""
    tasks = Path(f"/proc/{pid}/task")
    found: list[int] = []
    for task in tasks.iterdir() if tasks.exists() else []:
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def _processor_of(pid: int) -> int:
    """The ``wcpulse process`` child of the ``wcpulse run`` at ``pid``."""
    for child in _children(pid):
        command = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if command[-3:-1] == [b"wcpulse", b"process"]:
            return child
    raise AssertionError(f"no wcpulse process child of {pid}")


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has ended (its parent has not reaped it yet)


def _orders(service: Service, shop: dict, count: int) -> list[int] | None:
    rows = api_get(service.base_url, shop, "orders", per_page=100).json()["data"]
    ids = sorted(row["order_id"] for row in rows)
    return ids if len(ids) >= count else None


def _post(service: Service, shop: dict, order_ids: range) -> None:
    for order_id in order_ids:
        body = woo.order(order_id, email=f"buyer{order_id}@example.com", total="10.00")
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202


def test_a_processor_that_dies_is_started_again_and_loses_nothing(service):
    shop = service.add_shop()
    run = service.start("run")
    _post(service, shop, range(1, 4))
    wait_for(lambda: _orders(service, shop, 3), what="the first orders")
    first = wait_for(lambda: _processor_of(run.pid), what="the processor child")
    ready = httpx.get(f"{service.base_url}/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["processor"] == "ok"
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not _running(first), what="the killed processor gone")
    _post(service, shop, range(4, 7))  # while no processor runs: they wait in the queue
    assert wait_for(lambda: _orders(service, shop, 6), what="all orders") == [1, 2, 3, 4, 5, 6]
    second = _processor_of(run.pid)
    assert second != first and _running(second) and run.poll() is None
    assert httpx.get(f"{service.base_url}/readyz").json()["checks"]["processor"] == "ok"


def test_kill_9_of_run_leaves_no_processor_and_a_restart_takes_over(service):
    shop = service.add_shop()
    run = service.start("run")
    _post(service, shop, range(1, 3))
    wait_for(lambda: _orders(service, shop, 2), what="the first orders")
    child = _processor_of(run.pid)
    service.kill9(run)
    wait_for(lambda: not _running(child), what="the orphaned processor stopping by itself")
    again = service.start("run")
    _post(service, shop, range(3, 5))
    assert wait_for(lambda: _orders(service, shop, 4), what="orders after restart") == [1, 2, 3, 4]
    child = _processor_of(again.pid)
    again.terminate()
    assert again.wait(timeout=30) == 0
    assert not _running(child)  # SIGTERM stopped the processor before run ended
    replay = service.cli("replay", shop["shop_id"])  # the writer lock is free
    assert replay.returncode == 0, replay.stderr
