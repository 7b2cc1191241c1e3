"""Data directories that already hold bad rows (written by earlier versions, which logged
every envelope before applying it) still replay and still erase; internal topics sent from
outside change nothing. Real pipeline, raw Parquet log, DuckDB and views in tmp_path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ingest.demo.phpjson import php_json_encode
from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import erase_envelope
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.rawlog import ParquetRawLog, RejectedLog
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.erasure_support import files_mentioning

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SHOP = ShopConfig("shp_hostile", "Hostile", "https://hostile.example")
ADA = "ada@example.com"


def webhook(topic: str, text: str, minute: int = 0) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(
        SHOP.shop_id, topic, resource, event, None, text, NOW + timedelta(minutes=minute)
    )


def good(order_id: int, email: str = "grace@example.com", **fields: object) -> Envelope:
    body = woo.order(order_id, email=email, **fields)
    return webhook("order.created", php_json_encode(body).decode(), minute=order_id % 50)


def nested(depth: int, inner: str) -> str:
    return "[" * depth + json.dumps(inner) + "]" * depth


def bad_rows() -> list[Envelope]:
    """What an earlier version logged and then could not apply (or should not have run)."""
    huge_total = woo.order(900, customer_id=25, email=ADA) | {"total": "1e20"}
    deep = woo.order(901, email=ADA)
    deep_text = php_json_encode(deep).decode()[:-1] + ',"x":' + nested(3000, ADA) + "}"
    return [
        webhook("order.created", php_json_encode(huge_total).decode(), minute=1),
        webhook("order.created", deep_text, minute=2),
        webhook("order.updated", '{"id": 902, "total": ', minute=3),  # not JSON
        webhook("order.created", '{"id": 903, "total": 1e999}', minute=4),
    ]


def write_old_log(tmp_path) -> list[Envelope]:
    stream = [
        webhook("customer.created", php_json_encode(woo.customer(25, email=ADA)).decode()),
        good(100, ADA, customer_id=25),
        *bad_rows(),
        good(101),
        good(102),
    ]
    ParquetRawLog(shop_paths(tmp_path, SHOP.shop_id).raw_dir).append(stream, NOW)
    return stream


def view(tmp_path, name: str) -> list[dict]:
    return read_view(shop_paths(tmp_path, SHOP.shop_id).views_dir, name).to_pylist()


def test_replay_skips_the_bad_rows_of_an_older_log_and_builds_the_views(tmp_path):
    write_old_log(tmp_path)
    report = replay_shop(tmp_path, SHOP, FixedClock(NOW))
    assert (report.events, report.unprocessable) == (8, 4)
    assert {o["order_id"] for o in view(tmp_path, "orders")} >= {100, 101, 102}
    assert 900 not in {o["order_id"] for o in view(tmp_path, "orders")}


def test_an_erasure_completes_on_a_log_with_bad_rows_and_scrubs_the_rejected_log_too(tmp_path):
    write_old_log(tmp_path)
    replay_shop(tmp_path, SHOP, FixedClock(NOW))
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:  # a refused delivery naming Ada is kept apart, in the rejected log
        _, failures = pipeline.apply([bad_rows()[0]], NOW)
        assert list(failures) == [0]
        rejected = shop_paths(tmp_path, SHOP.shop_id).rejected_dir
        assert files_mentioning(rejected, ADA) != []
        _, failures = pipeline.apply([erase_envelope(SHOP.shop_id, "25", NOW)], NOW)
    finally:
        pipeline.close()
    assert failures == {}
    assert "25" not in {c["customer_key"] for c in view(tmp_path, "customers")}
    assert files_mentioning(tmp_path, ADA) == []
    assert len(RejectedLog(rejected).records()) == 1  # kept, scrubbed


def test_a_webhook_with_a_job_topic_is_noted_and_never_run(tmp_path):
    erase_body = json.dumps({"customer_key": "25", "erasure_id": "abcdef0123456789"})
    as_of = json.dumps({"as_of": "2024-03-01"})
    outside = [
        webhook("job.erase", erase_body, minute=5),
        webhook("job.rfm", as_of, minute=6),
        webhook("job.clv", as_of, minute=7),
    ]
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        stream = [
            webhook("customer.created", php_json_encode(woo.customer(25, email=ADA)).decode()),
            good(100, ADA, customer_id=25),
        ]
        _, failures = pipeline.apply([*stream, *outside], NOW)
        pipeline.publish(NOW)
        noted = pipeline.state.connection.execute(
            "SELECT kind, topic, code FROM deliveries_noted ORDER BY topic"
        ).fetchall()
        metas = pipeline.state.get_metas(["rescored_at", "job_clv_at"])
    finally:
        pipeline.close()
    assert failures == {}
    assert "25" in {c["customer_key"] for c in view(tmp_path, "customers")}
    assert noted == [("unsupported", t, "job") for t in ("job.clv", "job.erase", "job.rfm")]
    assert metas == {"rescored_at": None, "job_clv_at": None}
