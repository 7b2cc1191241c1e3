"""The demo shop: a realistic, deterministic year of WooCommerce webhook deliveries.

Figures for the default shop (3,000 people, 365 days, seed 7), checked below in ranges:
about 15,000 deliveries, 4,300-4,900 orders, 2,200-2,350 accounts, generated in ~1.5 s.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from statistics import mean

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from ingest.demo.shop import DemoDelivery, generate_demo_shop
from tests import woo_payloads

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
PEOPLE = 3000
MONEY = re.compile(r"^-?\d+\.\d{2}$")
PAID = {"processing", "completed", "on-hold"}


@pytest.fixture(scope="module")
def shop() -> list[DemoDelivery]:
    return generate_demo_shop(seed=7, now=NOW)


@pytest.fixture(scope="module")
def orders(shop: list[DemoDelivery]) -> dict[int, list[DemoDelivery]]:
    """Each order's deliveries, in the order they were sent."""
    found: dict[int, list[DemoDelivery]] = defaultdict(list)
    for delivery in shop:
        if delivery.topic.startswith("order."):
            found[delivery.body["id"]].append(delivery)
    return found


def final_bodies(orders: dict[int, list[DemoDelivery]]) -> list[dict]:
    """The last full body of each order (a trashed order keeps its last state)."""
    return [[d.body for d in sent if d.topic != "order.deleted"][-1] for sent in orders.values()]


def identity(body: dict) -> str:
    return str(body["customer_id"]) if body["customer_id"] else body["billing"]["email"].lower()


def d(text: str) -> Decimal:
    assert MONEY.match(text), text
    return Decimal(text)


# Determinism and shape -------------------------------------------------------------------


def test_the_same_seed_and_now_give_byte_identical_deliveries() -> None:
    first = generate_demo_shop(seed=3, now=NOW, customers=200, days=90)
    second = generate_demo_shop(seed=3, now=NOW, customers=200, days=90)
    assert [(x.topic, x.at, php_json_encode(x.body)) for x in first] == [
        (x.topic, x.at, php_json_encode(x.body)) for x in second
    ]


def test_another_seed_gives_another_shop() -> None:
    first = generate_demo_shop(seed=3, now=NOW, customers=200, days=90)
    other = generate_demo_shop(seed=4, now=NOW, customers=200, days=90)
    assert [x.body for x in first] != [x.body for x in other]


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_demo_shop(seed=1, now=datetime(2025, 3, 1), customers=10)


def test_the_default_year_stays_within_the_delivery_budget(shop: list[DemoDelivery]) -> None:
    assert 12_000 <= len(shop) <= 16_500


def test_deliveries_are_sorted_and_lie_in_the_year_up_to_now(shop: list[DemoDelivery]) -> None:
    times = [delivery.at for delivery in shop]
    assert times == sorted(times)
    assert all(at.tzinfo is not None for at in times)
    assert NOW - timedelta(days=365) <= times[0] and times[-1] <= NOW
    assert times[-1] >= NOW - timedelta(days=1)


def test_orders_are_spread_over_every_month_of_the_year(orders: dict) -> None:
    months = Counter(body["date_created_gmt"][:7] for body in final_bodies(orders))
    assert len(months) in (12, 13)
    full_months = [n for month, n in months.items() if "2024-03" < month < "2025-03"]
    assert len(full_months) == 11 and min(full_months) >= 150


# Seasons ---------------------------------------------------------------------------------


def test_november_and_december_are_the_peak(orders: dict) -> None:
    per_month = Counter(body["date_created"][5:7] for body in final_bodies(orders))
    peak = mean([per_month["11"], per_month["12"]])
    spring = mean([per_month["04"], per_month["05"], per_month["06"]])
    assert peak > 1.4 * spring


def test_black_friday_weekend_is_the_busiest_of_the_year(orders: dict) -> None:
    per_day = Counter(body["date_created"][:10] for body in final_bodies(orders))
    assert per_day.most_common(1)[0][0] in {"2024-11-29", "2024-11-30", "2024-12-01", "2024-12-02"}


def test_evenings_are_busier_than_nights(orders: dict) -> None:
    hours = Counter(int(body["date_created"][11:13]) for body in final_bodies(orders))
    assert hours[20] > 4 * hours[3]


# People ----------------------------------------------------------------------------------


def test_about_three_quarters_of_people_make_an_account(shop: list[DemoDelivery]) -> None:
    created = [x.body for x in shop if x.topic == "customer.created"]
    assert 0.65 * PEOPLE <= len(created) <= 0.85 * PEOPLE
    assert len({body["id"] for body in created}) == len(created)
    assert len({body["email"] for body in created}) == len(created)
    assert all(body["role"] == "customer" and not body["is_paying_customer"] for body in created)


def test_a_quarter_of_buyers_are_guests_known_by_email(orders: dict) -> None:
    bodies = final_bodies(orders)
    guests = {b["billing"]["email"].lower() for b in bodies if b["customer_id"] == 0}
    buyers = {identity(b) for b in bodies}
    assert 0.15 <= len(guests) / len(buyers) <= 0.35


def test_some_guests_later_sign_up_with_the_same_email(
    shop: list[DemoDelivery], orders: dict
) -> None:
    accounts = {x.body["email"]: x.at for x in shop if x.topic == "customer.created"}
    guest_orders = [sent[0] for sent in orders.values() if sent[0].body["customer_id"] == 0]
    emails = [(x.body["billing"]["email"].lower(), x.at) for x in guest_orders]
    late = {email for email, at in emails if at < accounts.get(email, at)}
    assert 3 <= len(late) <= 80


def test_returning_guests_sometimes_type_their_email_in_another_case(orders: dict) -> None:
    spellings: dict[str, set[str]] = defaultdict(set)
    for body in final_bodies(orders):
        if body["customer_id"] == 0:
            spellings[body["billing"]["email"].lower()].add(body["billing"]["email"])
    assert 1 <= sum(len(seen) > 1 for seen in spellings.values()) <= 0.1 * len(spellings)


def test_every_account_is_created_before_its_first_order(
    shop: list[DemoDelivery], orders: dict
) -> None:
    created_at = {x.body["id"]: x.at for x in shop if x.topic == "customer.created"}
    for sent in orders.values():
        first = sent[0]
        if first.body["customer_id"]:
            assert created_at[first.body["customer_id"]] < first.at


def test_accounts_become_paying_customers_after_a_paid_order(shop: list[DemoDelivery]) -> None:
    updated = [x.body for x in shop if x.topic == "customer.updated"]
    assert updated and all(body["is_paying_customer"] for body in updated)
    assert all(body["first_name"] and body["billing"]["country"] for body in updated)


def test_most_buy_once_and_a_long_tail_buys_many_times(orders: dict) -> None:
    paid = Counter(identity(b) for b in final_bodies(orders) if b["status"] in PAID | {"refunded"})
    counts = Counter(paid.values())
    buyers = sum(counts.values())
    assert 0.6 <= counts[1] / buyers <= 0.85
    assert sum(n for k, n in counts.items() if k >= 5) / buyers >= 0.02
    assert 10 <= max(paid.values()) <= 25


def test_repeat_purchases_are_weeks_to_months_apart(orders: dict) -> None:
    created: dict[str, list[str]] = defaultdict(list)
    for body in final_bodies(orders):
        if body["status"] in PAID:
            created[identity(body)].append(body["date_created_gmt"])
    gaps = [
        (datetime.fromisoformat(b) - datetime.fromisoformat(a)).days
        for dates in created.values()
        for a, b in zip(sorted(dates), sorted(dates)[1:], strict=False)
    ]
    gaps.sort()
    assert 14 <= gaps[len(gaps) // 2] <= 120


# Orders ----------------------------------------------------------------------------------


def test_order_outcomes_come_in_realistic_shares(orders: dict) -> None:
    bodies = final_bodies(orders)
    status = Counter(body["status"] for body in bodies)
    assert 0.03 <= (status["cancelled"] + status["failed"]) / len(bodies) <= 0.08
    assert 0.01 <= status["refunded"] / len(bodies) <= 0.035
    partial = [b for b in bodies if b["refunds"] and b["status"] != "refunded"]
    assert 0.015 <= len(partial) / len(bodies) <= 0.05
    assert 1 <= status["on-hold"] + status["pending"] <= 40
    assert status["processing"] >= 3


def test_every_status_of_the_lifecycle_is_delivered(shop: list[DemoDelivery]) -> None:
    statuses = {x.body["status"] for x in shop if x.topic in ("order.created", "order.updated")}
    expected = {"pending", "processing", "on-hold", "completed", "cancelled", "failed", "refunded"}
    assert expected <= statuses


def test_an_order_is_created_then_updated_and_only_trashed_last(orders: dict) -> None:
    for sent in orders.values():
        topics = [x.topic for x in sent]
        assert topics[0] == "order.created"
        assert sent[0].body["status"] in {"pending", "processing", "on-hold"}
        assert set(topics[1:]) <= {"order.updated", "order.deleted"}
        assert "order.deleted" not in topics[:-1]


def test_a_few_orders_are_trashed_with_only_their_id(orders: dict) -> None:
    trashed = [sent[-1] for sent in orders.values() if sent[-1].topic == "order.deleted"]
    assert 5 <= len(trashed) <= 0.02 * len(orders)
    assert all(x.body == {"id": x.body["id"]} for x in trashed)


def test_orders_are_completed_within_days_of_payment_some_late(orders: dict) -> None:
    hours = sorted(
        (
            datetime.fromisoformat(body["date_completed_gmt"])
            - datetime.fromisoformat(body["date_paid_gmt"])
        ).total_seconds()
        / 3600
        for body in final_bodies(orders)
        if body["status"] == "completed" and body["payment_method"] != "cod"
    )
    assert hours[0] > 0
    assert 8 <= hours[len(hours) // 2] <= 72
    assert 0.03 <= sum(h > 48 for h in hours) / len(hours) <= 0.5


def test_money_adds_up_on_every_order_body(shop: list[DemoDelivery]) -> None:
    for x in shop:
        if x.topic in ("order.created", "order.updated"):
            assert_money_adds_up(x.body)


def assert_money_adds_up(body: dict) -> None:
    lines = body["line_items"]
    subtotal = sum(d(line["subtotal"]) for line in lines)
    line_total = sum(d(line["total"]) for line in lines)
    tax = d(body["cart_tax"]) + d(body["shipping_tax"])
    assert d(body["total_tax"]) == tax
    assert line_total == subtotal - d(body["discount_total"])
    assert (
        d(body["total"]) == subtotal - d(body["discount_total"]) + d(body["shipping_total"]) + tax
    )
    assert d(body["shipping_total"]) == sum(d(s["total"]) for s in body["shipping_lines"])
    for line in lines:
        assert isinstance(line["price"], int | float)
        assert abs(Decimal(str(line["price"])) * line["quantity"] - d(line["total"])) < Decimal(
            "0.01"
        )


def test_refunds_are_negative_and_full_refunds_sum_to_the_total(orders: dict) -> None:
    for body in final_bodies(orders):
        refunded = -sum(d(refund["total"]) for refund in body["refunds"])
        assert all(
            d(r["total"]) < 0 and set(r) == {"id", "reason", "total"} for r in body["refunds"]
        )
        if body["status"] == "refunded":
            assert refunded == d(body["total"])
        else:
            assert refunded < d(body["total"])


def test_paid_and_completed_dates_follow_the_status(orders: dict) -> None:
    for body in final_bodies(orders):
        if body["status"] in ("pending", "failed", "cancelled") and body["payment_method"] != "cod":
            assert body["date_paid_gmt"] is None
        if body["status"] == "completed":
            assert body["date_completed_gmt"] is not None and body["date_paid_gmt"] is not None


# Products --------------------------------------------------------------------------------


def test_products_are_created_first_simple_variable_and_variations(
    shop: list[DemoDelivery],
) -> None:
    created = [x.body for x in shop if x.topic == "product.created"]
    assert all(x.topic == "product.created" for x in shop[: len(created)])
    kinds = Counter(body["type"] for body in created)
    assert kinds["simple"] >= 40 and kinds["variable"] >= 3 and kinds["variation"] >= 6
    parents = {body["id"] for body in created if body["type"] == "variable"}
    assert all(b["parent_id"] in parents for b in created if b["type"] == "variation")
    costs = [m for b in created for m in b["meta_data"] if m["key"] == "_wc_cog_cost"]
    assert 0.5 * len(created) <= len(costs) < len(created)
    assert all(MONEY.match(body["price"]) for body in created)
    assert any(body["manage_stock"] and body["stock_quantity"] > 0 for body in created)


def test_line_items_point_at_products_that_exist(shop: list[DemoDelivery], orders: dict) -> None:
    kinds = {x.body["id"]: x.body for x in shop if x.topic == "product.created"}
    for body in final_bodies(orders):
        for line in body["line_items"]:
            assert kinds[line["product_id"]]["type"] in ("simple", "variable")
            if line["variation_id"]:
                assert kinds[line["variation_id"]]["parent_id"] == line["product_id"]


def test_some_products_change_price_often_enough_for_elasticity(shop: list[DemoDelivery]) -> None:
    prices: dict[int, set[str]] = defaultdict(set)
    for x in shop:
        if x.topic.startswith("product."):
            prices[x.body["id"]].add(x.body["price"])
    assert sum(len(seen) >= 3 for seen in prices.values()) >= 2


# Order of changes and encoding -----------------------------------------------------------


def test_each_resource_changes_strictly_later_with_each_delivery(shop: list[DemoDelivery]) -> None:
    assert_per_resource_order(shop)


def assert_per_resource_order(shop: list[DemoDelivery]) -> None:
    last: dict[tuple[str, int], tuple[datetime, str]] = {}
    for x in shop:
        key = (x.topic.partition(".")[0], x.body["id"])
        modified = x.body.get("date_modified_gmt", "")
        if key in last:
            at, seen = last[key]
            assert at < x.at
            assert x.topic.endswith(".deleted") or seen < modified, (key, seen, modified)
        if modified:
            assert datetime.fromisoformat(modified).replace(tzinfo=UTC) <= x.at
        last[key] = (x.at, modified or last.get(key, (x.at, ""))[1])


def test_every_body_encodes_the_way_php_does(shop: list[DemoDelivery]) -> None:
    encoded = [php_json_encode(x.body) for x in shop]
    assert all(json.loads(raw) == x.body for raw, x in zip(encoded, shop, strict=True))
    assert any(b"\\/" in raw for raw in encoded)
    assert any(b"\\u0142" in raw for raw in encoded)  # "ł"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), people=st.integers(5, 80), days=st.integers(20, 400))
def test_any_small_shop_keeps_the_invariants(seed: int, people: int, days: int) -> None:
    shop = generate_demo_shop(seed=seed, now=NOW, customers=people, days=days)
    assert [x.at for x in shop] == sorted(x.at for x in shop)
    assert_per_resource_order(shop)
    for x in shop:
        if x.topic in ("order.created", "order.updated"):
            assert_money_adds_up(x.body)


# The test payload builders ---------------------------------------------------------------


def test_built_orders_add_up_and_keep_the_fixture_fields() -> None:
    body = woo_payloads.order(
        5,
        items=[
            {"product_id": 1, "quantity": 2, "total": "12.00"},
            {"product_id": 2, "total": "3.50"},
        ],
        total="20.50",
        refunds=["5.00"],
        paid="2024-01-05T10:01:00",
    )
    assert_money_adds_up(body)
    assert body["shipping_total"] == "5.00" and body["total"] == "20.50"
    assert body["refunds"] == [{"id": 501, "reason": "", "total": "-5.00"}]
    assert body["line_items"][0]["price"] == 6
    assert body["date_paid_gmt"] == "2024-01-05T10:01:00" and body["date_completed_gmt"] is None
    assert body["order_key"] == woo_payloads.fixture("order.json")["order_key"]


def test_built_orders_refuse_a_total_below_their_items() -> None:
    with pytest.raises(ValueError):
        woo_payloads.order(1, items=[{"product_id": 1, "total": "30.00"}], total="10.00")


def test_built_customers_and_products_carry_what_tests_set() -> None:
    person = woo_payloads.customer(9, email="Zoe@Example.com", modified="2024-02-01T00:00:00")
    assert person["billing"]["email"] == "Zoe@Example.com"
    assert person["date_modified_gmt"] == "2024-02-01T00:00:00"
    variation = woo_payloads.product(23, price="9.50", type="variation", parent_id=22, cost="4.00")
    assert (variation["type"], variation["parent_id"], variation["price"]) == (
        "variation",
        22,
        "9.50",
    )
    assert variation["meta_data"] == [{"id": 5023, "key": "_wc_cog_cost", "value": "4.00"}]


def test_signed_payloads_use_php_bytes() -> None:
    raw, headers = woo_payloads.signed("order.updated", {"id": 1, "note": "a/b ł"}, "s3cret")
    assert raw == b'{"id":1,"note":"a\\/b \\u0142"}'
    assert headers["X-WC-Webhook-Topic"] == "order.updated"
    assert headers["X-WC-Webhook-Resource"] == "order"
    assert headers["X-WC-Webhook-Event"] == "updated"
