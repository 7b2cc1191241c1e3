"""A shop's raw event log filled with order events, as the consumer would have written it."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from bench.orders import envelope_of, order_stream
from store.layout import shop_paths
from store.rawlog import ParquetRawLog

FILE_ROWS = 500  # one file per consumer batch at the default WCPULSE_BATCH_SIZE


def write_raw_log(data_dir: Path, shop_id: str, count: int) -> int:
    """``count`` order events in files of FILE_ROWS rows; returns the number of files."""
    rawlog = ParquetRawLog(shop_paths(data_dir, shop_id).raw_dir)
    stream = order_stream(count)
    received = datetime.now(UTC)
    files = 0
    while chunk := list(islice(stream, FILE_ROWS)):
        rawlog.append([envelope_of(d, shop_id, received) for d in chunk], datetime.now(UTC))
        files += 1
    return files
