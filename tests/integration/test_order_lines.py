"""The order lines view, built by the real pipeline from WooCommerce payloads, against an
independent computation over the same JSON: per line the units, the units and amount its
refunds gave back (found through WooCommerce's own link, the ``_refunded_item_id`` meta of a
refund's line item) and the net revenue; per order how its lines add up to its net revenue.
Refreshed publishes (a refund, a cost change, a guest who registers, a deleted refund) equal
the view built whole. Real pipeline, DuckDB, Parquet and the read API.

The shop (Europe/Warsaw):

    products  93 simple, cost 1.20; 22 variable, cost 4.00, with variations 23 (cost 5.00)
              and 24 (no cost of its own: its parent's); 50 simple, no cost
    727  the documentation's order, a guest: 2 x 93 (6.00), 1 x 22/23 (12.00), shipping
         10.00, tax 1.35; refunds: one unit of 93 (3.00 + 0.23 tax) and 2.00 without items
    1001 customer 25, 2024-03-30 23:30 UTC (03-31 in Warsaw): 3 x 93 (9.00), 2 x 22/23
         (24.00 less a 4.00 coupon), 1 x 22/24 (8.00), 1 x 50 (5.00), shipping 5.00; refund:
         one unit of 22/23 (10.00, its discounted price)
    1002 a guest (ola@), cancelled: 1 x 93 (3.00); its line id is 1001's first line's
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from api.app import create_app
from processors.pipeline import ShopPipeline
from processors.projections.engine import ViewEngine
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.settings import Settings
from schemas.views import VIEW_KEYS
from store.view_files import ViewFiles, live_files, read_manifest, read_view
from tests import woo_payloads as woo
from tests.integration.read_api_support import SHOP, Tokens, get
from tests.views_builder import guest_key

NOW = datetime(2024, 4, 10, 10, tzinfo=UTC)
CENT = Decimal("0.01")
LATER = "2024-04-09T12:00:00"
Body = dict[str, Any]


def envelope(topic: str, body: Body, received: datetime = NOW) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, body["id"], json.dumps(body), received)


def products() -> list[Body]:
    return [
        woo.product(93, price="3.00", cost="1.20"),
        woo.product(22, price="12.00", type="variable", cost="4.00"),
        woo.product(23, price="12.00", type="variation", parent_id=22, cost="5.00"),
        woo.product(24, price="8.00", type="variation", parent_id=22),
        woo.product(50, price="5.00"),
    ]


def refund(refund_id: int, order_id: int, amount: str, lines: list[tuple[Body, int, str]]) -> Body:
    """A refund as ``GET /orders/<id>/refunds`` lists it (the documentation's, made anew):
    ``lines`` are (the order's line, units returned, amount returned before tax)."""
    body = woo.fixture("order_refunds.json")[1]
    template = body["line_items"][0]
    body |= {"id": refund_id, "amount": amount, "line_items": []}
    body |= {"date_created": "2024-04-09T10:00:00", "date_created_gmt": "2024-04-09T10:00:00"}
    for n, (line, units, total) in enumerate(lines):
        item = template | {
            "id": refund_id * 10 + n,
            "name": line["name"],
            "product_id": line["product_id"],
            "variation_id": line["variation_id"],
            "quantity": -units,
            "subtotal": f"-{total}",
            "total": f"-{total}",
            "meta_data": [{"id": 0, "key": "_refunded_item_id", "value": str(line["id"])}],
        }
        body["line_items"].append(item)
    for name in ("self", "collection"):
        body["_links"][name][0]["href"] = (
            f"https://example.com/wp-json/wc/v3/orders/{order_id}/refunds"
        )
    body["_links"]["up"][0]["href"] = f"https://example.com/wp-json/wc/v3/orders/{order_id}"
    return body


def with_refunds(order: Body, refunds: list[Body], modified: str) -> Body:
    """``order`` as WooCommerce sends it after ``refunds``: listed in ``refunds[]``."""
    listed = [{"id": r["id"], "reason": "", "total": f"-{r['amount']}"} for r in refunds]
    return order | {"refunds": listed, "date_modified": modified, "date_modified_gmt": modified}


def order_727() -> Body:
    return woo.fixture("order.json")


def order_1001() -> Body:
    items = [
        {"product_id": 93, "quantity": 3, "total": "9.00", "name": "Woo Single #1"},
        {
            "product_id": 22,
            "variation_id": 23,
            "quantity": 2,
            "subtotal": "24.00",
            "total": "20.00",
        },
        {"product_id": 22, "variation_id": 24, "quantity": 1, "total": "8.00", "sku": "V24"},
        {"product_id": 50, "quantity": 1, "total": "5.00"},
    ]
    created = "2024-03-30T23:30:00"
    return woo.order(
        1001, customer_id=25, email="anna@example.com", items=items, total="47.00", created=created
    )


def order_1002() -> Body:
    items = [{"product_id": 93, "quantity": 1, "total": "3.00"}]
    return woo.order(1002, status="cancelled", email="ola@example.com", items=items)


def line(order: Body, line_id: int) -> Body:
    (found,) = [item for item in order["line_items"] if item["id"] == line_id]
    return found


def shop() -> tuple[list[Body], list[Body]]:
    """The orders as they are after their refunds, and the refunds."""
    o727, o1001 = order_727(), order_1001()
    r1 = refund(730, 727, "3.23", [(line(o727, 315), 1, "3.00")])
    r2 = refund(731, 727, "2.00", [])
    r3 = refund(1101, 1001, "10.00", [(line(o1001, 901), 1, "10.00")])
    orders = [
        with_refunds(o727, [r1, r2], "2024-04-09T10:00:00"),
        with_refunds(o1001, [r3], "2024-04-09T10:00:00"),
        order_1002(),
    ]
    return orders, [r1, r2, r3]


def stream(orders: list[Body], refunds: list[Body]) -> list[Envelope]:
    return (
        [envelope("product.created", body) for body in products()]
        + [envelope("order.updated", body) for body in orders]
        + [envelope("refund.created", body) for body in refunds]
    )


# --- the independent computation: plain Python over the payloads ---------------------------


def order_of(refund_body: Body) -> int:
    return int(refund_body["_links"]["up"][0]["href"].rsplit("/", 1)[-1])


def returned_by_line(refunds: list[Body]) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """(order id, line id) -> units and amount its refunds returned, by WooCommerce's link."""
    returned: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for body in refunds:
        for item in body["line_items"]:
            (link,) = [m["value"] for m in item["meta_data"] if m["key"] == "_refunded_item_id"]
            key = (order_of(body), int(link))
            units, amount = returned.get(key, (0, Decimal("0")))
            returned[key] = (units + abs(item["quantity"]), amount + abs(Decimal(item["total"])))
    return returned


def unit_cost(item: Body) -> Decimal | None:
    costs = {}
    for body in products():
        meta = [m["value"] for m in body["meta_data"] if m["key"] == "_wc_cog_cost"]
        costs[body["id"]] = Decimal(meta[0]) if meta else None
    own = costs.get(item["variation_id"]) if item["variation_id"] else None
    return own if own is not None else costs.get(item["product_id"])


def expected_lines(orders: list[Body], refunds: list[Body]) -> dict[tuple[int, int], Body]:
    returned = returned_by_line(refunds)
    rows = {}
    for order in orders:
        for item in order["line_items"]:
            units, amount = returned.get((order["id"], item["id"]), (0, Decimal("0")))
            cost = unit_cost(item)
            rows[(order["id"], item["id"])] = {
                "product_id": item["product_id"],
                "variation_id": item["variation_id"],
                "parent_id": item["product_id"],
                "quantity": item["quantity"],
                "refunded_quantity": units,
                "net_quantity": item["quantity"] - units,
                "unit_price": (Decimal(item["subtotal"]) / item["quantity"]).quantize(CENT),
                "revenue": Decimal(item["total"]),
                "refunded": amount,
                "net_revenue": Decimal(item["total"]) - amount,
                "unit_cost": cost,
                "net_cost": None if cost is None else cost * (item["quantity"] - units),
            }
    return rows


def order_net(order: Body) -> Decimal:
    return Decimal(order["total"]) - sum(abs(Decimal(r["total"])) for r in order["refunds"])


def not_on_lines(order: Body, refunds: list[Body]) -> Decimal:
    """What the order's refunds returned beside its line items: their tax, shipping, and
    refunds of an amount alone."""
    mine = [body for body in refunds if order_of(body) == order["id"]]
    items = sum(abs(Decimal(i["total"])) for body in mine for i in body["line_items"])
    return sum(Decimal(body["amount"]) for body in mine) - items


def revenue_day(order: Body) -> date:
    created = datetime.fromisoformat(order["date_created_gmt"]).replace(tzinfo=UTC)
    return created.astimezone(ZoneInfo(SHOP.timezone)).date()


# --- helpers over the published view ------------------------------------------------------


def published(pipeline: ShopPipeline) -> dict[tuple[int, int], Body]:
    table = read_view(pipeline.paths.views_dir, "order_lines")
    assert table is not None
    return {(row["order_id"], row["line_id"]): row for row in table.to_pylist()}


def sorted_rows(table: pa.Table | None) -> list[Body]:
    keys = [(column, "ascending") for column in VIEW_KEYS["order_lines"]]
    return [] if table is None else table.sort_by(keys).to_pylist()


def view_files(pipeline: ShopPipeline) -> ViewFiles:
    return live_files(read_manifest(pipeline.paths.views_dir))["order_lines"]


def assert_refreshed_equals_whole(pipeline: ShopPipeline) -> None:
    whole = ViewEngine(pipeline.state.connection, SHOP).full_tables()["order_lines"]
    assert sorted_rows(read_view(pipeline.paths.views_dir, "order_lines")) == sorted_rows(whole)


def run(pipeline: ShopPipeline, envelopes: list[Envelope]) -> None:
    _, failures = pipeline.apply(envelopes, NOW)
    assert failures == {}, failures
    pipeline.publish(NOW)


# --- tests --------------------------------------------------------------------------------


def test_each_line_holds_its_units_and_net_revenue_after_its_own_refunds(tmp_path):
    orders, refunds = shop()
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        run(pipeline, stream(orders, refunds))
        rows = published(pipeline)
    finally:
        pipeline.close()

    expected = expected_lines(orders, refunds)
    assert set(rows) == set(expected)  # 1001 and 1002 both have a line 900: both are kept
    for key, want in expected.items():
        assert {name: rows[key][name] for name in want} == want, key
    by_order = {order["id"]: order for order in orders}
    for (order_id, _), row in rows.items():
        order = by_order[order_id]
        assert row["revenue_day"] == revenue_day(order)
        assert row["status"] == order["status"]
        assert row["is_sale"] == (order["status"] != "cancelled")
    assert rows[(1001, 900)]["customer_key"] == "25"
    assert rows[(1001, 900)]["revenue_day"] == date(2024, 3, 31)  # 23:30 UTC, CET


def test_the_lines_of_an_order_add_up_to_its_net_less_shipping_fees_and_tax(tmp_path):
    # Line revenue is WooCommerce's line total: after discounts, before tax. An order's
    # total is its lines' totals + shipping + fees + tax; its refunds return line items
    # (counted on those lines, before tax) and the rest: the tax and shipping they refund,
    # and refunds of an amount alone. So the lines' net revenue is the order's net (total -
    # refunds) - shipping - fees - tax + what its refunds returned beside their line items.
    orders, refunds = shop()
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        run(pipeline, stream(orders, refunds))
        rows = published(pipeline)
    finally:
        pipeline.close()

    for order in orders:
        lines_net = sum(r["net_revenue"] for (oid, _), r in rows.items() if oid == order["id"])
        fees = sum(Decimal(fee["total"]) for fee in order["fee_lines"])
        shipping, tax = Decimal(order["shipping_total"]), Decimal(order["total_tax"])
        expected = order_net(order) - shipping - fees - tax + not_on_lines(order, refunds)
        assert lines_net == expected, order["id"]
    # 727: 29.35 - 5.23 net, less 10.00 shipping and 1.35 tax, plus 0.23 + 2.00 not on lines
    assert sum(r["net_revenue"] for (oid, _), r in rows.items() if oid == 727) == Decimal("15.00")


def order_1003() -> Body:
    """A guest order with the address of 1001's customer: it belongs to customer 25."""
    items = [{"product_id": 50, "quantity": 1, "total": "5.00"}]
    return woo.order(1003, email="anna@example.com", items=items, created="2024-04-02T10:00:00")


def later(body: Body, email: str) -> Body:
    """``body`` (an order or a customer) modified later, at another e-mail address."""
    changed = body | {"date_modified": LATER, "date_modified_gmt": LATER}
    changed["billing"] = body["billing"] | {"email": email}
    return changed | ({"email": email} if "email" in body else {})


def refresh_steps(orders: list[Body], refunds: list[Body]) -> list[tuple[list[Envelope], Any]]:
    """Each step's deliveries and what it must change: ((order id, line id), column, value)."""
    refund_gone = Envelope(
        SHOP.shop_id, "refund.deleted", "refund", "deleted", 1101, '{"id":1101}', NOW
    )
    costs = [
        woo.product(23, price="12.00", type="variation", parent_id=22, cost="6.50", modified=LATER),
        woo.product(22, price="12.00", type="variable", cost="4.40", modified=LATER),
    ]
    ola = woo.customer(40, email="ola@example.com", modified="2024-04-09T11:00:00")
    return [
        # a refund of one unit of 1001's line 901 arrives, and the order listing it
        (
            [envelope("order.updated", orders[1]), envelope("refund.created", refunds[2])],
            [((1001, 901), "net_revenue", Decimal("10.00"))],
        ),
        # costs change: the variation's own, and its parent's (variation 24 has none)
        (
            [envelope("product.updated", body) for body in costs],
            [
                ((727, 316), "unit_cost", Decimal("6.50")),
                ((1001, 902), "unit_cost", Decimal("4.40")),
            ],
        ),
        # the guest of 1002 registers with its address: the order is theirs
        ([envelope("customer.created", ola)], [((1002, 900), "customer_key", "40")]),
        # ... and moves to another address: 1002 is a guest's again
        (
            [envelope("customer.updated", later(ola, email="ola.new@example.com"))],
            [((1002, 900), "customer_key", guest_key("ola@example.com"))],
        ),
        # 1001 (customer 25) takes another address: guest order 1003 is no longer 25's
        (
            [envelope("order.updated", later(orders[1], email="anna@work.example"))],
            [((1003, 900), "customer_key", guest_key("anna@example.com"))],
        ),
        # the refund is deleted: the line is whole again
        ([refund_gone], [((1001, 901), "refunded_quantity", 0)]),
    ]


def test_refreshed_publishes_equal_the_view_built_whole_and_follow_each_change(tmp_path):
    orders, refunds = shop()
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        # a rescoring after the orders: from then on publishes refresh what changed
        rescoring = rescore_envelope(SHOP.shop_id, date(2024, 4, 1), NOW)
        first = [order_727(), order_1001(), order_1002(), order_1003()]
        run(pipeline, [*stream(first, []), rescoring])
        assert_refreshed_equals_whole(pipeline)
        base = view_files(pipeline).base
        assert published(pipeline)[(1003, 900)]["customer_key"] == "25"
        for envelopes, changes in refresh_steps(orders, refunds):
            before = published(pipeline)
            run(pipeline, envelopes)
            assert_refreshed_equals_whole(pipeline)
            after = published(pipeline)
            for key, column, value in changes:
                assert (before[key][column], after[key][column]) != (value, value)
                assert after[key][column] == value, (key, column)
            files = view_files(pipeline)
            assert files.base == base and files.delta is not None  # refreshed, not rebuilt
        # an edited order loses a line: the line leaves the view
        edited = later(orders[1], "anna@work.example")
        edited["line_items"] = edited["line_items"][:3]
        run(
            pipeline,
            [envelope("order.updated", edited | {"date_modified_gmt": "2024-04-09T13:00:00"})],
        )
        assert_refreshed_equals_whole(pipeline)
        assert (1001, 903) not in published(pipeline) and (1001, 902) in published(pipeline)
        assert view_files(pipeline).base == base
    finally:
        pipeline.close()


def test_the_order_lines_list_filters_by_product_order_and_day_in_json_and_csv(tmp_path):
    orders, refunds = shop()
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        run(pipeline, stream(orders, refunds))
    finally:
        pipeline.close()
    api = create_app(Settings(data_dir=tmp_path), Tokens(), FixedClock(NOW)).test_client()

    def keys(path: str) -> list[tuple[int, int]]:
        response = get(api, path)
        assert response.status_code == 200, response.get_json()
        return [(row["order_id"], row["line_id"]) for row in response.get_json()["data"]]

    assert keys("order-lines?product=22&sort=line_id") == [(727, 316), (1001, 901), (1001, 902)]
    assert keys("order-lines?product=24") == [(1001, 902)]
    assert keys("order-lines?order=727&sort=line_id") == [(727, 315), (727, 316)]
    assert keys("order-lines?from=2024-03-31&to=2024-03-31&is_sale=true&sort=-net_revenue") == [
        (1001, 901),
        (1001, 900),
        (1001, 902),
        (1001, 903),
    ]
    csv = get(api, "order-lines?order=1001&format=csv").get_data(as_text=True).splitlines()
    assert csv[0].split(",")[:3] == ["order_id", "line_id", "revenue_day"] and len(csv) == 5


def lines_after_refund(tmp_path, order: Body, returned: Body) -> dict[tuple[int, int], Body]:
    """The published order lines, by (order, line), after ``order`` and its refund
    ``returned`` went through a pipeline."""
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        run(pipeline, stream([with_refunds(order, [returned], LATER)], [returned]))
        return published(pipeline)
    finally:
        pipeline.close()


def test_a_refund_of_a_product_on_two_lines_fills_them_in_line_order_to_the_cent(tmp_path):
    # The state keeps a refund item's product and variation, not the line it points at, so
    # lines of one product share its refunds: units fill the first line, then the next; the
    # amount follows the units, floored to the cent, the last share taking the remainder.
    items = [
        {"product_id": 60, "quantity": 2, "total": "10.00", "name": "Mug, red"},
        {"product_id": 60, "quantity": 3, "total": "15.00", "name": "Mug, blue"},
    ]
    order = woo.order(1200, items=items)
    rows = lines_after_refund(
        tmp_path, order, refund(1201, 1200, "10.00", [(line(order, 901), 3, "10.00")])
    )

    first, second = rows[(1200, 900)], rows[(1200, 901)]
    assert (first["refunded_quantity"], first["refunded"]) == (2, Decimal("6.66"))
    assert (second["refunded_quantity"], second["refunded"]) == (1, Decimal("3.34"))
    assert first["net_revenue"] + second["net_revenue"] == Decimal("15.00")


def test_lines_without_a_refund_of_their_product_give_nothing_back_whatever_their_units(
    tmp_path,
):
    # A plugin's adjustment line of -1 unit beside a line of the same product: no refund
    # returned that product, so neither line has refunded units or amount.
    items = [
        {"product_id": 60, "quantity": -1, "total": "-5.00", "name": "Mug, adjustment"},
        {"product_id": 60, "quantity": 2, "total": "10.00", "name": "Mug"},
        {"product_id": 93, "quantity": 1, "total": "3.00", "name": "Tea"},
    ]
    order = woo.order(1300, items=items)
    rows = lines_after_refund(
        tmp_path, order, refund(1301, 1300, "3.00", [(line(order, 902), 1, "3.00")])
    )

    for line_id in (900, 901):
        row = rows[(1300, line_id)]
        assert (row["refunded_quantity"], row["refunded"]) == (0, Decimal("0.00")), line_id
        assert row["net_quantity"] == row["quantity"] and row["net_revenue"] == row["revenue"]
    tea = rows[(1300, 902)]
    assert (tea["refunded_quantity"], tea["refunded"], tea["net_quantity"]) == (
        1,
        Decimal("3.00"),
        0,
    )
