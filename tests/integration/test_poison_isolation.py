"""One bad message fails alone: the real pipeline and consumer on the embedded queue, DuckDB
and Parquet in tmp_path. The rest of the batch commits, only applied envelopes reach the
replayable raw log, the refused one is kept apart with its reason, and a failure of the
storage itself holds the batch instead of blaming (and dead-lettering) its messages."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from ingest.demo.phpjson import php_json_encode
from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.rawlog import ParquetRawLog, RejectedLog
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.views_builder import read_views

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SHOP_A = ShopConfig("shp_poison_a", "A", "https://a.example")
SHOP_B = ShopConfig("shp_poison_b", "B", "https://b.example")
# A job that passes decoding and fails inside the shop's state (180 days before year 1).
POISON_DAY = date(1, 1, 1)
POISON_REASON = "job.backtest failed: OverflowError"


class Shops:
    def get(self, shop_id: str) -> ShopConfig | None:
        return {s.shop_id: s for s in (SHOP_A, SHOP_B)}.get(shop_id)


def order(shop: ShopConfig, order_id: int, **fields: object) -> Envelope:
    body = woo.order(order_id, email=f"buyer{order_id}@example.com", **fields)
    text = php_json_encode(body).decode()
    return Envelope(shop.shop_id, "order.created", "order", "created", order_id, text, NOW)


def poison(shop: ShopConfig) -> Envelope:
    return dated_job_envelope(shop.shop_id, "backtest", POISON_DAY, NOW)


def logged_ids(data_dir: Path, shop: ShopConfig) -> list[str]:
    """The envelopes logged, but the alerts the processor raised itself."""
    raw = ParquetRawLog(shop_paths(data_dir, shop.shop_id).raw_dir)
    return [
        e.envelope_id
        for batch in raw.read_batches()
        for e in batch
        if e.topic != "job.alerts_raised"
    ]


def order_ids(data_dir: Path, shop: ShopConfig) -> list[int]:
    table = read_view(shop_paths(data_dir, shop.shop_id).views_dir, "orders")
    return sorted(table["order_id"].to_pylist())


def test_a_failing_job_fails_alone_and_everything_else_in_its_batch_commits(tmp_path):
    good = [order(SHOP_A, i) for i in range(1, 11)]
    bad = poison(SHOP_A)
    pipeline = ShopPipeline(tmp_path, SHOP_A)
    try:
        result, failures = pipeline.apply([*good[:5], bad, *good[5:]], NOW)
        pipeline.publish(NOW)
    finally:
        pipeline.close()
    assert failures == {5: POISON_REASON}
    assert result.applied + result.skipped == 10  # some committed before the job failed
    assert order_ids(tmp_path, SHOP_A) == list(range(1, 11))
    assert logged_ids(tmp_path, SHOP_A) == [e.envelope_id for e in good]  # log order kept
    rejected = RejectedLog(shop_paths(tmp_path, SHOP_A.shop_id).rejected_dir).records()
    assert [(r["envelope_id"], r["reason"]) for r in rejected] == [(bad.envelope_id, POISON_REASON)]


def test_replay_after_a_refused_message_rebuilds_the_same_views(tmp_path):
    pipeline = ShopPipeline(tmp_path, SHOP_A)
    try:
        pipeline.apply([order(SHOP_A, 1), poison(SHOP_A), order(SHOP_A, 2)], NOW)
        pipeline.publish(NOW)
    finally:
        pipeline.close()
    views = shop_paths(tmp_path, SHOP_A.shop_id).views_dir
    before = read_views(views)
    report = replay_shop(tmp_path, SHOP_A, FixedClock(NOW + timedelta(hours=1)))
    assert report.unprocessable == 0  # the refused job never reached the replayable log
    after = read_views(views)
    assert after.keys() == before.keys()
    assert all(after[name].equals(before[name]) for name in before)


def _drain(consumer: Consumer, queue: SQLiteQueue) -> None:
    deadline = time.monotonic() + 30
    while not queue.is_empty():
        assert time.monotonic() < deadline, "the queue did not drain"
        consumer.run_once(0.05)
    consumer.publish_due(force=True)


def test_the_consumer_dead_letters_the_poison_alone_and_the_other_shop_commits(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    stream = [order(SHOP_B, 1), poison(SHOP_A), order(SHOP_A, 1), order(SHOP_B, 2)]
    queue.publish(stream)
    queue.publish_raw([(0, b'{"schema": "wcpulse.envelope.v1", "shop_id": 5}')])
    consumer = Consumer(queue, Shops(), tmp_path, FixedClock(NOW))
    try:
        _drain(consumer, queue)
        dead = queue.dead_letters()
    finally:
        consumer.close()
        queue.close()
    assert sorted(d["reason"] for d in dead) == sorted(
        [
            POISON_REASON,
            "malformed envelope: missing topic, resource, event, resource_id, body, received_at",
        ]
    )
    assert all(d["deliveries"] == 1 for d in dead)  # never handed out twice
    assert consumer.retries == 0
    assert order_ids(tmp_path, SHOP_A) == [1]
    assert order_ids(tmp_path, SHOP_B) == [1, 2]


def test_a_storage_failure_holds_the_batch_and_dead_letters_nothing(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1, max_deliveries=2)
    raw_dir = shop_paths(tmp_path, SHOP_A.shop_id).raw_dir
    raw_dir.parent.mkdir(parents=True)
    raw_dir.write_text("not a directory: every raw log append fails with an OSError")
    queue.publish([order(SHOP_A, i) for i in range(1, 6)])
    consumer = Consumer(queue, Shops(), tmp_path, FixedClock(NOW), retry_delays=(0.01,))
    stop = threading.Event()
    thread = threading.Thread(target=consumer.run, args=(stop, 0.05))
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while consumer.retries < 5:  # more tries than the queue's delivery limit
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
        raw_dir.unlink()  # the disk is back
        while not queue.is_empty():
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=30)
    dead = queue.dead_letters()
    queue.close()
    assert dead == []
    assert order_ids(tmp_path, SHOP_A) == [1, 2, 3, 4, 5]
    assert len(logged_ids(tmp_path, SHOP_A)) == 5
