"""`wcpulse run`: a webhook order moves its customer's RFM scores and segment; `wcpulse jobs
run rfm` rescores the shop from another process and records the segments."""

from __future__ import annotations

import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.views_builder import guest_key

# five guests: buyer N has N + 1 orders of 10 * (N + 1) each, all in January 2024
BUYERS = [(f"buyer{n}@example.com", n + 1, f"{10 * (n + 1)}.00") for n in range(5)]


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _customer(svc: Service, shop: dict, email: str) -> dict | None:
    rows = api_get(svc.base_url, shop, "customers", q=email).json()["data"]
    return rows[0] if rows else None


def _all_orders_in(svc: Service, shop: dict, count: int) -> bool:
    rows = api_get(svc.base_url, shop, "customers").json()["data"]
    return sum(row["orders"] for row in rows) == count and all(row["segment"] for row in rows)


def _post_orders(svc: Service, shop: dict, email: str, count: int, total: str, first_id: int):
    for n in range(count):
        body = woo.order(first_id + n, email=email, total=total, created="2024-01-10T10:00:00")
        assert post_webhook(svc.base_url, shop, "order.created", body).status_code == 202


def test_a_webhook_order_moves_its_customers_scores_and_segment(service):
    shop = service.add_shop()
    service.start("run")
    for index, (email, count, total) in enumerate(BUYERS):
        _post_orders(service, shop, email, count, total, 100 * (index + 1))
    wait_for(lambda: _all_orders_in(service, shop, 15), what="all orders scored")
    # `run` rescored as of today at start: everyone's last order is on the same day, a tie
    # whose lowest position is the worst one (R = 1); the quiet buyer is the least frequent
    # and spent least (F = M = 1)
    quiet = "buyer0@example.com"
    before = _customer(service, shop, quiet)
    assert (before["r"], before["f"], before["m"], before["segment"]) == (1, 1, 1, "Lost")
    _post_orders(service, shop, quiet, 6, "90.00", 900)
    after = wait_for(
        lambda: (c := _customer(service, shop, quiet)) and c["orders"] == 7 and c,
        what="the quiet buyer's new orders scored",
    )
    assert (after["r"], after["f"], after["m"]) == (1, 5, 5)
    assert after["segment"] == "Can't Lose Them"
    assert after["customer_key"] == guest_key(quiet)


def test_jobs_run_rfm_rescores_from_another_process_and_prints_the_segments(service):
    shop = service.add_shop()
    service.start("run")
    for index, (email, count, total) in enumerate(BUYERS):
        _post_orders(service, shop, email, count, total, 100 * (index + 1))
    wait_for(lambda: _all_orders_in(service, shop, 15), what="all orders scored")
    done = service.cli("jobs", "run", "rfm", "--shop", shop["shop_id"], "--as-of", "2024-03-01")
    assert done.returncode == 0, done.stderr
    assert "rescored 5 customers as of 2024-03-01" in done.stdout
    last = _customer(service, shop, BUYERS[-1][0])
    assert last["recency_days"] == 51 and last["segment"] is not None


def test_jobs_run_refuses_an_unknown_shop_in_one_line(service):
    service.add_shop()  # a data directory with shops, none of them shp_nope
    missing = service.cli("jobs", "run", "rfm", "--shop", "shp_nope", "--no-wait")
    assert missing.returncode != 0
    assert missing.stderr.strip().count("\n") == 0 and "shp_nope" in missing.stderr
    assert "Traceback" not in missing.stderr
