"""Reconciliation (``wcpulse sync SHOP``, and every 10 minutes from the scheduler).

WooCommerce drops failed deliveries and disables a webhook after 7 failures in a row, so
webhooks alone are not enough. A sync compares what the REST API lists with what we hold
(the published ``versions`` view) and publishes what is newer or missing:
- orders, products, coupons and refunds modified since the last good run (minus an overlap);
- trashed orders (``status=any`` leaves them out);
- customers, whole (the API has no modified filter for them);
- on a full run, every id, to find hard deletes (published as ``<resource>.deleted``).
Every repair is counted in the run's record.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from ingest.rest.importer import (
    STEPS,
    ImportStep,
    Pages,
    Publisher,
    expand_variations,
    gmt,
    rest_envelope,
)
from processors.normalise import parse_gmt
from schemas.clock import Clock
from store.sync_state import SyncRun, SyncState
from store.view_files import read_view

log = structlog.get_logger("wcpulse.sync")

Held = dict[tuple[str, int], tuple[datetime | None, bool]]
FIRST_WINDOW = timedelta(days=1)
ID_LISTINGS = (  # resource, REST path, extra query (hard-delete detection)
    ("order", "orders", {"status": "any"}),
    ("order", "orders", {"status": "trash"}),
    ("customer", "customers", {"role": "all"}),
    ("coupon", "coupons", {}),
)


@dataclass
class SyncReport:
    window_from: datetime | None = None
    checked: dict[str, int] = field(default_factory=dict)
    repaired: dict[str, int] = field(default_factory=dict)
    hard_deleted: dict[str, int] = field(default_factory=dict)

    @property
    def total_repaired(self) -> int:
        return sum(self.repaired.values()) + sum(self.hard_deleted.values())

    def counts(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "repaired": self.repaired,
            "hard_deleted": self.hard_deleted,
            "total_repaired": self.total_repaired,
        }


def load_held(views_dir: Path) -> Held:
    """What the processors hold (their published ``versions`` view):
    (resource, id) -> (modified_at, trashed)."""
    table = read_view(views_dir, "versions")
    if table is None:
        return {}
    return {
        (r["resource"], r["resource_id"]): (r["modified_at"], bool(r["trashed"]))
        for r in table.to_pylist()
    }


def is_newer(item: dict[str, Any], resource: str, held: Held) -> bool:
    """True when the API's item is missing from our state or newer than what we hold."""
    key = (resource, item.get("id"))
    if key not in held:
        return True
    ours = held[key][0]
    field_name = "date_created_gmt" if resource == "refund" else "date_modified_gmt"
    theirs = parse_gmt(item.get(field_name))
    return ours is None or (theirs is not None and theirs > ours)


class Reconciler:
    def __init__(
        self,
        client: Pages,
        publisher: Publisher,
        state: SyncState,
        clock: Clock,
        overlap: timedelta = timedelta(minutes=15),
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._state = state
        self._clock = clock
        self._overlap = overlap

    def run(self, shop_id: str, views_dir: Path, full: bool = False) -> SyncReport:
        started = self._clock.now()
        report = SyncReport(window_from=self._window_from(shop_id, started))
        try:
            held = load_held(views_dir)
            for step in STEPS:
                self._repair_step(shop_id, step, held, report)
            if full:
                self._repair_hard_deletes(shop_id, held, report)
        except Exception as exc:
            self._record(shop_id, started, report, str(exc))
            raise
        self._record(shop_id, started, report, None)
        log.info("sync_done", shop_id=shop_id, repaired=report.total_repaired, full=full)
        return report

    def _window_from(self, shop_id: str, now: datetime) -> datetime:
        last = self._state.last_good_run(shop_id)
        start = last.started_at if last is not None else now - FIRST_WINDOW
        return start - self._overlap

    def _repair_step(self, shop_id: str, step: ImportStep, held: Held, report: SyncReport) -> None:
        params = dict(step.params)
        if step.has_modified_filter and step.name != "orders_trash":
            params.update(modified_after=gmt(report.window_from), dates_are_gmt="true")
        for page in self._client.iter_pages(step.path, params):
            items = expand_variations(self._client, step, page.items)
            stale = [item for item in items if is_newer(item, step.resource, held)]
            report.checked[step.name] = report.checked.get(step.name, 0) + len(items)
            report.repaired[step.name] = report.repaired.get(step.name, 0) + len(stale)
            self._publish(shop_id, f"{step.resource}.imported", stale)

    def _repair_hard_deletes(self, shop_id: str, held: Held, report: SyncReport) -> None:
        remote: dict[str, set[int]] = {}
        for resource, path, query in ID_LISTINGS:
            remote.setdefault(resource, set()).update(self._ids(path, query))
        for resource, ids in remote.items():
            gone = sorted(
                rid
                for (res, rid), (_, trashed) in held.items()
                if res == resource and not trashed and rid not in ids
            )
            report.hard_deleted[resource] = len(gone)
            for rid in gone:
                self._publish(shop_id, f"{resource}.deleted", {"id": rid})

    def _ids(self, path: str, query: dict[str, Any]) -> Iterator[int]:
        params = dict(query, _fields="id", orderby="id", order="asc")
        for page in self._client.iter_pages(path, params):
            yield from (int(item["id"]) for item in page.items if "id" in item)

    def _publish(self, shop_id: str, topic: str, body: Sequence[dict] | dict) -> None:
        if body:
            envelope = rest_envelope(shop_id, topic, body, self._clock.now(), "sync")  # type: ignore[arg-type]
            self._publisher.publish([envelope])

    def _record(
        self, shop_id: str, started: datetime, report: SyncReport, error: str | None
    ) -> None:
        window = report.window_from.astimezone(UTC) if report.window_from else None
        run = SyncRun(
            "sync", started, self._clock.now(), window, error is None, error, report.counts()
        )
        self._state.record_run(shop_id, run)
