"""Jobs: one registry of what runs inside a shop's processor, at its place in the stream.

A job travels as an envelope (``job.<name>``, ``source: "job"``: only the CLI, the admin API
and the scheduler send them), so the shop's one writer runs it after everything before it,
and the raw log keeps it for replay. Each entry says how its body becomes an event, what it
does to the shop (``run``: returns True when it rebuilt the state from the raw log), how
often the scheduler asks for it for every shop (a ``Settings`` attribute), which jobs run
right after it on that schedule, and what ``wcpulse jobs run`` prints once the views include
it. Adding a job is an entry here, its handler, and its event in
``schemas/control_events.py`` (and in the unions of ``schemas/events.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import structlog

from processors.alerts.alert_jobs import (
    acknowledge,
    alert_job,
    keep_raised,
    note_alerts_requested,
    note_digests_requested,
    note_health,
    parse_acknowledged,
    parse_alerts_raised,
    parse_health_noted,
)
from processors.erasure import apply_erasure
from processors.job_summaries import (
    alerts_summary,
    backtest_summary,
    churn_summary,
    digests_summary,
    fulfillment_summary,
    models_summary,
    products_summary,
    retention_summary,
    segments_summary,
)
from processors.projections.prediction_jobs import run_prediction_job
from processors.projections.product_jobs import run_products_job
from processors.projections.views import rescore_customers
from processors.retention import run_retention
from processors.shop_unit import ShopUnit
from schemas.control_events import (
    ErasureRequested,
    PredictionsRequested,
    ProductsRequested,
    RetentionRequested,
    ScoresRequested,
)
from schemas.events import ControlEvent
from schemas.jobs import (
    ACKNOWLEDGE_ALERT,
    ALERTS,
    ALERTS_RAISED,
    BACKTEST,
    CHURN,
    CLV,
    DIGESTS,
    ERASE,
    FULFILLMENT,
    HEALTH_NOTED,
    PRODUCTS,
    RETENTION,
    RFM,
)
from schemas.shop import ShopConfig

log = structlog.get_logger("wcpulse.jobs")

Params = Mapping[str, Any]


@dataclass(frozen=True)
class JobSpec:
    name: str
    parse: Callable[[Params, datetime], ControlEvent]  # raises KeyError/TypeError/ValueError
    run: Callable[[ShopUnit, Any, bool, datetime], bool]
    interval: str | None = None  # Settings attribute: how often for every shop (None: never)
    followed_by: tuple[str, ...] = ()  # jobs queued right after it on its schedule
    summary: Callable[[Path], str] | None = None  # None: not run by ``wcpulse jobs run``
    # reads the whole shop (every DuckDB thread); False: notes or keeps a few rows, on the
    # threads of the batch it arrived in (a switch costs two SET statements, about 4 ms)
    whole_shop: bool = True
    # which shops the scheduler queues it for on its ``interval`` (``wcpulse jobs run``
    # queues it for any shop)
    scheduled_for: Callable[[ShopConfig], bool] = lambda shop: True


def _as_of(params: Params) -> date:
    return date.fromisoformat(params["as_of"])


def _rescore(unit: ShopUnit, event: ScoresRequested, live: bool, now: datetime) -> bool:
    moved = rescore_customers(unit.state.connection, unit.shop, event)
    log.info("customers_rescored", shop_id=unit.shop.shop_id, as_of=str(event.as_of), moved=moved)
    return False


def _predict(unit: ShopUnit, event: PredictionsRequested, live: bool, now: datetime) -> bool:
    """One prediction job in one transaction (rolled back when it fails)."""
    with unit.state.transaction() as con:
        found = run_prediction_job(con, unit.shop, event)
    log.info(
        "prediction_job_applied",
        shop_id=unit.shop.shop_id,
        job=event.job,
        as_of=str(event.as_of),
        found=found,
    )
    return False


def _products(unit: ShopUnit, event: ProductsRequested, live: bool, now: datetime) -> bool:
    basis = run_products_job(unit.state.connection, unit.shop, event)
    log.info(
        "products_scored",
        shop_id=unit.shop.shop_id,
        as_of=str(basis.as_of if basis else event.as_of),
        ranked=len(basis.distribution.velocity) if basis else 0,
    )
    return False


def _erase(unit: ShopUnit, event: ErasureRequested, live: bool, now: datetime) -> bool:
    return apply_erasure(unit, event, live, now)


def _erasure(params: Params, at: datetime) -> ErasureRequested:
    key, erasure_id = params["customer_key"], params["erasure_id"]
    if not (isinstance(key, str) and key.strip() and isinstance(erasure_id, str) and erasure_id):
        raise ValueError("customer_key and erasure_id must be non-empty text")
    return ErasureRequested(key.strip(), erasure_id.strip(), at)


def _prediction(name: str) -> Callable[[Params, datetime], PredictionsRequested]:
    return lambda params, at: PredictionsRequested(name, _as_of(params), at)


JOBS: dict[str, JobSpec] = {
    spec.name: spec
    for spec in (
        JobSpec(
            RFM,
            lambda params, at: ScoresRequested(_as_of(params), at),
            _rescore,
            interval="rfm_interval_seconds",
            summary=segments_summary,
        ),
        JobSpec(
            CLV,
            _prediction(CLV),
            _predict,
            interval="clv_interval_seconds",
            followed_by=(BACKTEST,),
            summary=models_summary,
        ),
        JobSpec(
            CHURN,
            _prediction(CHURN),
            _predict,
            interval="churn_interval_seconds",
            summary=churn_summary,
        ),
        JobSpec(BACKTEST, _prediction(BACKTEST), _predict, summary=backtest_summary),
        JobSpec(
            PRODUCTS,
            lambda params, at: ProductsRequested(_as_of(params), at),
            _products,
            interval="products_interval_seconds",
            summary=products_summary,
        ),
        JobSpec(
            ALERTS,
            alert_job(ALERTS),
            note_alerts_requested,
            whole_shop=False,
            interval="alerts_interval_seconds",
            summary=alerts_summary,
        ),
        JobSpec(
            FULFILLMENT,
            alert_job(FULFILLMENT),
            note_alerts_requested,
            whole_shop=False,
            summary=fulfillment_summary,
        ),
        JobSpec(
            DIGESTS,
            alert_job(DIGESTS),
            note_digests_requested,
            whole_shop=False,
            summary=digests_summary,
        ),
        JobSpec(
            RETENTION,
            lambda params, at: RetentionRequested(_as_of(params), at),
            run_retention,
            whole_shop=False,  # reads the raw log's files, writes two meta values
            interval="retention_interval_seconds",
            scheduled_for=lambda shop: shop.raw_retention_days is not None,
            summary=retention_summary,
        ),
        JobSpec(ALERTS_RAISED, parse_alerts_raised, keep_raised, whole_shop=False),
        JobSpec(ACKNOWLEDGE_ALERT, parse_acknowledged, acknowledge, whole_shop=False),
        JobSpec(HEALTH_NOTED, parse_health_noted, note_health, whole_shop=False),
        JobSpec(ERASE, _erasure, _erase),
    )
}
# what ``wcpulse jobs run`` can queue (an erasure has its own command)
RUNNABLE_JOBS: tuple[str, ...] = tuple(name for name, spec in JOBS.items() if spec.summary)


def reads_whole_shop(job: str) -> bool:
    """Whether the job reads the whole shop (``JobSpec.whole_shop``)."""
    return JOBS[job].whole_shop


def run_job(unit: ShopUnit, event: ControlEvent, live: bool, now: datetime) -> bool:
    """Run the job ``event`` stands for; True when it rebuilt the state from the raw log."""
    return JOBS[event.job].run(unit, event, live, now)
