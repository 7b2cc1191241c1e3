"""Where everything lives under WCPULSE_DATA_DIR (one folder per shop)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ShopPaths:
    root: Path

    @property
    def state_db(self) -> Path:
        """DuckDB working state; opened only by the shop's one processor."""
        return self.root / "state.duckdb"

    @property
    def raw_dir(self) -> Path:
        """Append-only raw event log: one Parquet file per applied batch."""
        return self.root / "raw"

    @property
    def rejected_dir(self) -> Path:
        """Envelopes the processor refused, with the reason (``store.rawlog.RejectedLog``)."""
        return self.root / "rejected"

    @property
    def views_dir(self) -> Path:
        """Published read views (``store.viewstore``) read by the API."""
        return self.root / "views"


def shop_paths(data_dir: Path, shop_id: str) -> ShopPaths:
    if not shop_id or "/" in shop_id or shop_id.startswith("."):
        raise ValueError(f"invalid shop id {shop_id!r}")
    return ShopPaths(Path(data_dir) / "shops" / shop_id)


def embedded_broker_path(data_dir: Path) -> Path:
    return Path(data_dir) / "broker.sqlite3"


def broker_journal_dir(data_dir: Path) -> Path:
    """The webhook journals in front of the embedded broker (``ingest/messaging/journal.py``)."""
    return Path(data_dir) / "broker-journal"


def spool_path(data_dir: Path) -> Path:
    return Path(data_dir) / "spool.sqlite3"


def spool_journal_dir(data_dir: Path) -> Path:
    """The journals in front of the spool, with RabbitMQ (``ingest/messaging/publisher.py``)."""
    return Path(data_dir) / "spool-journal"


def secret_key_path(data_dir: Path) -> Path:
    return Path(data_dir) / "secret.key"
