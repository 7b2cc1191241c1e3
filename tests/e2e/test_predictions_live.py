"""Issue 5 acceptance through the whole service: the CDNOW transactions, served as orders by
a local WooCommerce-compatible server, are imported by `wcpulse import`; `wcpulse jobs run
clv --as-of 1997-09-30` then shows the published BG/NBD parameters in `clv/model` (alpha
in days = 7 x weeks), and the clv and churn lists cover every buyer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.cdnow import cdnow_orders
from tests.e2e.service import Service, api_get, free_port, wait_for
from tests.e2e.test_import_and_sync import add_woo_shop
from tests.woo_server import running_woo_server
from tests.woo_server.data import WooShopData


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _cdnow_shop() -> WooShopData:
    data = WooShopData(now=datetime(1998, 7, 1, tzinfo=UTC))
    data.orders = {order["id"]: order for order in cdnow_orders()}
    return data


def test_jobs_run_clv_on_imported_cdnow_orders_gives_the_published_fit(service):
    with running_woo_server(_cdnow_shop()) as server:
        shop = add_woo_shop(service, server)
        service.start("run")
        imported = service.cli("import", shop["shop_id"])
        assert imported.returncode == 0, imported.stderr
    wait_for(
        lambda: (
            api_get(service.base_url, shop, "orders", per_page=1).json()["pagination"]["total"]
            == 6919
        ),
        what="all CDNOW orders imported",
    )
    done = service.cli("jobs", "run", "clv", "--shop", shop["shop_id"], "--as-of", "1997-09-30")
    assert done.returncode == 0, done.stderr
    assert "bgnbd" in done.stdout and "fitted on 2357 customers" in done.stdout
    model = api_get(service.base_url, shop, "clv/model").json()
    assert model["model"] == "bgnbd"
    bgnbd = next(m for m in model["models"] if m["model"] == "bgnbd")
    p = bgnbd["params"]
    assert (p["r"], p["a"], p["b"]) == pytest.approx((0.243, 0.793, 2.426), abs=1.5e-3)
    assert p["alpha"] == pytest.approx(7 * 4.414, abs=7 * 1.5e-3)
    clv = api_get(service.base_url, shop, "clv", per_page=1).json()
    churn = api_get(service.base_url, shop, "churn", per_page=1).json()
    assert clv["pagination"]["total"] == churn["pagination"]["total"] == 2357
    assert clv["data"][0]["model"] == "bgnbd" and churn["data"][0]["model"] == "mbgnbd"
    csv = api_get(service.base_url, shop, "churn", format="csv").text.splitlines()
    assert len(csv) == 2358 and "risk_factors" in csv[0] and "winback_discount_pct" in csv[0]
