"""History import through the WooCommerce REST API (``wcpulse import SHOP [--since DATE]``).

Each REST page becomes one envelope (``<resource>.imported``, body = the page's JSON array)
published into the same broker as webhooks, so one code path applies both and idempotency
makes re-imports harmless. After each page is durably published the resource's checkpoint
moves on, so an interrupted import continues where it stopped. When every resource is done,
a catch-up pass fetches what changed while the import ran.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog

from ingest.rest.client import Page
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.jsoncodec import dumps_text
from store.sync_state import Checkpoint, SyncRun, SyncState

log = structlog.get_logger("wcpulse.import")

CATCH_UP_OVERLAP = timedelta(minutes=5)


@dataclass(frozen=True)
class ImportStep:
    """One listing to walk: a checkpoint name, the resource it yields and its REST query."""

    name: str
    resource: str
    path: str
    params: dict[str, Any]
    has_modified_filter: bool = True


STEPS: tuple[ImportStep, ...] = (
    ImportStep("products", "product", "products", {"orderby": "id", "order": "asc"}),
    ImportStep("coupons", "coupon", "coupons", {"orderby": "id", "order": "asc"}),
    ImportStep(
        "customers",
        "customer",
        "customers",
        {"orderby": "id", "order": "asc", "role": "all"},
        has_modified_filter=False,
    ),  # fmt: skip
    ImportStep("orders", "order", "orders", {"orderby": "id", "order": "asc", "status": "any"}),
    ImportStep(
        "orders_trash", "order", "orders", {"orderby": "id", "order": "asc", "status": "trash"}
    ),
    ImportStep("refunds", "refund", "refunds", {"orderby": "id", "order": "asc"}),
)


class Pages(Protocol):
    def iter_pages(
        self, path: str, params: dict[str, Any] | None = None, start_page: int = 1
    ) -> Iterator[Page]: ...


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> None: ...


@dataclass
class ImportReport:
    items: dict[str, int] = field(default_factory=dict)
    pages: int = 0
    resumed: bool = False
    caught_up: int = 0

    @property
    def total(self) -> int:
        return sum(self.items.values())


Progress = Callable[[str, int, int], None]  # (step name, pages done, pages total)


class Importer:
    def __init__(
        self,
        client: Pages,
        publisher: Publisher,
        state: SyncState,
        clock: Clock,
        on_progress: Progress | None = None,
    ) -> None:
        self._client = client
        self._publisher = publisher
        self._state = state
        self._clock = clock
        self._progress = on_progress or (lambda *_: None)

    def run(self, shop_id: str, since: datetime | None = None) -> ImportReport:
        """Import everything (or what changed since ``since``), resuming a stopped import."""
        started = self._clock.now()
        checkpoints = self._resume_or_start(shop_id, since, started)
        report = ImportReport(resumed=any(c.next_page > 1 for c in checkpoints.values()))
        try:
            for step in STEPS:
                self._run_step(shop_id, step, checkpoints[step.name], report)
            first_start = min(c.started_at for c in checkpoints.values())
            report.caught_up = self._catch_up(shop_id, first_start - CATCH_UP_OVERLAP)
        except Exception as exc:
            self._record(shop_id, started, report, error=str(exc))
            raise
        self._record(shop_id, started, report, error=None)
        self._state.clear_checkpoints(shop_id)
        return report

    def _resume_or_start(
        self, shop_id: str, since: datetime | None, now: datetime
    ) -> dict[str, Checkpoint]:
        saved = self._state.checkpoints(shop_id)
        if saved and all(c.since == since for c in saved.values()) and len(saved) == len(STEPS):
            log.info("import_resuming", shop_id=shop_id)
            return saved
        self._state.clear_checkpoints(shop_id)
        fresh = {s.name: Checkpoint(s.name, 1, 0, now, since, False) for s in STEPS}
        for checkpoint in fresh.values():
            self._state.save_checkpoint(shop_id, checkpoint, now)
        return fresh

    def _run_step(
        self, shop_id: str, step: ImportStep, checkpoint: Checkpoint, report: ImportReport
    ) -> None:
        report.items[step.name] = checkpoint.items
        if checkpoint.completed:
            return
        params = dict(step.params)
        if checkpoint.since is not None and step.has_modified_filter:
            params.update(modified_after=gmt(checkpoint.since), dates_are_gmt="true")
        for page in self._client.iter_pages(step.path, params, start_page=checkpoint.next_page):
            items = expand_variations(self._client, step, page.items)
            self._publish_page(shop_id, step.resource, items)
            checkpoint = replace(
                checkpoint, next_page=page.page + 1, items=checkpoint.items + len(items)
            )
            self._state.save_checkpoint(shop_id, checkpoint, self._clock.now())
            report.items[step.name] = checkpoint.items
            report.pages += 1
            self._progress(step.name, page.page, page.total_pages)
        self._state.save_checkpoint(shop_id, replace(checkpoint, completed=True), self._clock.now())

    def _publish_page(self, shop_id: str, resource: str, items: list[dict]) -> None:
        if items:
            now = self._clock.now()
            envelope = rest_envelope(shop_id, f"{resource}.imported", items, now, "import")
            self._publisher.publish([envelope])

    def _catch_up(self, shop_id: str, modified_after: datetime) -> int:
        """What changed while the import ran (webhooks may have been lost meanwhile)."""
        count = 0
        for step in STEPS:
            if not step.has_modified_filter or step.name == "orders_trash":
                continue
            params = dict(step.params, orderby="modified" if step.resource != "refund" else "id")
            params.update(modified_after=gmt(modified_after), dates_are_gmt="true")
            for page in self._client.iter_pages(step.path, params):
                items = expand_variations(self._client, step, page.items)
                self._publish_page(shop_id, step.resource, items)
                count += len(items)
        return count

    def _record(
        self, shop_id: str, started: datetime, report: ImportReport, error: str | None
    ) -> None:
        counts: dict[str, Any] = dict(report.items, pages=report.pages, caught_up=report.caught_up)
        run = SyncRun("import", started, self._clock.now(), None, error is None, error, counts)
        self._state.record_run(shop_id, run)


def rest_envelope(
    shop_id: str, topic: str, body: list[dict] | dict, received_at: datetime, source: str
) -> Envelope:
    """An envelope for what the REST API returned: a page (``*.imported``) or one body."""
    resource, _, event = topic.partition(".")
    return Envelope(
        shop_id=shop_id,
        topic=topic,
        resource=resource,
        event=event,
        resource_id=body.get("id") if isinstance(body, dict) else None,
        body=dumps_text(body),
        received_at=received_at,
        source=source,
    )


def expand_variations(client: Pages, step: ImportStep, items: list[dict]) -> list[dict]:
    """A products page travels together with the variations of its variable products."""
    if step.resource != "product":
        return items
    variations: list[dict] = []
    for product in items:
        if product.get("type") == "variable":
            path = f"products/{product['id']}/variations"
            for page in client.iter_pages(path, {"orderby": "id", "order": "asc"}):
                variations.extend(as_variation(v, product["id"]) for v in page.items)
    return items + variations


def as_variation(body: dict, parent_id: int) -> dict:
    """Variations listed under their parent may lack ``type``/``parent_id``; set them."""
    return {
        **body,
        "type": body.get("type") or "variation",
        "parent_id": body.get("parent_id") or parent_id,
    }


def gmt(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
