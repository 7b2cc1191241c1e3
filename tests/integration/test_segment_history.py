"""Scores move with each order, rescorings record who changed segment, consents come from meta.

Real pipeline: WooCommerce-shaped bodies -> envelopes -> raw log -> DuckDB -> Parquet views.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.jsoncodec import dumps_text
from schemas.shop import ShopConfig
from tests import woo_payloads as woo
from tests.views_builder import guest_key, view_rows

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
SHOP = ShopConfig(shop_id="shp_hist", name="History", url="https://shop.example")
# five guests: e-mail -> (orders, total each); spend and frequency rise with the index
BUYERS = {f"buyer{n}@example.com": (n + 1, f"{10 * (n + 1)}.00") for n in range(5)}


def _envelope(topic: str, body: dict) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, body["id"], dumps_text(body), NOW)


def _orders(email: str, count: int, total: str, first_id: int, day: str) -> list[Envelope]:
    return [
        _envelope("order.created", woo.order(first_id + n, email=email, total=total, created=day))
        for n in range(count)
    ]


def _customers(pipeline: ShopPipeline) -> dict[str, dict]:
    pipeline.publish(NOW)
    rows = view_rows(pipeline.paths.views_dir, "customers")
    return {row["customer_key"]: row for row in rows}


def _history(pipeline: ShopPipeline) -> list[dict]:
    pipeline.publish(NOW)
    return view_rows(pipeline.paths.views_dir, "segment_history")


@pytest.fixture
def pipeline(tmp_path):
    pipe = ShopPipeline(tmp_path, SHOP)
    envelopes = []
    for n, (email, (count, total)) in enumerate(BUYERS.items()):
        envelopes += _orders(email, count, total, 100 * (n + 1), f"2024-01-0{n + 1}T10:00:00")
    pipe.apply(envelopes, NOW)
    yield pipe
    pipe.close()


def test_an_order_moves_its_customers_scores_at_the_next_publish_without_a_rescoring(pipeline):
    quiet = guest_key("buyer0@example.com")
    before = _customers(pipeline)[quiet]
    assert (before["f"], before["m"]) == (1, 1)
    pipeline.apply(_orders("buyer0@example.com", 6, "90.00", 900, "2024-01-09T10:00:00"), NOW)
    after = _customers(pipeline)[quiet]
    assert (after["orders"], after["f"], after["m"], after["r"]) == (7, 5, 5, 5)
    assert after["segment"] == "Champions" != before["segment"]
    assert after["recency_days"] == 0  # no rescoring yet: scored as of the last sale day


def test_a_rescoring_records_first_segments_then_only_the_customers_who_moved(pipeline):
    pipeline.apply([rescore_envelope(SHOP.shop_id, date(2024, 2, 1), NOW)], NOW)
    first = _history(pipeline)
    assert {h["customer_key"] for h in first} == {guest_key(email) for email in BUYERS}
    assert all(h["previous_segment"] is None for h in first)
    mover = guest_key("buyer0@example.com")
    was = next(h["segment"] for h in first if h["customer_key"] == mover)
    pipeline.apply(_orders("buyer0@example.com", 6, "90.00", 900, "2024-02-10T10:00:00"), NOW)
    pipeline.apply([rescore_envelope(SHOP.shop_id, date(2024, 3, 1), NOW)], NOW)
    moved = [h for h in _history(pipeline) if h["changed_on"] == date(2024, 3, 1)]
    mine = next(h for h in moved if h["customer_key"] == mover)
    assert (mine["previous_segment"], mine["segment"]) == (was, "Champions")
    assert all(h["previous_segment"] != h["segment"] for h in moved)
    assert _customers(pipeline)[mover]["recency_days"] == 20


def test_a_second_rescoring_on_the_same_day_replaces_that_days_rows(pipeline):
    day = date(2024, 2, 1)
    pipeline.apply([rescore_envelope(SHOP.shop_id, day, NOW)], NOW)
    pipeline.apply([rescore_envelope(SHOP.shop_id, day, NOW)], NOW)
    history = _history(pipeline)
    assert len(history) == len(BUYERS)
    assert all(h["changed_on"] == day for h in history)


def test_a_job_in_the_middle_of_a_batch_sees_only_what_came_before_it(pipeline):
    mover = guest_key("buyer0@example.com")
    later = _orders("buyer0@example.com", 6, "90.00", 900, "2024-01-20T10:00:00")
    pipeline.apply([rescore_envelope(SHOP.shop_id, date(2024, 2, 1), NOW), *later], NOW)
    recorded = {h["customer_key"]: h["segment"] for h in _history(pipeline)}
    assert recorded[mover] != "Champions"
    assert _customers(pipeline)[mover]["segment"] == "Champions"


def test_replay_rebuilds_the_same_history_and_customers_view(pipeline, tmp_path):
    pipeline.apply([rescore_envelope(SHOP.shop_id, date(2024, 2, 1), NOW)], NOW)
    pipeline.apply(_orders("buyer0@example.com", 6, "90.00", 900, "2024-02-10T10:00:00"), NOW)
    pipeline.apply([rescore_envelope(SHOP.shop_id, date(2024, 3, 1), NOW)], NOW)
    pipeline.publish(NOW)
    views = pipeline.paths.views_dir
    before = {n: view_rows(views, n) for n in ("customers", "segment_history")}
    pipeline.close()
    replay_shop(tmp_path, SHOP, FixedClock(NOW))
    after = {n: view_rows(views, n) for n in before}
    assert after == before
    pipeline.__init__(tmp_path, SHOP)  # the fixture closes it again


def test_consents_come_from_the_configured_meta_keys_of_the_customer_or_newest_order(tmp_path):
    registered = woo.customer(7, email="reg@example.com")
    registered["meta_data"] = [{"id": 1, "key": "marketing_consent_email", "value": "yes"}]
    guest_order = woo.order(50, email="guest@example.com")
    guest_order["meta_data"] = [
        {"id": 2, "key": "kl_sms_consent", "value": "0"},
        {"id": 3, "key": "_unrelated_plugin_field", "value": "x" * 500},
    ]
    pipe = ShopPipeline(tmp_path, SHOP)
    try:
        pipe.apply(
            [_envelope("customer.created", registered), _envelope("order.created", guest_order)],
            NOW,
        )
        customers = _customers(pipe)
    finally:
        pipe.close()
    reg, guest = customers["7"], customers[guest_key("guest@example.com")]
    assert (reg["email_consent"], reg["sms_consent"]) == (True, None)
    assert (guest["email_consent"], guest["sms_consent"]) == (None, False)
