"""`wcpulse run` with a shop imported from a local WooCommerce-compatible server: every
product's net units in the order lines equal this file's own count over the server's orders
and refunds (a refund's line items, linked by ``_refunded_item_id``, lower their line); a
refund of one unit of a line made in WooCommerce, brought in by `wcpulse sync`, lowers
that product's net units by one and its net revenue by the line's unit price."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.e2e.service import Service, free_port, list_all, wait_for
from tests.e2e.test_import_and_sync import add_woo_shop
from tests.woo_server import running_woo_server
from tests.woo_server.data import WooShopData

SALES = {"processing", "completed", "on-hold", "refunded"}


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _net_units(data: WooShopData) -> dict[int, int]:
    """Per product (a variation's line counts for its parent), units of sale orders less the
    units their refunds' line items gave back."""
    owner = {}
    units: dict[int, int] = defaultdict(int)
    for order in data.orders.values():
        for line in order["line_items"]:
            owner[line["id"]] = (order["status"] in SALES, line["product_id"])
            if order["status"] in SALES:
                units[line["product_id"]] += line["quantity"]
    for refund in data.refunds.values():
        for item in refund["line_items"]:
            (link,) = [m["value"] for m in item["meta_data"] if m["key"] == "_refunded_item_id"]
            sale, product = owner[int(link)]
            if sale:
                units[product] += item["quantity"]  # negative
    return dict(units)


def _api_units(svc: Service, shop: dict) -> dict[int, int]:
    units: dict[int, int] = defaultdict(int)
    for line in list_all(svc.base_url, shop, "order-lines", is_sale="true"):
        units[line["product_id"]] += line["net_quantity"]
    return dict(units)


def test_refunded_lines_lower_net_units_after_import_and_after_a_sync(service):
    data = WooShopData.generate(orders=150, seed=5, now=datetime.now(UTC))
    assert any(r["line_items"] for r in data.refunds.values())  # line refunds to count
    with running_woo_server(data) as server:
        shop = add_woo_shop(service, server)
        service.start("run")
        assert service.cli("import", shop["shop_id"]).returncode == 0
        want = {pid: n for pid, n in _net_units(data).items() if n}
        wait_for(lambda: {p: n for p, n in _api_units(service, shop).items() if n} == want,
                 timeout=120, what="net units after the import")  # fmt: skip
        order = next(o for o in data.orders.values() if o["status"] == "completed"
                     and not o["refunds"] and o["line_items"][0]["quantity"] >= 2)  # fmt: skip
        line = order["line_items"][0]
        data.add_line_refund(order["id"], line["id"], 1)
        assert service.cli("sync", shop["shop_id"], "--full").returncode == 0
        product = line["product_id"]
        moved = wait_for(
            lambda: (units := _api_units(service, shop))[product] == want[product] - 1 and units,
            timeout=60,
            what="the refunded unit",
        )
        assert {p: n for p, n in moved.items() if p != product and n} == {
            p: n for p, n in want.items() if p != product
        }
        lines = list_all(service.base_url, shop, "order-lines", order=str(order["id"]))
        (refunded,) = [row for row in lines if row["line_id"] == line["id"]]
        unit = Decimal(line["total"]) / line["quantity"]
        assert refunded["refunded_quantity"] == 1
        assert Decimal(refunded["net_revenue"]) == Decimal(line["total"]) - unit.quantize(
            Decimal("0.01")
        )
