"""One shop's unit of work: envelopes -> raw log -> DuckDB state (one transaction) -> views."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

import structlog

from processors.anonymise import Scrubber
from processors.erasure import apply_erasure, scrub_incoming
from processors.errors import UnprocessableEvent
from processors.handlers import handle_envelope
from schemas.envelope import Envelope
from schemas.events import (
    ControlEvent,
    ErasureRequested,
    Event,
    PredictionsRequested,
    ScoresRequested,
)
from schemas.shop import ShopConfig
from store.erasure import write_applied
from store.layout import shop_paths
from store.lock import WriterLock
from store.prediction_jobs import run_prediction_job
from store.rawlog import ParquetRawLog
from store.state import ApplyResult, DuckDBStateStore
from store.views import build_view_set, rescore_customers, write_freshness, write_views

log = structlog.get_logger("wcpulse.processor")


def decode_events(envelopes: Sequence[Envelope]) -> tuple[list[Event], list[int], dict[int, str]]:
    """Events of the envelopes that can be handled (an imported page gives one per element),
    the indexes of those envelopes, and {index: reason} for the rest."""
    events: list[Event] = []
    ok: list[int] = []
    failures: dict[int, str] = {}
    for index, envelope in enumerate(envelopes):
        try:
            events.extend(handle_envelope(envelope))
            ok.append(index)
        except UnprocessableEvent as exc:
            failures[index] = str(exc)
    return events, ok, failures


def freshness_meta(
    previous: dict[str, str | None], envelopes: Sequence[Envelope], now: datetime
) -> dict[str, str]:
    newest = max(e.received_at for e in envelopes)
    if previous.get("newest_event_at"):
        newest = max(newest, datetime.fromisoformat(str(previous["newest_event_at"])))
    oldest = min(e.received_at for e in envelopes)
    return {
        "newest_event_at": newest.isoformat(),
        "last_applied_at": now.isoformat(),
        "lag_seconds": f"{max(0.0, (now - oldest).total_seconds()):.3f}",
        "events_applied": str(int(previous.get("events_applied") or 0) + len(envelopes)),
    }


def split_at_controls(
    events: Sequence[Event],
) -> Iterator[tuple[list[Event], ControlEvent | None]]:
    """The events in runs that end at a job (or at the end): a job sees the state of
    exactly what came before it in the stream, in a live batch and in replay alike."""
    chunk: list[Event] = []
    for event in events:
        if isinstance(event, ScoresRequested | ErasureRequested | PredictionsRequested):
            yield chunk, event
            chunk = []
        else:
            chunk.append(event)
    if chunk:
        yield chunk, None


class ShopPipeline:
    """Owns a shop's state while open (writer lock held)."""

    def __init__(self, data_dir: Path, shop: ShopConfig, state_path: Path | None = None) -> None:
        self.shop = shop
        self.paths = shop_paths(data_dir, shop.shop_id)
        self._lock = WriterLock(self.paths.root)
        self._lock.acquire()
        self.state_path = state_path or self.paths.state_db
        try:
            self.state = DuckDBStateStore(self.state_path)
        except BaseException:
            self._lock.release()
            raise
        self.rawlog = ParquetRawLog(self.paths.raw_dir)
        self.tombstones: Scrubber | None = None  # erased customers' scrubber, read lazily

    def close(self) -> None:
        self.state.close()
        self._lock.release()

    def apply(
        self, envelopes: Sequence[Envelope], now: datetime, log_raw: bool = True
    ) -> tuple[ApplyResult, dict[int, str]]:
        """Apply what can be handled; returns the result and {index: reason} for the rest.

        Live (``log_raw``), the tombstones of erased customers scrub the envelopes first:
        what is logged and applied never holds an erased customer (a dropped envelope
        counts as handled)."""
        handled, index = self._screen(envelopes, log_raw)
        events, ok, failed = decode_events(handled)
        failures = {index[i]: reason for i, reason in failed.items()}
        accepted = [handled[i] for i in ok]
        if not accepted:
            return ApplyResult(0, 0), failures
        if log_raw:
            self.rawlog.append(accepted, now)
        meta = freshness_meta(self._meta(), accepted, now)
        result = self._apply_runs(events, meta, log_raw, now)
        log.debug(
            "batch_applied",
            shop_id=self.shop.shop_id,
            applied=result.applied,
            skipped=result.skipped,
        )
        return result, failures

    def _screen(
        self, envelopes: Sequence[Envelope], live: bool
    ) -> tuple[list[Envelope], list[int]]:
        """The envelopes to handle and, for each, its index in ``envelopes``."""
        if not live:
            return list(envelopes), list(range(len(envelopes)))
        scrubbed = scrub_incoming(self, envelopes)
        index = [i for i, envelope in enumerate(scrubbed) if envelope is not None]
        return [e for e in scrubbed if e is not None], index

    def _apply_runs(
        self, events: Sequence[Event], meta: dict[str, str], live: bool, now: datetime
    ) -> ApplyResult:
        applied = skipped = 0
        rebuilt = False
        for chunk, control in split_at_controls(events):
            if rebuilt:  # a live erasure rebuilt the state from the log, this batch included
                if isinstance(control, ErasureRequested):
                    self._run_control(control, live, now)
                continue
            done = self.state.apply(chunk, meta)
            applied, skipped = applied + done.applied, skipped + done.skipped
            if control is not None:
                rebuilt = self._run_control(control, live, now)
                applied += 1
        return ApplyResult(applied, skipped)

    def _run_control(self, event: ControlEvent, live: bool, now: datetime) -> bool:
        """A job at its place in the stream: everything before it is applied, nothing after.
        True when it rebuilt the state from the raw log (a live erasure)."""
        if isinstance(event, ScoresRequested):
            moved = rescore_customers(self.state.connection, self.shop, event)
            log.info(
                "customers_rescored", shop_id=self.shop.shop_id, as_of=str(event.as_of), moved=moved
            )
            return False
        if isinstance(event, PredictionsRequested):
            self._run_prediction_job(event)
            return False
        return apply_erasure(self, event, live, now)

    def _run_prediction_job(self, event: PredictionsRequested) -> None:
        """A prediction job that fails is logged and skipped, never retried: it would fail
        the same way again and hold up the shop's events (replay skips it the same way)."""
        context = {"shop_id": self.shop.shop_id, "job": event.job, "as_of": str(event.as_of)}
        con = self.state.connection
        con.execute("BEGIN TRANSACTION")
        try:
            found = run_prediction_job(con, self.shop, event)
            con.execute("COMMIT")
        except Exception:  # noqa: BLE001 - the edge: a job's failure must not stop the shop
            con.execute("ROLLBACK")
            log.exception("prediction_job_failed", **context)
            return
        log.info("prediction_job_applied", found=found, **context)

    def publish(self, now: datetime) -> str:
        tables, extra = build_view_set(self.state.connection, self.shop)
        version = write_views(self.paths.views_dir, tables, now, extra)
        write_applied(self.paths.views_dir, self.state.connection)
        fresh = self._meta()
        write_freshness(
            self.paths.views_dir,
            {
                "newest_event_at": fresh["newest_event_at"],
                "last_applied_at": fresh["last_applied_at"],
                "lag_seconds": float(fresh["lag_seconds"]) if fresh["lag_seconds"] else None,
                "events_applied": int(fresh["events_applied"] or 0),
            },
        )
        return version

    def _meta(self) -> dict[str, str | None]:
        keys = ("newest_event_at", "last_applied_at", "lag_seconds", "events_applied")
        return self.state.get_metas(keys)
