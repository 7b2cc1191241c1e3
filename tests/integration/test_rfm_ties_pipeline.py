"""RFM ties through the real pipeline: in a shop where most buyers ordered once, the tied
one-order buyers score F = 1 (SPEC §4: a tie group takes its lowest position's score).

WooCommerce-shaped guest orders -> envelopes -> ShopPipeline (raw log, DuckDB state) ->
``job.rfm`` -> published ``customers.parquet``, read back with pyarrow.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from processors.pipeline import ShopPipeline
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.jsoncodec import dumps_text
from schemas.shop import ShopConfig
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.views_builder import guest_key

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
AS_OF = date(2024, 6, 1)
SHOP = ShopConfig(shop_id="shp_ties", name="Ties", url="https://shop.example")

# Seven of ten buyers ordered once. Scored by hand from the rule (n = 10, worse = buyers with
# a strictly worse value, score = 1 + floor(5 * worse / 10)):
# name: days since last order, orders, total each -> R, F, M, segment
SHOP_BUYERS = {
    "a": (1, 1, "10.00", 5, 1, 1, "Recent Customers"),
    "b": (5, 4, "75.00", 5, 5, 5, "Champions"),
    "c": (400, 1, "10.00", 1, 1, 1, "Lost"),
    "d": (10, 1, "10.00", 4, 1, 1, "Promising"),
    "e": (20, 1, "20.00", 4, 1, 2, "Potential Loyalist"),
    "f": (30, 1, "30.00", 3, 1, 3, "About to Sleep"),
    "g": (60, 1, "25.00", 3, 1, 3, "About to Sleep"),
    "h": (90, 1, "40.00", 2, 1, 4, "At Risk"),
    "i": (120, 2, "40.00", 2, 4, 4, "At Risk"),
    "j": (200, 3, "50.00", 1, 5, 5, "Can't Lose Them"),
}


def _email(name: str) -> str:
    return f"{name}@example.com"


def _order_envelope(order_id: int, email: str, total: str, day: date) -> Envelope:
    created = f"{day.isoformat()}T10:00:00"
    body = woo.order(order_id, status="completed", email=email, total=total, created=created)
    return Envelope(
        SHOP.shop_id, "order.created", "order", "created", order_id, dumps_text(body), NOW
    )


def _shop_envelopes() -> list[Envelope]:
    envelopes = []
    for index, (name, (days, orders, total, *_)) in enumerate(SHOP_BUYERS.items()):
        last = AS_OF - timedelta(days=days)
        for n in range(orders):  # the earlier orders 30 days apart before the last one
            day = last - timedelta(days=30 * (orders - 1 - n))
            envelopes.append(_order_envelope(100 * (index + 1) + n, _email(name), total, day))
    return envelopes


@pytest.fixture(scope="module")
def customers(tmp_path_factory) -> dict[str, dict]:
    pipeline = ShopPipeline(tmp_path_factory.mktemp("ties"), SHOP)
    try:
        _, failures = pipeline.apply(_shop_envelopes(), NOW)
        assert failures == {}, failures
        _, failures = pipeline.apply([rescore_envelope(SHOP.shop_id, AS_OF, NOW)], NOW)
        assert failures == {}, failures
        pipeline.publish(NOW)
        rows = read_view(pipeline.paths.views_dir, "customers").to_pylist()
    finally:
        pipeline.close()
    return {row["customer_key"]: row for row in rows}


def test_every_buyer_gets_the_hand_computed_scores_and_segment(customers):
    got = {
        name: (row["recency_days"], row["orders"], row["r"], row["f"], row["m"], row["segment"])
        for name in SHOP_BUYERS
        for row in [customers[guest_key(_email(name))]]
    }
    assert got == {
        name: (days, orders, r, f, m, segment)
        for name, (days, orders, _, r, f, m, segment) in SHOP_BUYERS.items()
    }
    assert len(customers) == len(SHOP_BUYERS)


def test_every_one_order_buyer_has_f_one_and_none_is_a_champion_or_loyal(customers):
    one_order = [row for row in customers.values() if row["orders"] == 1]
    assert len(one_order) == 7
    assert {row["f"] for row in one_order} == {1}
    assert not {"Champions", "Loyal Customers"} & {row["segment"] for row in one_order}


def test_lost_recent_customers_and_promising_are_reached_and_111_is_lost(customers):
    segments = {row["segment"] for row in customers.values()}
    assert {"Lost", "Recent Customers", "Promising"} <= segments
    lost = customers[guest_key(_email("c"))]
    assert (lost["rfm_score"], lost["segment"]) == ("111", "Lost")
