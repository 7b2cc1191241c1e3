"""The demo is one shop, reused: ``wcpulse run --demo`` makes it and ends its start-up with
a "ready: open ..." line once the history is in; ``wcpulse demo`` then finds that shop and
sends nothing; ``--reset`` replaces it (the old token stops working). Real processes, a
tiny demo history (a few customers) so it arrives in seconds."""

from __future__ import annotations

import json

import pytest

from tests.e2e.service import Service, api_get, free_port, wait_for


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _saved(service: Service) -> dict:
    return json.loads((service.data_dir / "demo-shop.json").read_text())


def _ready_line(text: str) -> str:
    [line] = [line for line in text.splitlines() if line.startswith("ready: ")]
    return line


def _orders(service: Service, shop: dict) -> int:
    return api_get(service.base_url, shop, "orders", per_page=1).json()["pagination"]["total"]


def test_the_demo_is_one_shop_reused_and_replaced_only_when_asked(service):
    service.start("run", "--demo", "--demo-customers", "4")
    log = service.data_dir / "run-0.log"
    text = wait_for(lambda: "ready: open" in (t := log.read_text()) and t, 120, "the ready line")
    shop = {"shop_id": _saved(service)["shop_id"], "api_token": _saved(service)["api_token"]}
    assert _ready_line(text) == (
        f"ready: open {service.base_url}/dashboard/{shop['shop_id']}  "
        f"(API token: {shop['api_token']})"
    )
    assert _saved(service)["history_complete"]  # "ready" waits for the whole history
    assert _orders(service, shop) > 0

    again = service.cli("demo", "--customers", "7")
    assert again.returncode == 0, again.stderr
    assert f"demo shop {shop['shop_id']} is here already" in again.stdout
    assert "webhooks delivered" not in again.stdout  # nothing sent again
    assert _ready_line(again.stdout).startswith(f"ready: open {service.base_url}/dashboard/")
    assert _saved(service)["shop_id"] == shop["shop_id"] and _saved(service)["customers"] == 4

    reset = service.cli("demo", "--reset", "--customers", "3")
    assert reset.returncode == 0, reset.stderr
    new = {"shop_id": _saved(service)["shop_id"], "api_token": _saved(service)["api_token"]}
    assert new["shop_id"] != shop["shop_id"]
    assert f"deleted demo shop {shop['shop_id']}" in reset.stdout
    assert "webhooks delivered, 0 failed" in reset.stdout
    assert f"/dashboard/{new['shop_id']}" in _ready_line(reset.stdout)
    assert api_get(service.base_url, shop, "orders").status_code == 401
    assert wait_for(lambda: _orders(service, new), what="the new demo shop's orders") > 0


def test_demo_from_a_folder_without_the_servers_data_refuses_in_one_line(service, tmp_path):
    service.start("run")
    elsewhere = tmp_path / "elsewhere"

    result = service.cli("demo", WCPULSE_DATA_DIR=str(elsewhere))

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"wcpulse: error: no wcpulse data in {elsewhere}")
    assert not elsewhere.exists()
