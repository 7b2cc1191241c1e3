"""The local WooCommerce server's generated shop: deterministic, in WooCommerce's shapes,
money that adds up, and expected totals that agree with the data and follow mutations."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.woo_server.data import WooShopData

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ORDERS = 5000
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")
MONEY = re.compile(r"^-?\d+\.\d\d$")


@pytest.fixture(scope="module")
def shop() -> WooShopData:
    return WooShopData.generate(orders=ORDERS, seed=42, now=NOW)


def small_shop() -> WooShopData:
    return WooShopData.generate(orders=200, seed=5, now=NOW)


def cents(amount: str) -> int:
    return int(Decimal(amount) * 100)


def test_the_same_seed_gives_the_same_shop_and_another_seed_another() -> None:
    first, again = small_shop(), small_shop()
    other = WooShopData.generate(orders=200, seed=6, now=NOW)
    assert json.dumps(first.orders) == json.dumps(again.orders)
    assert json.dumps(first.customers) == json.dumps(again.customers)
    assert json.dumps(first.orders) != json.dumps(other.orders)


def test_the_shop_has_the_promised_size(shop: WooShopData) -> None:
    assert len(shop.orders) == ORDERS
    assert len(shop.products) == 50 and len(shop.coupons) == 10
    assert sum(len(v) for v in shop.variations.values()) == 30
    assert sum(1 for c in shop.customers.values() if c["role"] == "customer") == ORDERS // 3
    assert 0.15 < sum(o["customer_id"] == 0 for o in shop.orders.values()) / ORDERS < 0.35


def test_statuses_are_mostly_sales_with_some_of_everything_else(shop: WooShopData) -> None:
    share = {s: n / ORDERS for s, n in Counter(o["status"] for o in shop.orders.values()).items()}
    assert share["completed"] + share["processing"] + share["on-hold"] > 0.8
    for status in ("cancelled", "failed", "pending", "refunded", "trash"):
        assert 0 < share[status] < 0.1, status
    partial = [o for o in shop.orders.values() if o["refunds"] and o["status"] != "refunded"]
    assert 0.015 < len(partial) / ORDERS < 0.05


def test_every_order_adds_up(shop: WooShopData) -> None:
    for order in shop.orders.values():
        lines = order["line_items"]
        items, tax = (
            sum(cents(li["total"]) for li in lines),
            sum(cents(li["total_tax"]) for li in lines),
        )
        discount = sum(cents(li["subtotal"]) - cents(li["total"]) for li in lines)
        assert cents(order["total"]) == items + cents(order["shipping_total"]) + tax
        assert cents(order["discount_total"]) == discount
        assert cents(order["total_tax"]) == cents(order["cart_tax"]) == tax
        for line in lines:
            assert isinstance(line["price"], int | float)
            assert abs(line["price"] * line["quantity"] - float(line["total"])) < 0.01
        assert bool(order["coupon_lines"]) == (discount > 0)


def test_money_and_dates_are_written_as_woocommerce_writes_them(shop: WooShopData) -> None:
    now = NOW.strftime("%Y-%m-%dT%H:%M:%S")
    for order in list(shop.orders.values())[::7]:
        for key in ("total", "shipping_total", "discount_total", "total_tax"):
            assert MONEY.match(order[key]), key
        for name in ("created", "modified", "paid", "completed"):
            local, gmt = order[f"date_{name}"], order[f"date_{name}_gmt"]
            assert local == gmt and (gmt is None or (DATE.match(gmt) and gmt <= now))
        assert order["date_created_gmt"] <= order["date_modified_gmt"]


def test_refunds_match_their_orders(shop: WooShopData) -> None:
    listed = {entry["id"]: (o["id"], entry) for o in shop.orders.values() for entry in o["refunds"]}
    assert set(listed) == set(shop.refunds)
    for refund_id, refund in shop.refunds.items():
        order_id, entry = listed[refund_id]
        order = shop.orders[order_id]
        assert refund["parent_id"] == order_id and entry["total"] == "-" + refund["amount"]
        assert refund["date_created_gmt"] <= order["date_modified_gmt"]
        if order["status"] == "refunded":
            assert refund["amount"] == order["total"] and refund["line_items"]
        else:
            assert 0 < cents(refund["amount"]) < cents(order["total"])


def test_expected_totals_agree_with_the_orders(shop: WooShopData) -> None:
    totals = shop.expected_totals()
    orders = list(shop.orders.values())
    sales = [o for o in orders if o["status"] in ("processing", "completed", "on-hold")]
    counted = sales + [o for o in orders if o["status"] == "refunded"]
    refunds = sum(-Decimal(r["total"]) for o in counted for r in o["refunds"])
    assert totals["orders"] == sum(o["status"] != "trash" for o in orders)
    assert totals["sale_orders"] == len(sales)
    assert totals["gross"] == sum(Decimal(o["total"]) for o in counted)
    assert totals["refunds"] == refunds and totals["net"] == totals["gross"] - refunds
    assert sum(totals["orders_by_status"].values()) == ORDERS
    buyers = {o["customer_id"] or o["billing"]["email"].lower() for o in sales}
    assert totals["customers"] < len(buyers)  # guests who also have an account count once


def test_expected_totals_honour_the_paid_statuses(shop: WooShopData) -> None:
    narrow = shop.expected_totals(paid_statuses=("completed",))
    assert narrow["sale_orders"] == narrow["orders_by_status"]["completed"]
    assert narrow["gross"] < shop.expected_totals()["gross"]


def test_mutations_move_the_totals_and_the_modified_date() -> None:
    data = small_shop()
    before = data.expected_totals()
    sale = next(o for o in data.orders.values() if o["status"] == "completed" and not o["refunds"])
    data.add_refund(sale["id"], "2.50", reason="Scratched")
    after_refund = data.expected_totals()
    assert after_refund["refunds"] - before["refunds"] == Decimal("2.50")
    assert after_refund["net"] == before["net"] - Decimal("2.50")
    assert sale["refunds"][0]["total"] == "-2.50"
    assert sale["date_modified_gmt"] > NOW.strftime("%Y-%m-%dT%H:%M:%S")
    data.trash_order(sale["id"])
    assert data.expected_totals()["orders"] == before["orders"] - 1


def test_a_full_refund_turns_the_order_refunded() -> None:
    data = small_shop()
    sale = next(o for o in data.orders.values() if o["status"] == "processing")
    data.add_refund(sale["id"], sale["total"])
    assert sale["status"] == "refunded"


def test_changes_without_a_time_are_stamped_in_strictly_increasing_order() -> None:
    data = small_shop()
    first, second = sorted(data.orders)[:2]
    stamps = [
        data.update_order(first, customer_note="a")["date_modified_gmt"],
        data.update_order(second, customer_note="b")["date_modified_gmt"],
        data.update_customer(2, first_name="Zoe")["date_modified_gmt"],
    ]
    assert stamps == sorted(set(stamps))
    at = NOW + timedelta(days=1)
    assert data.update_order(first, at=at)["date_modified_gmt"] == "2025-06-02T12:00:00"


def test_added_orders_get_new_ids_and_count() -> None:
    data = small_shop()
    before = data.expected_totals()
    added = data.add_order(
        status="completed", customer_id=0, email="new@example.com", total="12.34"
    )
    assert added["id"] > max(set(data.orders) - {added["id"]} | set(data.refunds))
    assert added["total"] == "12.34" and added["billing"]["email"] == "new@example.com"
    after = data.expected_totals()
    assert after["gross"] - before["gross"] == Decimal("12.34")
    assert after["customers"] == before["customers"] + 1


def test_hard_deletes_remove_orders_with_their_refunds_and_customers() -> None:
    data = small_shop()
    refunded = next(o for o in data.orders.values() if o["refunds"])
    data.hard_delete_order(refunded["id"])
    assert refunded["id"] not in data.orders
    assert all(r["parent_id"] != refunded["id"] for r in data.refunds.values())
    data.hard_delete_customer(2)
    assert 2 not in data.customers
