"""Top products, categories and coupons of the demo shop through the read API (real
pipeline, Parquet, waitress, HTTP), against this file's own computation over the raw order,
product and customer JSON the demo simulator delivered: the newest payload of each resource
wins, a ``*.deleted`` received after it trashes it, sale statuses are SPEC §3's, revenue days
are the shop timezone's days of ``date_created_gmt``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from ingest.demo.shop import DEMO_TIMEZONE, generate_demo_shop
from tests.integration.demo_prediction_shop import CUSTOMERS, NOW, SEED, DemoApi, demo_api

SALE = {"processing", "completed", "on-hold", "refunded"}
PERIODS = [(date(2024, 3, 1), date(2025, 3, 1)), (date(2025, 1, 1), date(2025, 2, 28))]
Body = dict[str, Any]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[DemoApi]:
    with demo_api(tmp_path_factory.mktemp("breakdowns")) as api:
        yield api


@pytest.fixture(scope="module")
def raw() -> dict[str, dict[int, Body]]:
    """The winning body of every order, product and customer (trashed orders left out)."""
    deliveries = generate_demo_shop(seed=SEED, now=NOW, customers=CUSTOMERS)
    newest: dict[str, dict[int, Body]] = defaultdict(dict)
    deleted: dict[int, datetime] = {}
    for d in deliveries:
        resource = d.topic.split(".")[0]
        if d.topic == "order.deleted":
            deleted[d.body["id"]] = max(d.at, deleted.get(d.body["id"], d.at))
            continue
        kept = newest[resource].get(d.body["id"])
        if kept is None or d.body["date_modified_gmt"] >= kept["date_modified_gmt"]:
            newest[resource][d.body["id"]] = d.body
    for order_id, at in deleted.items():
        body = newest["order"].get(order_id)
        if body and at > _utc(body["date_modified_gmt"]):
            del newest["order"][order_id]
    return newest


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _day(order: Body) -> date:
    return _utc(order["date_created_gmt"]).astimezone(ZoneInfo(DEMO_TIMEZONE)).date()


def _sales(raw: dict[str, dict[int, Body]], first: date, last: date) -> list[Body]:
    return [o for o in raw["order"].values() if o["status"] in SALE and first <= _day(o) <= last]


def _get(api: DemoApi, tail: str) -> Body:
    headers = {"Authorization": f"Bearer {api.api_token}"}
    response = httpx.get(api.url(tail), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def _csv(api: DemoApi, tail: str) -> list[str]:
    headers = {"Authorization": f"Bearer {api.api_token}", "Accept": "text/csv"}
    response = httpx.get(api.url(tail), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response.text.splitlines()


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


@pytest.mark.parametrize(("first", "last"), PERIODS)
@pytest.mark.parametrize("by", ["revenue", "units"])
def test_top_products_equal_the_payloads_line_totals(served, raw, first, last, by):
    units: dict[int, int] = defaultdict(int)
    revenue: dict[int, Decimal] = defaultdict(Decimal)
    orders: dict[int, set[int]] = defaultdict(set)
    for order in _sales(raw, first, last):
        for line in order["line_items"]:
            units[line["product_id"]] += line["quantity"]
            revenue[line["product_id"]] += _money(line["total"])
            orders[line["product_id"]].add(order["id"])
    measure = {"revenue": revenue, "units": units}[by]
    other = {"revenue": units, "units": revenue}[by]
    ranked = sorted(units, key=lambda pid: (-measure[pid], -other[pid], pid))[:5]
    body = _get(served, f"products/top?period=custom&from={first}&to={last}&by={by}")
    assert [row["product_id"] for row in body["data"]] == ranked
    total = sum(revenue.values())
    for row in body["data"]:
        pid = row["product_id"]
        assert (row["units"], _money(row["revenue"])) == (units[pid], revenue[pid])
        assert row["orders"] == len(orders[pid])
        assert row["revenue_share"] == pytest.approx(float(revenue[pid] / total), abs=1e-4)
    same = _get(served, f"products?top=5&period=custom&from={first}&to={last}&by={by}")
    assert same["data"] == body["data"]  # the products list's own spelling of it


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_categories_equal_the_payloads_lines_by_their_products_categories(served, raw, first, last):
    categories = {
        pid: [c["name"] for c in body.get("categories") or []] or [""]
        for pid, body in raw["product"].items()
    }
    units: dict[str, int] = defaultdict(int)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    orders: dict[str, set[int]] = defaultdict(set)
    products: dict[str, set[int]] = defaultdict(set)
    total = Decimal(0)  # every line once, whatever its categories
    for order in _sales(raw, first, last):
        for line in order["line_items"]:
            total += _money(line["total"])
            for name in categories.get(line["product_id"], [""]):
                units[name] += line["quantity"]
                revenue[name] += _money(line["total"])
                orders[name].add(order["id"])
                if line["quantity"] > 0:
                    products[name].add(line["product_id"])
    body = _get(served, f"categories?from={first}&to={last}")
    got = {row["category"]: row for row in body["data"]}
    assert set(got) == set(units) and len(got) > 3
    for name, row in got.items():
        assert (row["units"], _money(row["revenue"])) == (units[name], revenue[name]), name
        assert row["orders"] == len(orders[name]), name
        assert row["products"] == len(products[name]), name
        assert row["revenue_share"] == pytest.approx(round(float(revenue[name] / total), 4)), name
    assert [row["category"] for row in body["data"]] == sorted(
        units, key=lambda name: (-revenue[name], name)
    )
    lines = _csv(served, f"categories?from={first}&to={last}")
    assert lines[0] == "category,products,units,revenue,orders,revenue_share"
    assert len(lines) == len(got) + 1


def _customer_keys(raw: dict[str, dict[int, Body]]) -> dict[int, str]:
    """Each order's customer: its customer id, else the registered customer with its billing
    e-mail, else the e-mail (a guest)."""
    registered: dict[str, int] = {}
    for cid, body in raw["customer"].items():
        email = (body.get("email") or "").strip().lower()
        if email:
            registered[email] = min(cid, registered.get(email, cid))
    for order in raw["order"].values():
        email = order["billing"]["email"].strip().lower()
        if order["customer_id"] and email:
            registered[email] = min(order["customer_id"], registered.get(email, 10**12))
    keys = {}
    for order in raw["order"].values():
        email = order["billing"]["email"].strip().lower()
        owner = order["customer_id"] or registered.get(email)
        keys[order["id"]] = str(owner) if owner else email
    return keys


@pytest.mark.parametrize(("first", "last"), PERIODS)
def test_coupons_equal_the_payloads_coupon_lines(served, raw, first, last):
    customer = _customer_keys(raw)
    orders: dict[str, int] = defaultdict(int)
    buyers: dict[str, set[str]] = defaultdict(set)
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    discount: dict[str, Decimal] = defaultdict(Decimal)
    for order in _sales(raw, first, last):
        net = _money(order["total"]) - sum(abs(_money(r["total"])) for r in order["refunds"])
        for line in order["coupon_lines"]:
            code = line["code"]
            orders[code] += 1
            buyers[code].add(customer[order["id"]])
            revenue[code] += net
            discount[code] += _money(line["discount"])
    body = _get(served, f"coupons?from={first}&to={last}")
    got = {row["code"]: row for row in body["data"]}
    assert set(got) == set(orders) and orders
    for code, row in got.items():
        assert (row["orders"], row["customers"]) == (orders[code], len(buyers[code])), code
        assert _money(row["revenue"]) == revenue[code], code
        assert _money(row["discount"]) == discount[code], code
        expected_aov = (revenue[code] / orders[code]).quantize(Decimal("0.01"))
        assert abs(_money(row["average_order_value"]) - expected_aov) <= Decimal("0.01")
    lines = _csv(served, f"coupons?from={first}&to={last}")
    assert lines[0] == "code,orders,customers,revenue,discount,average_order_value"
    assert len(lines) == len(got) + 1
