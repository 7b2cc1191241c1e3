"""The port a shop's writer offers to what runs inside it (jobs, erasure, rebuild, replay).

``processors.pipeline.ShopPipeline`` is the one implementation: it owns the shop's state
(DuckDB), raw and rejected logs and published views while its writer lock is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from processors.anonymise import Scrubber
from processors.decoded import Decoded
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from store.layout import ShopPaths
from store.rawlog import ParquetRawLog, RejectedLog
from store.state import ApplyResult, DuckDBStateStore


class ShopUnit(Protocol):
    shop: ShopConfig
    paths: ShopPaths
    state: DuckDBStateStore
    state_path: Path
    rawlog: ParquetRawLog
    rejected: RejectedLog
    tombstones: Scrubber | None  # erased customers' scrubber, read lazily

    def apply(
        self, envelopes: Sequence[Envelope], now: datetime, log_raw: bool = True
    ) -> tuple[ApplyResult, dict[int, str]]: ...

    def decode(
        self, envelopes: Sequence[Envelope], log_raw: bool, failures: dict[int, str]
    ) -> list[Decoded]: ...

    def apply_decoded(
        self,
        envelopes: Sequence[Envelope],
        decoded: list[Decoded],
        failures: dict[int, str],
        now: datetime,
        log_raw: bool = True,
    ) -> tuple[ApplyResult, dict[int, str]]: ...

    def publish(self, now: datetime, purge: bool = False, alerts: bool = False) -> str: ...
