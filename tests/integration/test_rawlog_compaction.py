"""Raw log compaction (store/rawlog_compact.py): the newest small files merge into one, the
log reads back exactly what was appended, in order, and a crash at any step of a merge
leaves, once recovered, the same envelopes, none twice and no stray file. Real Parquet
files on disk; the expected envelopes are the ones the test appended."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from schemas.envelope import Envelope
from store import rawlog_compact
from store.rawlog import ParquetRawLog

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _envelope(n: int) -> Envelope:
    body = f'{{"id": {n}, "note": "{"x" * (n % 7)}"}}'
    return Envelope("shp", "order.updated", "order", "updated", n, body, NOW)


def _append(log: ParquetRawLog, sizes: list[int], start: int = 0) -> list[int]:
    """Batches of ``sizes`` envelopes, numbered on from ``start``; returns their numbers."""
    numbers: list[int] = []
    for size in sizes:
        batch = [_envelope(start + len(numbers) + k) for k in range(size)]
        log.append(batch, NOW + timedelta(microseconds=start + len(numbers)))
        numbers += [e.resource_id for e in batch]
        log.compact(every=5)
    return numbers


def _read(log: ParquetRawLog) -> list[int]:
    return [e.resource_id for batch in log.read_batches(7) for e in batch]


def test_compaction_keeps_every_envelope_in_order_in_fewer_files(tmp_path, monkeypatch):
    monkeypatch.setattr(rawlog_compact, "SMALL_ROWS", 10)
    monkeypatch.setattr(rawlog_compact, "TARGET_ROWS", 40)
    log = ParquetRawLog(tmp_path)
    sizes = [random.Random(3).randint(1, 6) for _ in range(120)] + [30, 2, 2, 2, 2, 2]
    appended = _append(log, sizes)

    assert _read(log) == appended
    assert len(log.files()) < len(sizes) / 3
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / rawlog_compact.INTENT).exists()
    reopened = ParquetRawLog(tmp_path)  # a new writer appends after the merged files
    more = _append(reopened, [3, 3], start=len(appended))
    assert _read(reopened) == appended + more


class Crash(Exception):
    pass


@pytest.mark.parametrize("crash_at", [1, 2, 3, 4])
def test_a_merge_cut_short_at_any_step_recovers_to_the_same_envelopes(
    tmp_path, monkeypatch, crash_at
):
    log = ParquetRawLog(tmp_path)
    appended = _append(log, [2] * 4)  # below every=5: nothing merged yet
    files = log.files()
    syncs = {"n": 0}
    real_sync = rawlog_compact._sync_dir

    def crashing_sync(folder):
        syncs["n"] += 1
        if syncs["n"] == crash_at:  # 1: intent written, 2: renamed, 3: run removed, 4: done
            raise Crash
        real_sync(folder)

    monkeypatch.setattr(rawlog_compact, "_sync_dir", crashing_sync)
    with pytest.raises(Crash):
        rawlog_compact.merge(files, log.schema)
    monkeypatch.setattr(rawlog_compact, "_sync_dir", real_sync)

    reopened = ParquetRawLog(tmp_path)
    reopened.recover()
    assert _read(reopened) == appended
    assert not list(tmp_path.glob("*.tmp")) and not (tmp_path / rawlog_compact.INTENT).exists()


def test_a_merge_cut_short_before_its_intent_leaves_only_a_temporary_file_to_remove(
    tmp_path, monkeypatch
):
    log = ParquetRawLog(tmp_path)
    appended = _append(log, [3, 3, 3])

    def crashing_write(*args, **kwargs):
        raise Crash

    monkeypatch.setattr(rawlog_compact, "_write_synced", crashing_write)
    with pytest.raises(Crash):
        rawlog_compact.merge(log.files(), log.schema)
    assert list(tmp_path.glob("*" + rawlog_compact.TMP_SUFFIX))
    ParquetRawLog(tmp_path).recover()
    assert _read(ParquetRawLog(tmp_path)) == appended
    assert not list(tmp_path.glob("*.tmp"))


def test_a_live_log_compacted_as_it_grows_replays_to_the_same_views(tmp_path, monkeypatch):
    from ingest.messaging.spool import SQLiteQueue
    from processors.replay import replay_shop
    from schemas.clock import FixedClock
    from store.layout import shop_paths
    from tests.integration.test_processing import (
        NOW as STREAM_NOW,
    )
    from tests.integration.test_processing import (
        SHOP,
        fixture_stream,
        raised_alerts,
        run_until_empty,
        views,
    )

    monkeypatch.setattr(rawlog_compact, "MERGE_EVERY", 3)
    monkeypatch.setattr(rawlog_compact, "SMALL_ROWS", 10)
    monkeypatch.setattr(rawlog_compact, "TARGET_ROWS", 60)
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    stream = fixture_stream()
    queue.publish(stream[::-1] + stream)
    run_until_empty(queue, tmp_path)  # batches of 7: a file each, merged every third
    raw = ParquetRawLog(shop_paths(tmp_path, SHOP.shop_id).raw_dir)
    batches = -(-2 * len(stream) // 7)
    assert len(raw.files()) < batches / 2
    before = views(tmp_path)
    report = replay_shop(tmp_path, SHOP, FixedClock(STREAM_NOW + timedelta(days=1)))
    assert report.events == 2 * len(stream) + raised_alerts(tmp_path)
    assert views(tmp_path) == before


def test_a_failed_merge_is_not_the_batch_s_failure_and_the_next_one_finishes_it(
    tmp_path, monkeypatch
):
    from processors.pipeline import ShopPipeline
    from schemas.shop import ShopConfig
    from store.layout import shop_paths

    monkeypatch.setattr(rawlog_compact, "MERGE_EVERY", 2)
    shop = ShopConfig("shp_compact", "Shop", "https://shop.example")
    pipeline = ShopPipeline(tmp_path, shop)
    raw_dir = shop_paths(tmp_path, shop.shop_id).raw_dir
    syncs = {"n": 0}
    real_sync = rawlog_compact._sync_dir

    def crash_after_rename(folder):
        syncs["n"] += 1
        if syncs["n"] == 2:  # renamed, the rest of the run not removed yet
            raise OSError("disk went away")
        real_sync(folder)

    def order(n: int) -> Envelope:
        created = '"date_created_gmt": "2024-05-01T10:00:00"'
        body = f'{{"id": {n}, "status": "processing", "total": "10.00", {created}}}'
        return Envelope(shop.shop_id, "order.created", "order", "created", n, body, NOW)

    try:
        pipeline.apply([order(1)], NOW)
        monkeypatch.setattr(rawlog_compact, "_sync_dir", crash_after_rename)
        result, failures = pipeline.apply([order(2)], NOW)  # the merge of both files fails
        assert (result.applied, failures) == (1, {})
        monkeypatch.setattr(rawlog_compact, "_sync_dir", real_sync)
        assert (raw_dir / rawlog_compact.INTENT).exists()
        pipeline.apply([order(3)], NOW)
        pipeline.apply([order(4)], NOW)  # the next merge finishes the first one before its own
        logged = [e.resource_id for batch in pipeline.rawlog.read_batches() for e in batch]
        assert logged == [1, 2, 3, 4]
        assert not (raw_dir / rawlog_compact.INTENT).exists()
    finally:
        pipeline.close()


def test_a_replay_or_an_erasure_rewrite_finishes_a_merge_cut_short_first(tmp_path, monkeypatch):
    log = ParquetRawLog(tmp_path)
    appended = _append(log, [2] * 4)
    syncs = {"n": 0}
    real_sync = rawlog_compact._sync_dir

    def crash_after_rename(folder):
        syncs["n"] += 1
        if syncs["n"] == 2:
            raise Crash
        real_sync(folder)

    monkeypatch.setattr(rawlog_compact, "_sync_dir", crash_after_rename)
    with pytest.raises(Crash):
        rawlog_compact.merge(log.files(), log.schema)
    monkeypatch.setattr(rawlog_compact, "_sync_dir", real_sync)
    assert log.rewrite(lambda envelope: envelope) == 0  # nothing to scrub, merge finished
    assert _read(log) == appended
    assert not (tmp_path / rawlog_compact.INTENT).exists()
