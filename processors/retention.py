"""Per-shop retention of the raw event log (SPEC §6): ``job.retention``.

A shop with a retention (``wcpulse shop set-retention SHOP DAYS``) keeps every event it
received in the last DAYS days. Of the older ones it drops only what a replay does not
need to rebuild the same views: an envelope of orders, customers, coupons, refunds or
tickets goes when each change in it

- never took effect (an older version than the state held: the state's own rule,
  ``store/state.py``), or holds a version a later envelope repeats with no job in between
  (a refund inside each version of its order, a repeated delivery), or
- took effect and was superseded by a newer version before any job that reads the state
  ran (RFM rescoring, the prediction and product jobs, an erasure: what they recorded, the
  segment history, the churn timeline, the fits, saw that version).

So the envelope holding each resource's version (and trash time) in effect stays, and so
does every envelope with anything else in it: products (the price history is made of every
version of a product), jobs, noted deliveries, alerts raised, and anything that does not
decode (replay skips it as it did before). The rejected log (envelopes the processor
refused, never replayed) loses everything received before the window.

The job runs live, at its place in the shop's stream, and looks only at files whose batches
are applied: the newest file is the batch being applied now, which is discarded if it
fails, so it supersedes nothing and loses nothing. Each file is rewritten under its own name
(temp file, fsync, rename), so a crash leaves a log where every envelope dropped so far was
superseded as above. A replay runs the job as a no-op: the log it reads is purged already.
The whole log is read and decoded once a run (about 33 us an envelope, its rewrites included:
``python -m bench retention``, 200,277 envelopes in 6.5 s on 2026-12-07).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from processors.decoded import Decoded
from processors.shop_unit import ShopUnit
from schemas.control_events import (
    ErasureRequested,
    PredictionsRequested,
    ProductsRequested,
    RetentionRequested,
    ScoresRequested,
)
from schemas.envelope import Envelope
from schemas.events import ResourceTrashed
from schemas.jobs import RETENTION, RETENTION_DONE
from store.state_alerts import set_alerts_meta
from store.state_batch import RESOURCE_OF, key_of
from store.state_schema import RESOURCE_TABLES

log = structlog.get_logger("wcpulse.retention")

# the price history needs every version of a product: product envelopes are always kept
KEPT_WHOLE = frozenset({"product"})
PURGED = frozenset(RESOURCE_TABLES) - KEPT_WHOLE  # the resources whose old versions can go
# the jobs that read the state (their results depend on every version in effect when they
# ran); the others only note a request or keep rows of their own
READS_STATE = (ScoresRequested, PredictionsRequested, ProductsRequested, ErasureRequested)
PROGRESS_EVERY = 250_000  # envelopes looked at between two progress lines in the log
Position = tuple[int, int]  # (file number, row)
Key = tuple[str, int]  # (resource, id)


@dataclass(frozen=True)
class Purge:
    """What one ``job.retention`` did (kept in the state's meta, shown in the manifest)."""

    days: int
    cutoff: str  # envelopes received before this were looked at
    envelopes: int  # envelopes of the applied files looked at
    dropped: int  # superseded envelopes older than the cutoff, dropped
    files: int  # files written again or removed
    rejected_dropped: int  # rejected envelopes received before the cutoff, dropped
    seconds: float


def superseded(
    files: Iterable[tuple[Path, list[Envelope]]],
    decode: Callable[[list[Envelope]], list[Decoded]],
    cutoff: datetime,
) -> dict[Path, list[int]]:
    """The rows of each file that can go (see the module doc): received before ``cutoff``,
    holding only changes that never took effect or were superseded before any job read the
    state; ``decode`` gives an envelope list's events."""
    history = _History()
    candidates: list[Position] = []
    paths: list[Path] = []
    for number, (path, envelopes) in enumerate(files):
        paths.append(path)
        for decoded in decode(envelopes):
            at = (number, decoded.index)
            if history.note(decoded, at) and decoded.envelope.received_at < cutoff:
                candidates.append(at)
    pinned = history.pinned()
    rows: dict[Path, list[int]] = {}
    for at in candidates:
        if at not in pinned:
            rows.setdefault(paths[at[0]], []).append(at[1])
    return rows


class _History:
    """The log in order, as the state saw it: which envelope holds each key's version (and
    trash time) in effect, and how many jobs that read the state have run since it took
    effect. An envelope is pinned (kept) when one of its changes is still in effect or was
    in effect while such a job ran: replay must show that job the same state."""

    def __init__(self) -> None:
        # key -> (version or trash time in effect, the envelope holding it, jobs run before)
        self._versions: dict[Key, tuple[Any, Position, int]] = {}
        self._trash: dict[Key, tuple[Any, Position, int]] = {}
        self._jobs = 0
        self._pinned: set[Position] = set()

    def note(self, decoded: Decoded, at: Position) -> bool:
        """Follow the envelope's events; True when only its changes can keep it (False: it
        holds a product, a job, a noted delivery... and is kept whole)."""
        droppable = True
        for event in decoded.events:
            resource = RESOURCE_OF.get(type(event))
            if resource is not None and resource not in KEPT_WHOLE:
                key = (resource, key_of(event))  # type: ignore[arg-type]
                self._take(self._versions, key, event.version, at)  # type: ignore[union-attr]
            elif isinstance(event, ResourceTrashed) and event.resource in PURGED:
                self._take(self._trash, (event.resource, event.resource_id), event.at, at)
            else:
                droppable = False
                self._jobs += isinstance(event, READS_STATE)
        return droppable

    def _take(
        self, held: dict[Key, tuple[Any, Position, int]], key: Key, value: Any, at: Position
    ) -> None:
        """The change takes effect when it is greater than the one in effect (the state's
        rule: an older one is skipped, and never seen by anything). The same version again
        (a refund inside each version of its order, a repeated delivery: the same content)
        moves to the later envelope when no job ran since it took effect, so the earlier
        one is not kept for it."""
        current = held.get(key)
        if current is not None and not value > current[0]:
            if value == current[0] and current[2] == self._jobs:
                held[key] = (value, at, current[2])
            return
        if current is not None and current[2] != self._jobs:  # a job saw it in effect
            self._pinned.add(current[1])
        held[key] = (value, at, self._jobs)

    def pinned(self) -> set[Position]:
        """The pinned envelopes, those holding what is in effect at the end included."""
        return self._pinned | {
            at for held in (self._versions, self._trash) for _, at, _ in held.values()
        }


def purge_raw_log(unit: ShopUnit, days: int, at: datetime) -> Purge:
    """Drop what the retention of ``days`` before ``at`` lets go (see the module doc)."""
    started = time.perf_counter()
    cutoff = at - timedelta(days=days)
    unit.rawlog.recover()  # a merge cut short: its files are one copy of each envelope again
    applied = unit.rawlog.files()[:-1]  # the newest: the batch being applied now

    def decode(envelopes: list[Envelope]) -> list[Decoded]:
        return unit.decode(envelopes, False, {})

    envelopes = unit.rawlog.count(applied)
    rows: dict[Path, list[int]] = {}
    if unit.rawlog.received_before(applied, cutoff):  # else nothing is old enough
        files = _progress(unit.rawlog.envelopes_by_file(applied), unit.shop.shop_id)
        rows = superseded(files, decode, cutoff)
    dropped = unit.rawlog.drop_rows(rows)
    rejected = unit.rejected.drop_received_before(cutoff)
    took = round(time.perf_counter() - started, 3)
    return Purge(days, cutoff.isoformat(), envelopes, dropped, len(rows), rejected, took)


def _progress(
    files: Iterable[tuple[Path, list[Envelope]]], shop_id: str
) -> Iterator[tuple[Path, list[Envelope]]]:
    """The files' envelopes, with a progress line every PROGRESS_EVERY of them (a big
    shop's purge takes a while: about 33 us an envelope)."""
    seen, mark = 0, PROGRESS_EVERY
    for path, envelopes in files:
        seen += len(envelopes)
        if seen >= mark:
            log.info("raw_log_purge_progress", shop_id=shop_id, envelopes=seen)
            mark += PROGRESS_EVERY
        yield path, envelopes


def run_retention(unit: ShopUnit, event: RetentionRequested, live: bool, now: datetime) -> bool:
    """``job.retention``: purge live when the shop has a retention, and keep what it did
    (the manifest shows it); a replay only notes the job's time (the log it reads is purged
    already)."""
    days = unit.shop.raw_retention_days
    done: dict[str, object] | None = None
    if live:
        done = {"days": None}  # no retention: nothing purged
        if days is not None:
            done = asdict(purge_raw_log(unit, days, event.at))
            log.info("raw_log_purged", shop_id=unit.shop.shop_id, **done)
    with unit.state.transaction() as con:
        set_alerts_meta(con, f"job_{RETENTION}_at", event.at.isoformat())
        if done is not None:
            set_alerts_meta(con, RETENTION_DONE, json.dumps(done))
    return False
