"""Control events: what a job envelope (``job.<name>``, schemas/jobs.py) becomes. Either a
job for the shop's processor to run (rescoring, predictions, products, raw log retention,
erasure, alert checks) or a fact to keep in the shop's stream (the alerts a live publish
raised, an alert acknowledged, a pipeline problem found outside the processor). The raw
log keeps them like any event, so a replay runs the same jobs at the same points.

Each has ``job`` (the name after ``job.``) and ``at``. schemas/events.py gathers them in
``ControlEvent`` and ``CONTROL_EVENTS``, and in ``Event`` with the resource events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from schemas.alerts import Alert


@dataclass(frozen=True, slots=True)
class ScoresRequested:
    """``job.rfm``: rescore every customer as of ``as_of`` (recency moves with time) and
    record who changed segment. Kept in the raw log, so replay rescores at the same points."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "rfm"


@dataclass(frozen=True, slots=True)
class ProductsRequested:
    """``job.products``: score every product against the whole shop as of ``as_of``, keep
    what they were ranked against and fit each product's price elasticity."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "products"


@dataclass(frozen=True, slots=True)
class RetentionRequested:
    """``job.retention``: drop from the raw log the events received before the shop's
    retention window that the state no longer stands on (``processors/retention.py``)."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "retention"


@dataclass(frozen=True, slots=True)
class ErasureRequested:
    """``job.erase`` or ``customer.deleted``: erase one customer's personal data everywhere."""

    customer_key: str
    erasure_id: str  # names the anonymous customer that keeps the erased orders' amounts
    at: datetime
    job: ClassVar[str] = "erase"


@dataclass(frozen=True, slots=True)
class PredictionsRequested:
    """``job.clv`` (refit BG/NBD, Gamma-Gamma and MBG/NBD on the orders up to ``as_of``),
    ``job.churn`` (record the churn levels of ``as_of`` in the timeline) or ``job.backtest``
    (fit up to 180 days before ``as_of``, compare the prediction with what happened)."""

    job: str  # clv, churn, backtest
    as_of: date  # a day in the shop's timezone
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertJobRequested:
    """``job.alerts`` (evaluate the scheduled alert conditions: the sales drop up to the day
    before ``as_of``, the orders overdue at ``at``) or ``job.fulfillment`` (only the paid
    orders overdue at ``at``: fulfillment_delayed), each at the shop's next live publish; or
    ``job.digests`` (send the daily and weekly digests now: the warnings and info alerts not
    e-mailed yet, whatever the time of day)."""

    job: str  # alerts, fulfillment, digests
    as_of: date  # a day in the shop's timezone
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertsRaised:
    """``job.alerts_raised``: alerts a live publish raised, logged as a fact of the stream
    (a replay restores them and raises none of its own)."""

    alerts: tuple[Alert, ...]
    at: datetime
    health_seen: tuple[tuple[str, str], ...] = ()  # (cause, noted at) checked with them
    job: ClassVar[str] = "alerts_raised"


@dataclass(frozen=True, slots=True)
class AlertAcknowledged:
    """``job.acknowledge_alert``: someone with the admin token acknowledged an alert."""

    alert_id: int
    at: datetime
    job: ClassVar[str] = "acknowledge_alert"


@dataclass(frozen=True, slots=True)
class HealthNoted:
    """``job.health_noted``: a problem of the shop's pipeline found outside its processor
    (``cause``: webhook_disabled, gaps_repaired), raised as pipeline_health at the next
    live publish."""

    cause: str
    count: int
    detail: str
    at: datetime
    job: ClassVar[str] = "health_noted"
