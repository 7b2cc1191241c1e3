"""`wcpulse import`, `sync` and `webhooks` against a local WooCommerce-compatible server."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.e2e.service import Service, api_get, free_port, wait_for
from tests.woo_server import running_woo_server
from tests.woo_server.data import WooShopData

ALL_TIME = {"period": "custom", "from": "2000-01-01", "to": "2030-12-31"}
SALES = ("processing", "completed", "on-hold", "refunded")  # refunded counts, netted to zero


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port(), extra_env={"WCPULSE_WOO_TIMEOUT": "2"})
    yield svc
    svc.stop_all()


def add_woo_shop(svc: Service, server) -> dict[str, str]:
    result = svc.cli(
        "shop", "add", "--name", "Woo", "--url", server.base_url, "--json",
        "--consumer-key", server.key, "--consumer-secret", server.secret,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def orders_checkpoint(svc: Service, shop: dict) -> int:
    """The next orders page the import will fetch, read from the metadata database."""
    with closing(sqlite3.connect(svc.data_dir / "wcpulse.sqlite3")) as con:
        row = con.execute(
            "SELECT next_page FROM import_checkpoints WHERE shop_id = ? AND resource = 'orders'",
            [shop["shop_id"]],
        ).fetchone()
    return row[0] if row else 0


def shop_data(orders: int) -> WooShopData:
    return WooShopData.generate(orders=orders, seed=3, now=datetime.now(UTC))


def expected(data: WooShopData) -> dict:
    totals = data.expected_totals()
    buyers = data.expected_totals(paid_statuses=SALES)["customers"]
    return {
        "orders": totals["sale_orders"] + totals["refunded_orders"],
        "revenue": str(totals["gross"]),
        "refunds": str(totals["refunds"]),
        "net_revenue": str(totals["net"]),
        "customers": buyers,
    }


def api_totals(svc: Service, shop: dict) -> dict:
    kpis = api_get(svc.base_url, shop, "kpis", **ALL_TIME).json()["kpis"]
    return {
        name: kpis[name]["value"]
        for name in ("orders", "revenue", "refunds", "net_revenue", "customers")
    }


def settles_at(svc: Service, shop: dict, want: dict, timeout: float = 120) -> dict:
    assert want["orders"] > 0
    return wait_for(lambda: (got := api_totals(svc, shop)) == want and got, timeout, "totals")


def test_an_import_through_faults_ends_with_exactly_the_shops_numbers(service):
    data = shop_data(20000)
    with running_woo_server(data) as server:
        server.faults.fail(500, times=3, path_contains="orders")
        server.faults.fail(429, times=2, path_contains="customers", retry_after=1)
        server.faults.timeout(3, times=2, path_contains="orders")
        server.faults.on_page("orders", 40, lambda: data.update_order(7, status="cancelled"))
        shop = add_woo_shop(service, server)
        service.start("run")
        result = service.cli("import", shop["shop_id"])
        assert result.returncode == 0, result.stderr
        assert "imported" in result.stdout
        settles_at(service, shop, expected(data))
        orders = api_get(service.base_url, shop, "orders", customer="", per_page=1).json()
        assert orders["pagination"]["total"] == data.expected_totals()["orders"] + sum(
            1 for o in data.orders.values() if o["status"] == "trash"
        )


def test_an_import_killed_halfway_continues_and_ends_the_same(service):
    data = shop_data(8000)
    with running_woo_server(data) as server:
        server.faults.slow(0.05, path_contains="orders")
        shop = add_woo_shop(service, server)
        service.start("run")
        first = subprocess.Popen(
            [sys.executable, "-m", "wcpulse", "import", shop["shop_id"]],
            env=service.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        wait_for(lambda: orders_checkpoint(service, shop) >= 30, what="half of the import")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        again = service.cli("import", shop["shop_id"])
        assert again.returncode == 0, again.stderr
        assert "(resumed)" in again.stdout
        settles_at(service, shop, expected(data))


def test_sync_repairs_what_lost_webhooks_missed(service):
    data = shop_data(600)
    with running_woo_server(data) as server:
        shop = add_woo_shop(service, server)
        service.start("run")
        assert service.cli("import", shop["shop_id"]).returncode == 0
        settles_at(service, shop, expected(data))
        paid = [o["id"] for o in data.orders.values() if o["status"] == "completed"]
        data.update_order(paid[0], status="cancelled")  # none of these reach us by webhook
        data.add_refund(paid[1], Decimal("5.00"))
        data.add_order(status="processing", customer_id=0, email="new@example.com", total="77.00")
        data.hard_delete_order(paid[2])
        result = service.cli("sync", shop["shop_id"], "--full")
        assert result.returncode == 0, result.stderr
        assert "repaired" in result.stdout and "hard deletes found: order 1" in result.stdout
        settles_at(service, shop, expected(data))
        runs = api_get(service.base_url, shop, "sync", kind="sync").json()["data"]
        manual = next(r for r in runs if r["hard_deleted"])  # the scheduler's runs come too
        assert manual["ok"] and manual["hard_deleted"] == 1 and manual["repaired"] >= 4


def test_troubleshooting_errors_are_one_line_with_the_fix(service, tmp_path):
    data = shop_data(20)
    with running_woo_server(data) as server:
        shop = add_woo_shop(service, server)
        cases = [
            ({"WCPULSE_ALLOW_HTTP_SHOPS": "0"}, lambda: None, "https"),
            ({}, lambda: server.faults.plain_permalinks(True), "Permalinks"),
        ]
        for env, fault, words in cases:
            fault()
            result = service.cli("import", shop["shop_id"], **env)
            assert result.returncode != 0
            assert words in result.stderr and "Fix:" in result.stderr
            assert "Traceback" not in result.stderr
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        server.faults.plain_permalinks(False)
        server.faults.timeout(3, times=None)  # every request outlasts WCPULSE_WOO_TIMEOUT=2
        result = service.cli("import", shop["shop_id"])
        assert result.returncode != 0 and "WCPULSE_WOO_TIMEOUT" in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith("wcpulse: error:")
        assert "Traceback" not in result.stderr
        server.faults.clear()
        wrong = service.cli(
            "shop", "set-credentials", shop["shop_id"], "--consumer-key", "ck_wrong",
            "--consumer-secret", "cs_wrong",
        )  # fmt: skip
        assert wrong.returncode == 0
        result = service.cli("import", shop["shop_id"])
        assert result.returncode != 0 and "Consumer Key" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    with running_woo_server(data, tls=True) as tls_server:
        tls_shop = add_woo_shop(service, tls_server)
        result = service.cli("import", tls_shop["shop_id"])
        assert result.returncode != 0 and "certificate" in result.stderr.lower()
        assert len(result.stderr.strip().splitlines()) == 1


def test_webhooks_install_creates_them_and_status_reports_disabled_ones(service):
    data = shop_data(10)
    with running_woo_server(data) as server:
        shop = add_woo_shop(service, server)
        installed = service.cli("webhooks", "install", shop["shop_id"])
        assert installed.returncode == 0, installed.stderr
        assert [line.split()[-1] for line in installed.stdout.splitlines()] == ["created"] * 15
        hooks = list(data.webhooks.values())
        assert {h["delivery_url"] for h in hooks} == {shop["webhook_url"]}
        hooks[0]["status"] = "disabled"  # WooCommerce's 7th failure in a row
        status = service.cli("webhooks", "status", shop["shop_id"])
        assert status.returncode == 1 and "disabled" in status.stderr
        again = service.cli("webhooks", "install", shop["shop_id"])
        assert again.returncode == 0 and "reactivated" in again.stdout
        assert service.cli("webhooks", "status", shop["shop_id"]).returncode == 0
