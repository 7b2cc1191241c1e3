"""Import checkpoints and reconciliation runs, in the metadata database beside the shops.

An import saves, per resource, the next page to fetch after each page is durably published,
so an interrupted ``wcpulse import`` continues where it stopped. Every import and sync run
is recorded with what it found and repaired, so repairs are counted and visible.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Engine, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from store.metadata_models import Base, UTCDateTime


class ImportCheckpointRow(Base):
    __tablename__ = "import_checkpoints"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    resource: Mapped[str] = mapped_column(String(40), primary_key=True)
    next_page: Mapped[int] = mapped_column(Integer)
    items: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    since: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SyncRunRow(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # import | sync
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_from: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


@dataclass(frozen=True)
class Checkpoint:
    resource: str
    next_page: int
    items: int
    started_at: datetime
    since: datetime | None
    completed: bool


@dataclass(frozen=True)
class SyncRun:
    kind: str
    started_at: datetime
    finished_at: datetime
    window_from: datetime | None
    ok: bool
    error: str | None
    counts: dict[str, Any]


class SyncState:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def checkpoints(self, shop_id: str) -> dict[str, Checkpoint]:
        with self._sessions() as session:
            rows = session.scalars(
                select(ImportCheckpointRow).where(ImportCheckpointRow.shop_id == shop_id)
            )
            return {r.resource: _checkpoint(r) for r in rows}

    def save_checkpoint(self, shop_id: str, checkpoint: Checkpoint, now: datetime) -> None:
        with self._sessions.begin() as session:
            row = session.get(ImportCheckpointRow, (shop_id, checkpoint.resource))
            if row is None:
                row = ImportCheckpointRow(shop_id=shop_id, resource=checkpoint.resource)
                session.add(row)
            row.next_page, row.items = checkpoint.next_page, checkpoint.items
            row.started_at, row.since = checkpoint.started_at, checkpoint.since
            row.completed_at = now if checkpoint.completed else None

    def clear_checkpoints(self, shop_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                delete(ImportCheckpointRow).where(ImportCheckpointRow.shop_id == shop_id)
            )

    def record_run(self, shop_id: str, run: SyncRun) -> None:
        with self._sessions.begin() as session:
            session.add(SyncRunRow(shop_id=shop_id, **_run_fields(run)))

    def runs(self, shop_id: str, kind: str | None = None, limit: int = 20) -> list[SyncRun]:
        """The newest runs first."""
        query = select(SyncRunRow).where(SyncRunRow.shop_id == shop_id)
        if kind is not None:
            query = query.where(SyncRunRow.kind == kind)
        query = query.order_by(SyncRunRow.started_at.desc(), SyncRunRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_run(r) for r in session.scalars(query)]

    def last_good_run(self, shop_id: str) -> SyncRun | None:
        """The newest successful import or sync: where the next sync window starts."""
        return next((r for r in self.runs(shop_id, limit=50) if r.ok), None)

    def delete_shop(self, shop_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(SyncRunRow).where(SyncRunRow.shop_id == shop_id))
            session.execute(
                delete(ImportCheckpointRow).where(ImportCheckpointRow.shop_id == shop_id)
            )


def _checkpoint(row: ImportCheckpointRow) -> Checkpoint:
    return Checkpoint(
        resource=row.resource,
        next_page=row.next_page,
        items=row.items,
        started_at=row.started_at,
        since=row.since,
        completed=row.completed_at is not None,
    )


def _run_fields(source: object) -> dict[str, Any]:
    """The SyncRun fields of a SyncRun or a SyncRunRow (the row adds only its id and shop)."""
    return {f.name: getattr(source, f.name) for f in fields(SyncRun)}


def _run(row: SyncRunRow) -> SyncRun:
    run = SyncRun(**_run_fields(row))
    return replace(run, counts=dict(run.counts or {}))
