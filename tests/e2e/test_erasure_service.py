"""`wcpulse run` with an admin token: customers erased over HTTP, by a `customer.deleted`
webhook and by the CLI; afterwards no file under the data dir holds their e-mail."""

from __future__ import annotations

import httpx
import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.integration.erasure_support import files_mentioning
from tests.views_builder import guest_key

ADMIN = "e2e-admin-token"
ADA = "Ada.Lovelace/Shop@Example.com"  # PHP escapes the "/"
BOB = "bob@example.com"
CY = "cy@example.com"
JANUARY = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port(), extra_env={"WCPULSE_ADMIN_TOKEN": ADMIN})
    yield svc
    svc.stop_all()


def _post_history(svc: Service, shop: dict) -> None:
    deliveries = [
        ("customer.created", woo.customer(25, email=ADA)),
        ("customer.created", woo.customer(26, email=BOB, first_name="Bob")),
        ("order.created", woo.order(100, customer_id=25, email=ADA, total="40.00")),
        ("order.created", woo.order(101, email=ADA.upper(), total="10.00")),
        ("order.created", woo.order(200, customer_id=26, email=BOB, total="25.00")),
        ("order.created", woo.order(300, email=CY, total="5.00")),
    ]
    for topic, body in deliveries:
        assert post_webhook(svc.base_url, shop, topic, body).status_code == 202


def _keys(svc: Service, shop: dict) -> set[str]:
    return {c["customer_key"] for c in api_get(svc.base_url, shop, "customers").json()["data"]}


def _net_revenue(svc: Service, shop: dict) -> str:
    return api_get(svc.base_url, shop, "kpis", **JANUARY).json()["kpis"]["net_revenue"]["value"]


def test_customers_erased_by_api_webhook_and_cli_leave_no_trace(service):
    shop = service.add_shop()
    service.start("run")
    _post_history(service, shop)
    everyone = {"25", "26", guest_key(CY)}
    wait_for(lambda: _keys(service, shop) == everyone, what="three customers in the API")
    revenue = _net_revenue(service, shop)
    url = f"{service.base_url}/api/v1/shops/{shop['shop_id']}/customers/25"
    assert httpx.delete(url, timeout=10).status_code == 401
    queued = httpx.delete(url, headers={"Authorization": f"Bearer {ADMIN}"}, timeout=10)
    assert queued.status_code == 202, queued.text
    status_url = service.base_url + queued.json()["status_url"]
    admin = {"Authorization": f"Bearer {ADMIN}"}
    done = wait_for(
        lambda: (s := httpx.get(status_url, headers=admin).json())["status"] == "applied" and s,
        what="the erasure applied",
    )
    assert (done["found"], done["orders"]) == (True, 2)
    assert "25" not in _keys(service, shop)
    assert _net_revenue(service, shop) == revenue
    assert post_webhook(service.base_url, shop, "customer.deleted", {"id": 26}).status_code == 202
    wait_for(lambda: "26" not in _keys(service, shop), what="customer 26 erased by its webhook")
    cli = service.cli("customers", "erase", shop["shop_id"], CY, "--yes", "--wait", "60")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith(f"erased customer {guest_key(CY)} of shop {shop['shop_id']}")
    assert _net_revenue(service, shop) == revenue
    service.stop_all()
    for email in (ADA, BOB, CY):
        assert files_mentioning(service.data_dir, email) == [], email
