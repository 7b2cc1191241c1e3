"""`wcpulse run`: signed product and order webhooks -> the products endpoint (JSON and CSV);
`wcpulse jobs run products` scores from another process; a new order moves its product's
units, revenue share and velocity; a new stock level moves days of cover; a variation rolls
up to its parent. Expected figures are computed here from the payloads sent."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.views_builder import guest_key

AS_OF = date(2024, 3, 1)
# id: (type, parent, price, stock)
CATALOGUE = {
    93: ("simple", 0, "10.00", 30),
    60: ("simple", 0, "25.00", None),
    50: ("variable", 0, "12.00", None),
    51: ("variation", 50, "12.00", None),
    52: ("variation", 50, "15.00", None),
}
# (days before AS_OF, product, variation, quantity, unit price)
SALES = [(back, 93, 0, 2, 10) for back in range(0, 20, 2)]
SALES += [(back, 60, 0, 1, 25) for back in range(0, 30, 5)]
SALES += [(back, 50, 51, 1, 12) for back in range(0, 30, 3)]
SALES += [(back, 50, 52, 2, 15) for back in range(0, 30, 7)]


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _product(pid: int, stock: int | None = None, modified: str = "2024-01-01T09:00:00") -> dict:
    kind, parent, price, default_stock = CATALOGUE[pid]
    return woo.product(
        pid,
        price=price,
        type=kind,
        parent_id=parent,
        stock_quantity=default_stock if stock is None else stock,
        modified=modified,
    )


def _order(order_id: int, back: int, product: int, variation: int, qty: int, price: int) -> dict:
    item = {"product_id": product, "variation_id": variation, "quantity": qty}
    item["total"] = f"{qty * price}.00"
    created = f"{(AS_OF - timedelta(days=back)).isoformat()}T10:00:00"
    email = f"buyer{product}@example.com"  # one guest per (parent) product
    return woo.order(order_id, status="completed", created=created, items=[item], email=email)


def _expected_units(sales: list[tuple]) -> dict[int, float]:
    """Net units in the 30 days ending AS_OF, per product; a variation counts for its parent."""
    units = dict.fromkeys(CATALOGUE, 0.0)
    for back, product, variation, quantity, _ in sales:
        if back < 30:
            units[variation or product] += quantity
            if variation:
                units[product] += quantity
    return units


def _send(svc: Service, shop: dict, topic: str, body: dict) -> None:
    assert post_webhook(svc.base_url, shop, topic, body).status_code == 202


def _products(svc: Service, shop: dict) -> dict[int, dict]:
    rows = api_get(svc.base_url, shop, "products", per_page=100).json()["data"]
    return {row["product_id"]: row for row in rows}


def test_products_are_scored_and_follow_orders_and_stock(service):
    shop = service.add_shop()
    service.start("run")
    for pid in CATALOGUE:
        assert (
            post_webhook(service.base_url, shop, "product.created", _product(pid)).status_code
            == 202
        )
    for order_id, sale in enumerate(SALES, start=100):
        assert (
            post_webhook(
                service.base_url, shop, "order.created", _order(order_id, *sale)
            ).status_code
            == 202
        )
    units = _expected_units(SALES)
    # the scheduler scored the empty shop at start (as of today): wait for the orders
    wait_for(
        lambda: (
            api_get(service.base_url, shop, "orders").json()["pagination"]["total"] == len(SALES)
        ),
        what="every order",
    )
    done = service.cli(
        "jobs", "run", "products", "--shop", shop["shop_id"], "--as-of", "2024-03-01"
    )
    assert done.returncode == 0, done.stderr
    assert "scored 5 products as of 2024-03-01" in done.stdout
    rows = _products(service, shop)
    for pid, expected in units.items():
        assert rows[pid]["units"] == expected, pid
        assert rows[pid]["velocity"] == pytest.approx(expected / 30, abs=1e-4)
    assert rows[50]["units"] == rows[51]["units"] + rows[52]["units"]  # the roll-up
    shop_revenue = sum(q * p for back, _, _, q, p in SALES if back < 30)
    assert rows[60]["revenue_pct"] == pytest.approx(6 * 25 / shop_revenue * 100, abs=1e-3)
    assert rows[93]["days_of_cover"] == pytest.approx(30 / (units[93] / 30), abs=0.01)

    # a new order of product 60 on the job's day: its units, share and velocity move
    new = _order(900, 0, 60, 0, 4, 25)
    _send(service, shop, "order.created", new)
    moved = wait_for(
        lambda: (r := _products(service, shop)) and r[60]["units"] == units[60] + 4 and r,
        what="product 60's new order",
    )
    assert moved[60]["velocity"] == pytest.approx((units[60] + 4) / 30, abs=1e-4)
    assert moved[60]["revenue_pct"] > rows[60]["revenue_pct"]
    assert moved[93] == rows[93]

    # a new stock level: days of cover follow it
    update = _product(93, stock=3, modified="2024-03-01T12:00:00")
    _send(service, shop, "product.updated", update)
    covered = wait_for(
        lambda: (r := _products(service, shop)) and r[93]["stock_quantity"] == 3 and r,
        what="product 93's stock",
    )
    assert covered[93]["days_of_cover"] == pytest.approx(3 / (units[93] / 30), abs=0.01)
    assert covered[93]["low_stock"] is True

    # the same rows as CSV, same columns
    response = api_get(service.base_url, shop, "products", format="csv", sort="product_id")
    table = list(csv.reader(io.StringIO(response.text)))
    body = api_get(service.base_url, shop, "products", sort="product_id").json()
    assert table[0] == body["columns"]
    assert [int(line[0]) for line in table[1:]] == sorted(CATALOGUE)
    # filters: low stock, grade
    low = api_get(service.base_url, shop, "products", low_stock="true").json()["data"]
    assert [row["product_id"] for row in low] == [93]
    graded = api_get(service.base_url, shop, "products", grade="a+,b").json()["data"]
    assert all(row["grade"] in ("A+", "B") for row in graded)

    # one product: its row, its daily sales (a variable product's include its variations')
    # and its price history
    detail = api_get(service.base_url, shop, "products/50").json()
    assert detail["product"] == covered[50]
    days = {row["day"]: row["units"] for row in detail["daily"]["data"]}
    expected: dict[str, int] = {}
    for back, product, _, quantity, _ in SALES:
        if product == 50:
            day = (AS_OF - timedelta(days=back)).isoformat()
            expected[day] = expected.get(day, 0) + quantity
    assert days == expected
    history = api_get(service.base_url, shop, "products/93").json()["price_history"]
    assert [(row["price"], row["regular_price"]) for row in history] == [("10.00", "10.00")]
    missing = api_get(service.base_url, shop, "products/999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    one = api_get(service.base_url, shop, "products/93", format="csv")
    assert len(list(csv.reader(io.StringIO(one.text)))) == 2

    # top products of a period, by revenue and by units, from the payloads sent
    sold = [*SALES, (0, 60, 0, 4, 25)]  # with the order of product 60 sent above
    first = (AS_OF - timedelta(days=29)).isoformat()
    revenue: dict[int, int] = {}
    units_by: dict[int, int] = {}
    for back, product, _, quantity, price in sold:
        if back < 30:
            revenue[product] = revenue.get(product, 0) + quantity * price
            units_by[product] = units_by.get(product, 0) + quantity
    top = api_get(
        service.base_url,
        shop,
        "products/top",
        period="custom",
        **{"from": first, "to": "2024-03-01"},
    ).json()
    by_revenue = sorted(revenue, key=lambda pid: (-revenue[pid], -units_by[pid], pid))
    assert [row["product_id"] for row in top["data"]] == by_revenue
    assert [row["revenue"] for row in top["data"]] == [f"{revenue[p]}.00" for p in by_revenue]
    assert top["data"][0]["revenue_share"] == pytest.approx(
        revenue[by_revenue[0]] / sum(revenue.values()), abs=1e-4
    )
    top_units = api_get(
        service.base_url,
        shop,
        "products/top",
        by="units",
        limit=1,
        period="custom",
        **{"from": first, "to": "2024-03-01"},
    ).json()["data"]
    assert [row["product_id"] for row in top_units] == [
        max(units_by, key=lambda pid: (units_by[pid], revenue[pid], -pid))
    ]

    # customers filtered by what they bought (seed 004): a product, a variation, a category
    def buyers(**query: str) -> list[str]:
        rows = api_get(service.base_url, shop, "customers", **query).json()["data"]
        return sorted(row["customer_key"] for row in rows)

    assert buyers(product="60") == [guest_key("buyer60@example.com")]
    assert buyers(product="51") == [guest_key("buyer50@example.com")]
    everyone = sorted(guest_key(f"buyer{pid}@example.com") for pid in (93, 60, 50))
    assert buyers(category="Clothing") == everyone
    assert buyers(category="Nope") == []
