"""Duplicates, reordering and batch boundaries do not change state, views or KPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.handlers import handle_envelope
from processors.projections.views import build_views
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from store.state import DuckDBStateStore
from tests.conftest import FIXTURES, load_fixture

SHOP = ShopConfig("shp_prop", "Prop", "https://prop.example", timezone="Europe/Warsaw")
T0 = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
LIFECYCLES = [
    ["pending", "processing", "completed"],
    ["processing", "completed", "refunded"],
    ["pending", "cancelled"],
    ["on-hold", "processing"],
    ["processing"],
]


def order_body(order_id: int, status: str, step: int, customer: int, refund: bool) -> str:
    body = load_fixture("order.json")
    created = T0 + timedelta(days=order_id)
    body.update(
        id=order_id,
        number=str(order_id),
        status=status,
        customer_id=customer if customer % 3 else 0,
        total=f"{10 + order_id}.50",
        date_created_gmt=created.strftime("%Y-%m-%dT%H:%M:%S"),
        date_modified_gmt=(created + timedelta(hours=step)).strftime("%Y-%m-%dT%H:%M:%S"),
        refunds=[{"id": 9000 + order_id, "reason": "", "total": "-5.00"}] if refund else [],
    )
    body["billing"]["email"] = f"person{customer}@example.com"
    return json.dumps(body)


def envelope(topic: str, body: str, received: datetime) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, None, body, received)


def page(envelopes: list[Envelope], received: datetime) -> Envelope:
    """The importer's envelope for a REST page holding the bodies of ``envelopes``."""
    body = json.dumps([json.loads(e.body) for e in envelopes], separators=(",", ":"))
    return Envelope(
        SHOP.shop_id, "order.imported", "order", "imported", None, body, received, "import"
    )


def split(items: list, cuts: list[int]) -> list[list]:
    bounds = sorted(set(cuts))
    parts = [items[a:b] for a, b in zip([0, *bounds], [*bounds, len(items)], strict=True)]
    return [part for part in parts if part]


@st.composite
def order_histories(draw) -> list[Envelope]:
    count = draw(st.integers(min_value=1, max_value=8))
    stream: list[Envelope] = []
    for order_id in range(1, count + 1):
        statuses = draw(st.sampled_from(LIFECYCLES))
        customer = draw(st.integers(min_value=1, max_value=4))
        for step, status in enumerate(statuses):
            body = order_body(order_id, status, step, customer, status == "refunded")
            at = T0 + timedelta(days=400, minutes=len(stream))
            stream.append(envelope("order.updated", body, at))
        if draw(st.booleans()) and draw(st.booleans()):
            at = T0 + timedelta(days=500, minutes=order_id)
            stream.append(envelope("order.deleted", json.dumps({"id": order_id}), at))
    return stream


def apply_all(batches: list[list[Envelope]]) -> dict:
    store = DuckDBStateStore(":memory:")
    for batch in batches:
        store.apply([event for e in batch for event in handle_envelope(e)])
    views = build_views(store.connection, SHOP)
    store.close()
    return {name: table.to_pylist() for name, table in views.items()}


def kpis(views: dict) -> tuple[Decimal, int, int]:
    sales = [o for o in views["orders"] if o["is_sale"]]
    customers = {o["customer_key"] for o in sales}
    return sum((o["net"] for o in sales), Decimal(0)), len(sales), len(customers)


@settings(max_examples=40, deadline=None)
@given(
    stream=order_histories(),
    data=st.data(),
)
def test_shuffled_duplicated_rebatched_streams_give_the_same_views_and_kpis(stream, data):
    expected = apply_all([stream])
    duplicated = stream + data.draw(st.lists(st.sampled_from(stream), max_size=len(stream) * 2))
    shuffled = data.draw(st.permutations(duplicated))
    cuts = data.draw(st.lists(st.integers(0, len(shuffled)), max_size=4))
    actual = apply_all(split(shuffled, cuts))
    assert actual == expected
    assert kpis(actual) == kpis(expected)


def test_an_older_version_after_a_newer_one_changes_nothing():
    newer = envelope("order.updated", order_body(1, "completed", 2, 1, False), T0)
    older = envelope("order.updated", order_body(1, "pending", 0, 1, False), T0)
    result = apply_all([[newer], [older]])
    assert [o["status"] for o in result["orders"]] == ["completed"]
    assert kpis(result) == (Decimal("11.50"), 1, 1)


def test_the_same_event_twice_is_applied_once():
    event = envelope("order.updated", order_body(2, "processing", 0, 2, False), T0)
    store = DuckDBStateStore(":memory:")
    first = store.apply(handle_envelope(event))
    second = store.apply(handle_envelope(event))
    assert (first.applied, second.applied, second.skipped) == (1, 0, 1)


def test_a_trashed_order_stays_trashed_when_an_older_update_arrives_late():
    update = envelope("order.updated", order_body(3, "processing", 0, 1, False), T0)
    trash = envelope("order.deleted", '{"id": 3}', T0 + timedelta(days=30))
    result = apply_all([[trash], [update]])
    assert [(o["status"], o["is_sale"], str(o["total"])) for o in result["orders"]] == [
        ("trash", False, "13.50")
    ]


@settings(max_examples=40, deadline=None)
@given(stream=order_histories(), data=st.data())
def test_orders_imported_in_pages_and_sent_as_webhooks_in_any_mix_give_the_same_views(stream, data):
    expected = apply_all([stream])
    updates = [e for e in stream if e.event == "updated"]
    paged = data.draw(st.permutations(updates))
    page_cuts = data.draw(st.lists(st.integers(0, len(paged)), max_size=len(paged)))
    at = T0 + timedelta(days=600)
    pages = [page(chunk, at) for chunk in split(paged, page_cuts)]
    webhooks = data.draw(st.lists(st.sampled_from(stream), max_size=len(stream) * 2))
    deletes = [e for e in stream if e.event == "deleted"]
    mixed = data.draw(st.permutations(pages + pages[:1] + webhooks + deletes))
    cuts = data.draw(st.lists(st.integers(0, len(mixed)), max_size=4))
    actual = apply_all(split(mixed, cuts))
    assert actual == expected
    assert kpis(actual) == kpis(expected)


def refund_page(received: datetime) -> Envelope:
    body = (FIXTURES / "order_refunds.json").read_text()
    return Envelope(SHOP.shop_id, "refund.imported", "refund", "imported", None, body, received)


def test_refund_resources_add_detail_without_changing_net_revenue():
    order = envelope("order.updated", (FIXTURES / "order_refunded.json").read_text(), T0)
    alone = apply_all([[order]])
    with_refunds = apply_all([[order, refund_page(T0)], [refund_page(T0)]])
    assert with_refunds["orders"] == alone["orders"]
    assert [(o["total"], o["refunds"], o["net"]) for o in alone["orders"]] == [
        (Decimal("39.00"), Decimal("19.00"), Decimal("20.00"))
    ]
    refunds = [v for v in with_refunds["versions"] if v["resource"] == "refund"]
    assert [(v["resource_id"], v["trashed"]) for v in refunds] == [(724, False), (726, False)]


def test_refund_items_are_replaced_not_duplicated_and_a_deleted_refund_is_trashed():
    store = DuckDBStateStore(":memory:")
    store.apply(handle_envelope(refund_page(T0)))
    store.apply(handle_envelope(refund_page(T0 + timedelta(minutes=1))))
    store.apply(handle_envelope(envelope("refund.deleted", '{"id": 726}', T0)))
    items = store.connection.sql("SELECT refund_id, product_id, quantity, total FROM refund_items")
    assert items.fetchall() == [(724, 87, 1, Decimal("9.00"))]
    views = build_views(store.connection, SHOP)
    store.close()
    assert [(v["resource_id"], v["trashed"]) for v in views["versions"].to_pylist()] == [
        (724, False),
        (726, True),
    ]
