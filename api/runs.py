"""A shop's recorded import, sync and webhook-check runs as the read API shows them.

The runs live in the metadata database (``store/sync_state.py``), not in the published
views, so the API reaches them through a port (a ``ShopRegistry`` in production) and the
ETag of the route is a hash of the rows it answers with, read once per request.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from api.auth import ShopTokens
from api.params import FORMAT, ParamSpec
from schemas.shop import ShopConfig
from store.sync_state import SyncRun

RUN_KINDS = ("import", "sync", "webhooks")
MAX_RUNS = 200
DEFAULT_RUNS = 20
SYNC_COLUMNS = (
    "kind",
    "started_at",
    "finished_at",
    "ok",
    "error",
    "window_from",
    "repaired",
    "hard_deleted",
    "not_active_webhooks",
    "details",
)

KIND = ParamSpec("kind", "enum", "Only runs of this kind.", RUN_KINDS)
LIMIT = ParamSpec(
    "limit",
    "integer",
    "How many of the newest runs.",
    default=DEFAULT_RUNS,
    minimum=1,
    maximum=MAX_RUNS,
)
SYNC_PARAMS = (KIND, LIMIT, FORMAT)


class SyncRunLog(Protocol):
    """The recorded runs of every shop, newest first."""

    def runs(self, shop_id: str, kind: str | None = None, limit: int = 20) -> list[SyncRun]: ...


class ShopMetadata(ShopTokens, Protocol):
    """Port to the metadata store: API tokens and each shop's recorded runs."""

    @property
    def sync_state(self) -> SyncRunLog: ...

    def get(self, shop_id: str) -> ShopConfig | None: ...


class ShopRuns:
    """One shop's runs for one request: each query runs once, so the ETag and the body
    are made from the same rows. Nothing is read until a route asks."""

    def __init__(self, shops: ShopMetadata, shop_id: str) -> None:
        self._shops = shops
        self.shop_id = shop_id
        self._read: dict[tuple[str | None, int], list[tuple[Any, ...]]] = {}

    def rows(self, kind: str | None, limit: int) -> list[tuple[Any, ...]]:
        """The newest ``limit`` runs (of ``kind`` when given) as ``SYNC_COLUMNS`` rows."""
        key = (kind, limit)
        if key not in self._read:
            runs = self._shops.sync_state.runs(self.shop_id, kind=kind, limit=limit)
            self._read[key] = [run_row(run) for run in runs]
        return self._read[key]

    def stamp(self, kind: str | None, limit: int) -> str:
        """A hash of the rows: it changes when a run is recorded (or one is removed)."""
        text = json.dumps(self.rows(kind, limit), default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _integer(value: Any) -> int | None:
    return None if value is None else int(value)


def _hard_deleted(counts: Mapping[str, Any]) -> int | None:
    deleted = counts.get("hard_deleted")
    if deleted is None:
        return None
    values = deleted.values() if isinstance(deleted, Mapping) else [deleted]
    return sum(int(value or 0) for value in values)


def _not_active(kind: str, counts: Mapping[str, Any]) -> str | None:
    """Topics WooCommerce does not deliver (``""``: all active), for webhook checks only."""
    if kind != "webhooks":
        return None
    topics: Iterable[Any] = counts.get("not_active") or ()
    return ",".join(sorted(str(topic) for topic in topics))


def run_row(run: SyncRun) -> tuple[Any, ...]:
    """One run as a row of ``SYNC_COLUMNS``."""
    counts = run.counts
    repaired = _integer(counts.get("total_repaired")) if run.kind == "sync" else None
    details = json.dumps(counts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return (
        run.kind,
        run.started_at,
        run.finished_at,
        run.ok,
        run.error,
        run.window_from,
        repaired,
        _hard_deleted(counts),
        _not_active(run.kind, counts),
        details,
    )
