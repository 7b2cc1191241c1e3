"""Product analytics through the real pipeline: WooCommerce-shaped product and order
payloads -> envelopes -> ShopPipeline (raw log, DuckDB state) -> ``job.products`` ->
published ``products`` view, read back with pyarrow.

Every expected figure is computed here from the raw payloads (plain Python over the dicts
and this file's own percentile rule), not by the code under test.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from processors.pipeline import ShopPipeline
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope
from schemas.jsoncodec import dumps_text
from schemas.shop import PredictionSettings, ProductSettings, ShopConfig
from store.view_files import read_view
from tests import woo_payloads as woo

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
AS_OF = date(2024, 6, 1)
WINDOW = 30
SHOP = ShopConfig(shop_id="shp_products", name="Products", url="https://shop.example")

# id: (type, parent, price, cost, stock)
PRODUCTS = {
    93: ("simple", 0, "10.00", "4.00", 20),
    60: ("simple", 0, "25.00", None, None),
    50: ("variable", 0, "12.00", None, None),
    51: ("variation", 50, "12.00", None, 3),
    52: ("variation", 50, "15.00", None, None),
    70: ("simple", 0, "5.00", None, 10),
}


def _envelope(topic: str, body: dict, received: datetime = NOW) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, body["id"], dumps_text(body), received)


def _product(pid: int, stock: int | None = None, modified: str = "2024-01-01T09:00:00") -> dict:
    kind, parent, price, cost, default_stock = PRODUCTS[pid]
    return woo.product(
        pid,
        price=price,
        type=kind,
        parent_id=parent,
        cost=cost,
        stock_quantity=default_stock if stock is None else stock,
        modified=modified,
    )


def _history() -> list[dict]:
    """Orders over the 45 days before AS_OF: one line each (product, variation, qty, price)."""
    plan = []
    for back in range(45):
        day = AS_OF - timedelta(days=back)
        if back % 2 == 0:
            plan.append((day, 93, 0, back % 3 + 1, 10))
        if back % 5 == 0:
            plan.append((day, 60, 0, 1, 25))
        if back % 3 == 0:
            plan.append((day, 50, 51, 1, 12))
        if back % 7 == 0:
            plan.append((day, 50, 52, 2, 15))
    orders = []
    for order_id, (day, product, variation, quantity, price) in enumerate(plan, start=1000):
        orders.append(_order(order_id, day, product, variation, quantity, price))
    return orders


def _order(order_id: int, day: date, product: int, variation: int, qty: int, price: int) -> dict:
    item = {
        "product_id": product,
        "variation_id": variation,
        "quantity": qty,
        "total": f"{qty * price}.00",
    }
    created = f"{day.isoformat()}T10:00:00"
    return woo.order(order_id, status="completed", created=created, items=[item])


def _sales(orders: list[dict], as_of: date, window: int = WINDOW) -> dict[int, tuple[float, float]]:
    """Net units and revenue per product in the window ending ``as_of``, straight from the
    payloads: a variation's line counts for the variation and for its parent."""
    found: dict[int, list[float]] = {pid: [0.0, 0.0] for pid in PRODUCTS}
    first = as_of - timedelta(days=window - 1)
    for order in orders:
        day = date.fromisoformat(order["date_created_gmt"][:10])
        if not first <= day <= as_of:
            continue
        for line in order["line_items"]:
            owners = [line["variation_id"] or line["product_id"]]
            if line["variation_id"]:
                owners.append(line["product_id"])
            for owner in owners:
                found[owner][0] += line["quantity"]
                found[owner][1] += float(line["total"])
    return {pid: (units, revenue) for pid, (units, revenue) in found.items()}


def _midrank(value: float, values: list[float]) -> float:
    lower = sum(1 for v in values if v < value)
    equal = sum(1 for v in values if v == value)
    return 100.0 * (lower + equal / 2) / len(values)


def _expected_scores(
    sales: dict[int, tuple[float, float]],
    window: int = WINDOW,
    weights: tuple[float, float, float] = (40, 40, 20),
    assumed_margin: float = 30.0,
) -> dict[int, int]:
    """Score per product by the rule of SPEC §4 as this test reads it: weighted (40/40/20 by
    default) mid-rank percentiles of velocity, revenue and margin among the ranked products
    (not variable parents) that sold; 0 without sales."""
    margins = {pid: assumed_margin for pid in PRODUCTS}
    margins[93] = (10.0 - 4.0) / 10.0 * 100.0
    ranked = [pid for pid in PRODUCTS if PRODUCTS[pid][0] != "variable" and sales[pid][0] > 0]
    velocity = [sales[pid][0] / window for pid in ranked]
    revenue = [sales[pid][1] for pid in ranked]
    margin = [margins[pid] for pid in ranked]
    scores = {}
    for pid in PRODUCTS:
        units, earned = sales[pid]
        if units <= 0:
            scores[pid] = 0
            continue
        weighted = (
            weights[0] * _midrank(units / window, velocity)
            + weights[1] * _midrank(earned, revenue)
            + weights[2] * _midrank(margins[pid], margin)
        ) / sum(weights)
        scores[pid] = math.floor(weighted + 0.5)
    return scores


@pytest.fixture
def shop(tmp_path):
    pipeline = ShopPipeline(tmp_path, SHOP)
    orders = _history()
    envelopes = [_envelope("product.created", _product(pid)) for pid in PRODUCTS]
    envelopes += [_envelope("order.created", order) for order in orders]
    envelopes.append(dated_job_envelope(SHOP.shop_id, "products", AS_OF, NOW))
    pipeline.apply(envelopes, NOW)
    pipeline.publish(NOW)
    yield pipeline, orders
    pipeline.close()


def _scored_shop(
    tmp_path, products: list[int], orders: list[dict], shop: ShopConfig = SHOP
) -> dict[int, dict]:
    """The products view of a new shop of ``products`` and ``orders`` after job.products."""
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        envelopes = [_envelope("product.created", _product(pid)) for pid in products]
        envelopes += [_envelope("order.created", order) for order in orders]
        envelopes.append(dated_job_envelope(SHOP.shop_id, "products", AS_OF, NOW))
        pipeline.apply(envelopes, NOW)
        pipeline.publish(NOW)
        return _products(pipeline)
    finally:
        pipeline.close()


def _products(pipeline: ShopPipeline) -> dict[int, dict]:
    table = read_view(pipeline.paths.views_dir, "products")
    assert table is not None
    return {row["product_id"]: row for row in table.to_pylist()}


def test_the_job_scores_every_product_from_its_window_sales(shop):
    pipeline, orders = shop
    rows = _products(pipeline)
    sales = _sales(orders, AS_OF)
    shop_revenue = sum(sales[pid][1] for pid in PRODUCTS if PRODUCTS[pid][0] != "variable")
    scores = _expected_scores(sales)
    assert set(rows) == set(PRODUCTS)
    for pid, row in rows.items():
        units, revenue = sales[pid]
        assert row["as_of"] == AS_OF
        assert row["units"] == units, pid
        assert row["revenue"] == pytest.approx(revenue), pid
        assert row["velocity"] == pytest.approx(units / WINDOW, abs=1e-4), pid
        assert row["revenue_pct"] == pytest.approx(revenue / shop_revenue * 100, abs=1e-3)
        assert row["score"] == scores[pid], pid
    assert rows[93]["margin_pct"] == pytest.approx(60.0) and not rows[93]["margin_assumed"]
    assert rows[60]["margin_assumed"] and rows[60]["margin_pct"] == pytest.approx(30.0)
    # the variable product rolls its variations up
    assert rows[50]["units"] == rows[51]["units"] + rows[52]["units"]
    assert rows[50]["revenue"] == pytest.approx(rows[51]["revenue"] + rows[52]["revenue"])
    # never sold: 0, F, and it says why
    assert (rows[70]["score"], rows[70]["grade"]) == (0, "F")
    assert rows[70]["recommendation"] == "DISCONTINUE"
    assert rows[70]["score_reason"] == "no sales in the last 30 days"
    # stock cover: stock / velocity, low under 7 days
    assert rows[93]["days_of_cover"] == pytest.approx(20 / (sales[93][0] / WINDOW), abs=0.01)
    assert rows[51]["low_stock"] is (3 / (sales[51][0] / WINDOW) < 7)
    assert rows[60]["days_of_cover"] is None  # stock not managed
    assert {row["stock_status"] for row in rows.values()} == {"instock"}  # as the payloads


def test_an_order_moves_its_products_at_the_next_publish_and_nobody_else(shop):
    pipeline, orders = shop
    before = _products(pipeline)
    later = NOW + timedelta(minutes=5)
    new = _order(5000, AS_OF, 60, 0, 3, 25)
    pipeline.apply([_envelope("order.created", new, later)], later)
    pipeline.publish(later)
    after = _products(pipeline)
    units, revenue = _sales([*orders, new], AS_OF)[60]
    assert after[60]["units"] == units == before[60]["units"] + 3
    assert after[60]["revenue"] == pytest.approx(revenue)
    assert after[60]["velocity"] == pytest.approx(units / WINDOW, abs=1e-4)
    assert after[60]["revenue_pct"] > before[60]["revenue_pct"]
    assert {pid: row for pid, row in after.items() if pid != 60} == {
        pid: row for pid, row in before.items() if pid != 60
    }


def test_a_shops_own_window_weights_margin_and_lead_time_drive_its_scores(tmp_path):
    own = ProductSettings(
        window_days=14, weight_velocity=10, weight_revenue=70, weight_margin=20, lead_time_days=60
    )
    shop = replace(SHOP, products=own, predictions=PredictionSettings(margin=0.5))
    orders = _history()
    rows = _scored_shop(tmp_path, list(PRODUCTS), orders, shop)
    sales = _sales(orders, AS_OF, window=14)
    expected = _expected_scores(sales, window=14, weights=(10, 70, 20), assumed_margin=50.0)
    assert {pid: row["score"] for pid, row in rows.items()} == expected
    assert expected != _expected_scores(_sales(orders, AS_OF))  # the settings mattered
    assert rows[93]["units"] == sales[93][0] and rows[60]["margin_pct"] == pytest.approx(50.0)
    velocity = sales[93][0] / 14
    assert rows[93]["velocity"] == pytest.approx(velocity, abs=1e-4)
    assert 20 / velocity < 60 and rows[93]["low_stock"]  # 20 in stock: low against 60 days


def test_a_new_stock_level_changes_days_of_cover(shop):
    pipeline, _ = shop
    before = _products(pipeline)[93]
    later = NOW + timedelta(minutes=5)
    update = _product(93, stock=2, modified="2024-06-01T11:00:00")
    pipeline.apply([_envelope("product.updated", update, later)], later)
    pipeline.publish(later)
    after = _products(pipeline)[93]
    assert after["stock_quantity"] == 2
    assert after["days_of_cover"] == pytest.approx(2 / before["velocity"], abs=0.01)
    assert after["low_stock"] and not before["low_stock"]


def test_elasticity_is_the_log_log_slope_of_daily_units_on_price(tmp_path):
    """Product 93 sells at five prices over 60 days; the fit equals numpy's own log-log
    least squares over the days' (units, price) from the payloads. Product 60 never
    changed its price: no elasticity, and the reason."""
    prices = [8, 9, 10, 11, 12]
    orders, days = [], []
    for back in range(60):
        day = AS_OF - timedelta(days=back)
        price = prices[back % 5]
        noise = 1 + 0.1 * ((back // 5) % 3 - 1)  # independent of the price
        quantity = max(1, round(2000 * price**-1.5 * noise))
        orders.append(_order(2000 + back, day, 93, 0, quantity, price))
        orders.append(_order(3000 + back, day, 60, 0, 1, 25))
        days.append((quantity, price))
    rows = _scored_shop(tmp_path, list(PRODUCTS), orders)
    q = np.array([units for units, _ in days], dtype=float)
    p = np.array([price for _, price in days], dtype=float)
    slope, intercept = np.polyfit(np.log(p), np.log(q), 1)
    residuals = np.log(q) - (slope * np.log(p) + intercept)
    centred = np.log(p) - np.log(p).mean()
    se = math.sqrt(float(residuals @ residuals) / (len(q) - 2) / float(centred @ centred))
    assert rows[93]["elasticity"] == pytest.approx(slope, abs=1e-4)
    assert rows[93]["elasticity_se"] == pytest.approx(se, abs=1e-4)
    assert rows[93]["elasticity_days"] == 60
    assert rows[60]["elasticity"] is None
    assert rows[60]["price_reason"] == "not enough price variation"
    # elastic demand (e < -1, shown): revenue grows with a lower price, clamped to -20%
    assert slope < -1
    assert rows[93]["optimal_price"] == pytest.approx(8.0)
    # a shop maximising profit: cost * e / (1 + e) for a cost of 4, within 8..12
    profit = replace(SHOP, products=ProductSettings(price_objective="profit"))
    rows = _scored_shop(tmp_path / "profit", list(PRODUCTS), orders, profit)
    best = min(max(4.0 * slope / (1 + slope), 8.0), 12.0)
    assert rows[93]["optimal_price"] == pytest.approx(best, abs=0.01)


def test_a_product_only_order_lines_name_is_listed_with_its_sales(shop):
    """A shop whose catalogue never arrived still sees what sells: the line's name and SKU,
    no price, cost or stock; a variation's parent too."""
    pipeline, _ = shop
    later = NOW + timedelta(minutes=5)
    item = {"product_id": 77, "variation_id": 78, "quantity": 2, "total": "30.00"}
    item |= {"name": "Mug - Blue", "sku": "MUG-B"}
    created = f"{AS_OF.isoformat()}T09:00:00"
    order = woo.order(6000, status="completed", created=created, items=[item])
    pipeline.apply([_envelope("order.created", order, later)], later)
    pipeline.publish(later)
    rows = _products(pipeline)
    assert (rows[78]["name"], rows[78]["sku"], rows[78]["type"]) == (
        "Mug - Blue",
        "MUG-B",
        "variation",
    )
    assert (rows[78]["parent_id"], rows[78]["units"], rows[78]["revenue"]) == (77, 2.0, 30.0)
    assert (rows[77]["type"], rows[77]["units"]) == ("variable", 2.0)
    assert rows[78]["price"] is None and rows[78]["margin_assumed"]


def test_the_job_ranks_products_only_order_lines_name(tmp_path):
    """No catalogue at all: the job still ranks what sold (shares add up to 100, the best
    seller on every measure scores highest, with the midrank rule of this file)."""
    plan = {201: (1, 10), 202: (2, 10), 203: (3, 20), 204: (5, 20)}  # id: (units a day, price)
    orders = [
        _order(7000 + 10 * back + pid % 10, AS_OF - timedelta(days=back), pid, 0, qty, price)
        for back in range(10)
        for pid, (qty, price) in plan.items()
    ]
    rows = _scored_shop(tmp_path, [], orders)
    assert sum(row["revenue_pct"] for row in rows.values()) == pytest.approx(100.0)
    # velocity and revenue rise with the id here; every margin is the default one (rank 50)
    order = list(range(len(plan)))
    expected = {
        pid: math.floor((80 * _midrank(i, order) + 20 * 50) / 100 + 0.5)
        for i, pid in enumerate(sorted(plan))
    }
    assert {pid: rows[pid]["score"] for pid in plan} == expected
