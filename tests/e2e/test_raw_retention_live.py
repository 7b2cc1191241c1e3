"""`wcpulse run` with a shop's raw event retention: `wcpulse shop set-retention` from
another process reaches the running processor, `wcpulse jobs run retention` runs the purge
in the shop's stream and prints what it did; with the retention off, it keeps every event.
(The events here are minutes old, inside any window: what a purge drops is proven in
tests/integration/test_raw_retention.py.)"""

from __future__ import annotations

import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def test_the_retention_job_runs_in_the_live_processor_and_reports(service):
    shop = service.add_shop()
    service.start("run")
    for order_id in (1, 2, 3):
        body = woo.order(order_id, email=f"r{order_id}@example.com")
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    wait_for(
        lambda: api_get(service.base_url, shop, "orders").json()["pagination"]["total"] == 3,
        what="the three orders",
    )
    off = service.cli("jobs", "run", "retention", "--shop", shop["shop_id"])
    assert off.returncode == 0, off.stderr
    assert "no raw event retention set: every event is kept" in off.stdout

    kept = service.cli("shop", "set-retention", shop["shop_id"], "1")
    assert kept.returncode == 0, kept.stderr
    done = service.cli("jobs", "run", "retention", "--shop", shop["shop_id"])
    assert done.returncode == 0, done.stderr
    assert "raw log purged: 0 of " in done.stdout and "retention 1 days" in done.stdout
    orders = api_get(service.base_url, shop, "orders").json()
    assert orders["pagination"]["total"] == 3  # the views are as they were
