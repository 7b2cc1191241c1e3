"""One shop's unit of work: envelopes -> raw log -> DuckDB state (one transaction) -> views."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import structlog

from processors.alerts.raising import raise_alerts, scheduled_check_due
from processors.anonymise import Scrubber
from processors.batch import (
    FRESHNESS_KEYS,
    decode_events,
    failure_reason,
    freshness_file,
    freshness_meta,
    joined,
    split_at_controls,
)
from processors.collector import collector_paused
from processors.decoded import Decoded
from processors.erasure import tombstones
from processors.jobs import reads_whole_shop, run_job
from processors.projections.engine import Refresh, ViewEngine
from schemas.envelope import Envelope
from schemas.events import ControlEvent, Event
from schemas.jobs import ALERTS, ALERTS_RAISED, DIGESTS, ERASE, FULFILLMENT
from schemas.shop import ShopConfig
from schemas.views import VIEW_KEYS
from store.erasure import write_applied
from store.errors import is_storage_failure
from store.layout import shop_paths
from store.lock import WriterLock
from store.rawlog import ParquetRawLog, RejectedLog
from store.state import ALERT_RESOURCES, SMALL_WORK_THREADS, ApplyResult, DuckDBStateStore
from store.state_alerts import ALERTS_DONE_AT, DIGESTS_DONE, count_rejected
from store.viewstore import GRACE_SECONDS, ViewStore, write_freshness

RAISED_TOPIC = "job." + ALERTS_RAISED
log = structlog.get_logger("wcpulse.processor")


class ShopPipeline:
    """Owns a shop's state while open (writer lock held)."""

    def __init__(
        self,
        data_dir: Path,
        shop: ShopConfig,
        state_path: Path | None = None,
        alert_every: float = 0.0,
    ) -> None:
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
        self.rawlog.recover()
        self.rejected = RejectedLog(self.paths.rejected_dir)
        self.tombstones: Scrubber | None = None  # erased customers' scrubber, read lazily
        self._stage = "applying"  # what a failure happened in (for its dead letter)
        # the last publish raised alerts, did a scheduled check or left its changes to the
        # next check of the alert rules: a follow-up publish is due
        self.follow_up = False
        # live: seconds from one check of the alert rules to the next (0: at every publish)
        self.alert_every = alert_every
        self._checked_at: float | None = None  # time.monotonic() of the last check

    def close(self) -> None:
        self.state.close()
        self._lock.release()

    def apply(
        self, envelopes: Sequence[Envelope], now: datetime, log_raw: bool = True
    ) -> tuple[ApplyResult, dict[int, str]]:
        """Apply what can be handled; returns the result and {index: reason} for the rest.

        One envelope that cannot be decoded, logged, applied or run (a job) fails alone:
        the batch is applied in halves until it is found, and everything else commits.
        Only applied envelopes reach the raw log; live (``log_raw``), the failed ones go to
        the rejected log with their reason. A failure of the storage itself (disk, memory)
        is raised: nothing was the message's fault, so nothing is failed.

        Live, the tombstones of erased customers scrub the envelopes first: what is logged
        and applied never holds an erased customer (a dropped envelope counts as handled)."""
        failures: dict[int, str] = {}
        with collector_paused():  # a batch's objects hold no cycles (processors/collector.py)
            decoded = self.decode(envelopes, log_raw, failures)
            return self.apply_decoded(envelopes, decoded, failures, now, log_raw)

    def decode(
        self, envelopes: Sequence[Envelope], log_raw: bool, failures: dict[int, str]
    ) -> list[Decoded]:
        """``apply``'s first half: the envelopes screened (live) and decoded into events;
        the reason of each one that cannot be goes into ``failures``. It reads nothing of
        the state, so a replay decodes the next batch while this one is applied."""
        screened = self._screen(envelopes, log_raw, failures)
        return decode_events(screened, failures, self.shop.cost_keys)

    def apply_decoded(
        self,
        envelopes: Sequence[Envelope],
        decoded: list[Decoded],
        failures: dict[int, str],
        now: datetime,
        log_raw: bool = True,
    ) -> tuple[ApplyResult, dict[int, str]]:
        """``apply``'s second half: ``decoded`` (of ``envelopes``) logged and applied."""
        with collector_paused():
            self.state.use_threads(SMALL_WORK_THREADS if log_raw else None)  # replay: big
            result = self._apply_isolating(decoded, now, log_raw, failures)
        if failures:
            self._report(envelopes, failures, now, log_raw)
        log.debug(
            "batch_applied",
            shop_id=self.shop.shop_id,
            applied=result.applied,
            skipped=result.skipped,
        )
        return result, failures

    def _screen(
        self, envelopes: Sequence[Envelope], live: bool, failures: dict[int, str]
    ) -> list[tuple[int, Envelope]]:
        """The envelopes to handle, each with its index in ``envelopes``."""
        if not live:
            return list(enumerate(envelopes))
        scrubber = tombstones(self)
        if not scrubber:
            return list(enumerate(envelopes))
        screened: list[tuple[int, Envelope]] = []
        for index, envelope in enumerate(envelopes):
            try:
                scrubbed = scrubber.envelope(envelope)
            except Exception as exc:  # noqa: BLE001 - the edge: one message's failure
                failures[index] = failure_reason("erasure screening", exc)
                continue
            if scrubbed is not None:
                screened.append((index, scrubbed))
        return screened

    def _apply_isolating(
        self, decoded: list[Decoded], now: datetime, live: bool, failures: dict[int, str]
    ) -> ApplyResult:
        """Apply ``decoded``; when that fails for a reason of its own, apply each half in
        turn, down to the one envelope that fails (its reason goes into ``failures``)."""
        if not decoded:
            return ApplyResult(0, 0)
        try:
            return self._commit(decoded, now, live)
        except Exception as exc:
            if is_storage_failure(exc):
                raise
            reason = failure_reason(self._stage, exc)
            self.state.recover()
            self.tombstones = None
            if len(decoded) == 1:
                failures[decoded[0].index] = reason
                return ApplyResult(0, 0)
        middle = len(decoded) // 2
        first = self._apply_isolating(decoded[:middle], now, live, failures)
        second = self._apply_isolating(decoded[middle:], now, live, failures)
        return ApplyResult(first.applied + second.applied, first.skipped + second.skipped)

    def _commit(self, decoded: Sequence[Decoded], now: datetime, live: bool) -> ApplyResult:
        """Log (live) and apply ``decoded``; on any failure the log file is discarded."""
        envelopes = [d.envelope for d in decoded]
        self._stage = "raw-log append"
        logged = self.rawlog.append(envelopes, now) if live else None
        try:
            self._stage = "state apply"
            # the alerts the processor raised itself are not news of the shop
            own = all(e.topic == RAISED_TOPIC for e in envelopes)
            meta = {} if own else freshness_meta(self._meta(), envelopes, now)
            result = self._apply_runs([e for d in decoded for e in d.events], meta, live, now)
        except BaseException:
            if logged is not None:
                self.rawlog.discard(logged)
            raise
        if logged is not None:  # every logged batch is applied now: small files may merge
            self._compact_raw_log()
        return result

    def _compact_raw_log(self) -> None:
        """Merge the raw log's newest tiny files when due. A failure there is not the
        batch's (it is applied and logged): it is logged, and the log is whole either way
        (``store/rawlog_compact.py``); the next compaction finishes or undoes it first."""
        try:
            self.rawlog.compact()
        except Exception as exc:  # noqa: BLE001 - maintenance: the batch stays applied
            log.warning(
                "raw_log_compaction_failed", shop_id=self.shop.shop_id, error=type(exc).__name__
            )

    def _report(
        self, envelopes: Sequence[Envelope], failures: dict[int, str], now: datetime, live: bool
    ) -> None:
        """Log each failed envelope; live, keep it in the rejected log with its reason."""
        for index, reason in failures.items():
            envelope = envelopes[index]
            log.warning(
                "envelope_rejected" if live else "envelope_skipped",
                shop_id=self.shop.shop_id,
                topic=envelope.topic,
                source=envelope.source,
                envelope_id=envelope.envelope_id,
                reason=reason,
            )
        if live:
            self.rejected.append_rejected([(envelopes[i], r) for i, r in failures.items()], now)
            with self.state.transaction() as con:
                count_rejected(con, len(failures))

    def _apply_runs(
        self, events: Sequence[Event], meta: dict[str, str], live: bool, now: datetime
    ) -> ApplyResult:
        applied = skipped = 0
        rebuilt = False
        for chunk, control in split_at_controls(events):
            if rebuilt:  # a live erasure rebuilt the state from the log, this batch included
                if control is not None and control.job == ERASE:  # replayed without erasing
                    self._run_control(control, live, now)
                continue
            self._stage = "state apply"
            done = self.state.apply(chunk, meta)
            applied, skipped = applied + done.applied, skipped + done.skipped
            if control is not None:
                rebuilt = self._run_control(control, live, now)
                applied += 1
        return ApplyResult(applied, skipped)

    def _run_control(self, event: ControlEvent, live: bool, now: datetime) -> bool:
        """A job at its place in the stream: everything before it is applied, nothing after.
        True when it rebuilt the state from the raw log (a live erasure). A job that fails
        raises: it fails alone, like any other message."""
        self._stage = f"job.{event.job}"
        if reads_whole_shop(event.job):  # on every core; the others keep the batch's threads
            self.state.use_threads(None)
        return run_job(self, event, live, now)

    def publish(self, now: datetime, purge: bool = False, alerts: bool = False) -> str:
        """Publish what the changes since the last publish reach (``ViewEngine``): the
        materialised rows commit first, then the view files and the manifest, then the
        changes are forgotten (a crash in between publishes them again, to the same rows).
        ``purge``: remove superseded view files at once (after an erasure).

        ``alerts`` (the live processor): once the views are out, raise the alerts the
        published changes call for (and a due ``job.alerts``'s checks). What that keeps
        (the alerts, the check's time) goes out with the next publish: ``follow_up`` says
        one is due. Raising them after the manifest, not before, takes the rules' time off
        what a batch waits for before it is visible. The rules are checked at most every
        ``alert_every`` seconds (a whole build and a due scheduled check at once): the
        publishes between keep their changes for the next check, which ``follow_up`` asks
        for, so a steady stream spends the rules' time once per interval, not per batch."""
        self.state.use_threads(SMALL_WORK_THREADS)  # a whole build takes every core
        return self._publish(now, purge, alerts)

    def _publish(self, now: datetime, purge: bool, alerts: bool) -> str:
        pending = self.state.pending_changes()
        engine = ViewEngine(self.state.connection, self.shop)
        refresh = engine.refresh(self.state.use_threads, pending)
        metas = self.state.get_metas([ALERTS_DONE_AT, DIGESTS_DONE, *FRESHNESS_KEYS])  # one read
        done = metas[ALERTS_DONE_AT]  # job.alerts and job.fulfillment
        jobs = {ALERTS: done, FULFILLMENT: done, DIGESTS: metas[DIGESTS_DONE]}
        refresh.extra["jobs_applied"] |= jobs
        grace = 0.0 if purge else GRACE_SECONDS
        version = ViewStore(self.paths.views_dir).publish(
            refresh.writes, VIEW_KEYS, now, refresh.extra, grace
        )
        self.follow_up = unchecked = False
        if alerts and self._check_now(refresh):  # a crash before ``published``: again
            scope = joined(pending, self.state.unchecked_changes())
            raised = raise_alerts(self, scope, refresh, now)
            self._checked_at = time.monotonic()
            self.follow_up = bool(raised) or self.state.get_meta(ALERTS_DONE_AT) != done
        elif alerts:  # checked by a later publish, which ``follow_up`` asks for
            unchecked = any(pending.get(resource) for resource in ALERT_RESOURCES)
            self.follow_up = unchecked or self.state.has_unchecked()
        self.state.published(pending, refresh.params, unchecked)
        write_applied(self.paths.views_dir, self.state.connection)
        write_freshness(self.paths.views_dir, freshness_file(metas))
        return version

    def _check_now(self, refresh: Refresh) -> bool:
        """Whether this live publish checks the alert rules (see ``publish``)."""
        if refresh.whole or self._checked_at is None or scheduled_check_due(self):
            return True
        return time.monotonic() - self._checked_at >= self.alert_every

    def _meta(self) -> dict[str, str | None]:
        return self.state.get_metas(FRESHNESS_KEYS)
