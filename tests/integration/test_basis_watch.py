"""The scheduler asks a shop without a scoring basis for a rescoring at once (real SQLite
metadata, embedded queue and published views in tmp_path)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest

from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope
from schemas.settings import load_settings
from schemas.views import VIEWS
from store.layout import embedded_broker_path, shop_paths
from store.viewstore import write_views
from wcpulse.shop_registry import default_open_registry
from wcpulse.woo_commands import BASIS_RETRY, BasisWatch, queue_scheduled

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


def queued(queue: SQLiteQueue) -> list[Envelope]:
    found = queue.fetch(100, 0.0)
    queue.ack(found)
    return [Envelope.from_json(d.body) for d in found]


def publish_customers(views_dir, rows: int, basis: bool) -> None:
    schema = VIEWS["customers"]
    table = pa.table(
        {
            n: [f"{i + 1}" for i in range(rows)] if n == "customer_key" else [None] * rows
            for n in schema.names
        },
        schema=schema,
    )
    write_views(views_dir, {"customers": table}, NOW, {"scoring_basis": basis})


@pytest.fixture
def scheduling(tmp_path):
    """Settings, the SQLite registry and the embedded queue of a data dir in ``tmp_path``."""
    settings = load_settings({"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64})
    registry = default_open_registry(settings)
    queue = SQLiteQueue(embedded_broker_path(tmp_path), settings.partitions)
    yield settings, registry, queue
    queue.close()
    registry.close()


def test_a_shop_with_customers_and_no_basis_is_rescored_once_per_retry_period(tmp_path, scheduling):
    settings, registry, queue = scheduling
    shop = registry.add_shop(name="B", url="https://b.example", now=NOW).shop
    quiet = registry.add_shop(name="Q", url="https://q.example", now=NOW).shop
    views = shop_paths(tmp_path, shop.shop_id).views_dir
    watch = BasisWatch(settings, registry, queue)
    watch.run(NOW)
    assert queued(queue) == []  # nothing published yet: nothing to rescore
    publish_customers(views, 3, basis=False)
    publish_customers(shop_paths(tmp_path, quiet.shop_id).views_dir, 3, basis=True)
    watch.run(NOW)
    [job] = queued(queue)
    assert (job.shop_id, job.topic, job.source) == (shop.shop_id, "job.rfm", "job")
    assert json.loads(job.body) == {"as_of": "2024-03-01"}
    watch.run(NOW + timedelta(seconds=BASIS_RETRY - 1))
    assert queued(queue) == []
    watch.run(NOW + timedelta(seconds=BASIS_RETRY))
    assert len(queued(queue)) == 1


def test_the_scheduled_raw_log_purge_is_queued_only_for_shops_that_keep_a_window(scheduling):
    _, registry, queue = scheduling
    keeping = registry.add_shop(name="K", url="https://k.example", now=NOW).shop
    every = registry.add_shop(name="E", url="https://e.example", now=NOW).shop
    registry.set_retention(keeping.shop_id, 90, NOW)
    queue_scheduled(registry, queue, ["rfm", "retention"], NOW)
    jobs = sorted((job.shop_id, job.topic) for job in queued(queue))
    assert jobs == sorted(
        [
            (keeping.shop_id, "job.rfm"),
            (keeping.shop_id, "job.retention"),
            (every.shop_id, "job.rfm"),
        ]
    )
    registry.set_retention(keeping.shop_id, None, NOW)  # off again: no purge queued
    queue_scheduled(registry, queue, ["retention"], NOW)
    assert queued(queue) == []
