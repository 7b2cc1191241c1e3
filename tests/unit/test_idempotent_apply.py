"""Duplicates, reordering and batch boundaries do not change state, views or KPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from processors.handlers import handle_envelope
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from store.state import DuckDBStateStore
from store.views import build_views
from tests.conftest import load_fixture

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
        store.apply([handle_envelope(e) for e in batch])
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
    cuts = sorted(data.draw(st.sets(st.integers(0, len(shuffled)), max_size=4)))
    batches = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    actual = apply_all([b for b in batches if b])
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
    first = store.apply([handle_envelope(event)])
    second = store.apply([handle_envelope(event)])
    assert (first.applied, second.applied, second.skipped) == (1, 0, 1)


def test_a_trashed_order_stays_trashed_when_an_older_update_arrives_late():
    update = envelope("order.updated", order_body(3, "processing", 0, 1, False), T0)
    trash = envelope("order.deleted", '{"id": 3}', T0 + timedelta(days=30))
    result = apply_all([[trash], [update]])
    assert [(o["status"], o["is_sale"], str(o["total"])) for o in result["orders"]] == [
        ("trash", False, "13.50")
    ]
