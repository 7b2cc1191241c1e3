"""The raw log reads back in append order, even when batches share a timestamp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from schemas.envelope import Envelope
from store.rawlog import ParquetRawLog

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


def _envelope(n: int) -> Envelope:
    return Envelope("shp", "order.created", "order", "created", n, "{}", NOW)


def test_batches_written_at_the_same_instant_or_after_the_clock_stepped_back_stay_in_order(
    tmp_path,
):
    log = ParquetRawLog(tmp_path)
    times = [NOW, NOW, NOW - timedelta(seconds=5), NOW, NOW + timedelta(seconds=1), NOW]
    for n, when in enumerate(times):
        log.append([_envelope(n)], when)
    reopened = ParquetRawLog(tmp_path)  # a new process continues the sequence from the files
    reopened.append([_envelope(len(times))], NOW)
    read = [e.resource_id for batch in reopened.read_batches() for e in batch]
    assert read == list(range(len(times) + 1))
