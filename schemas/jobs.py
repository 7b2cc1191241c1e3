"""Jobs that run inside a shop's processor: published as envelopes (``job.<name>``) into the
shop's partition, so the shop's one writer runs them in order with its events, and kept in
the raw log, so ``replay`` runs them again at the same points.

``job.rfm``  body ``{"as_of": "YYYY-MM-DD"}``: rescore every customer as of that day.
``job.clv``, ``job.churn``, ``job.backtest`` body ``{"as_of": "YYYY-MM-DD"}``: predictions
(see ``PredictionsRequested``).
``job.retention`` body ``{"as_of": "YYYY-MM-DD"}``: purge the raw log (the shop's
``raw_retention_days``).
``job.erase`` body ``{"customer_key": "...", "erasure_id": "..."}``: GDPR erasure.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

from schemas.envelope import Envelope
from schemas.jsoncodec import dumps_text

# SPEC §5: what ``wcpulse jobs run JOB`` accepts; PROCESSOR_JOBS are the ones implemented
# as processor jobs so far.
JOB_NAMES: tuple[str, ...] = (
    "rfm",
    "clv",
    "churn",
    "products",
    "alerts",
    "digests",
    "fulfillment",
    "backtest",
    "retention",
)
RFM = "rfm"
ERASE = "erase"
CLV = "clv"
CHURN = "churn"
BACKTEST = "backtest"
PRODUCTS = "products"
ALERTS = "alerts"
FULFILLMENT = "fulfillment"
DIGESTS = "digests"
RETENTION = "retention"
# meta and manifest: what the newest ``job.retention`` did (days, cutoff, envelopes dropped)
RETENTION_DONE = "raw_retention"
ALERTS_RAISED = "alerts_raised"
ACKNOWLEDGE_ALERT = "acknowledge_alert"
HEALTH_NOTED = "health_noted"
PREDICTION_JOBS: tuple[str, ...] = (CLV, CHURN, BACKTEST)
PROCESSOR_JOBS = frozenset(
    {RFM, ERASE, PRODUCTS, ALERTS, RETENTION, *PREDICTION_JOBS}
)  # processors/jobs.py runs them
# the days a job may be run as of (what ``wcpulse jobs run --as-of`` accepts)
EARLIEST_AS_OF = date(1970, 1, 1)
LATEST_AS_OF = date(2100, 1, 1)


def job_envelope(shop_id: str, job: str, params: dict[str, Any], received_at: datetime) -> Envelope:
    return Envelope(
        shop_id=shop_id,
        topic=f"job.{job}",
        resource="job",
        event=job,
        resource_id=None,
        body=dumps_text(params),
        received_at=received_at,
        source="job",
    )


def rescore_envelope(shop_id: str, as_of: date, received_at: datetime) -> Envelope:
    return dated_job_envelope(shop_id, RFM, as_of, received_at)


def dated_job_envelope(shop_id: str, job: str, as_of: date, received_at: datetime) -> Envelope:
    """``job.<job> {"as_of": ...}``: rfm, clv, churn or backtest."""
    return job_envelope(shop_id, job, {"as_of": as_of.isoformat()}, received_at)


def acknowledge_envelope(shop_id: str, alert_id: int, received_at: datetime) -> Envelope:
    return job_envelope(shop_id, ACKNOWLEDGE_ALERT, {"alert_id": str(alert_id)}, received_at)


def health_envelope(
    shop_id: str, cause: str, count: int, detail: str, received_at: datetime
) -> Envelope:
    """``job.health_noted``: something outside the shop's pipeline found it wrong
    (``cause``: webhook_disabled, gaps_repaired from the scheduler's sync and webhook
    check; dead_lettered from the consumer)."""
    params = {"cause": cause, "count": count, "detail": detail}
    return job_envelope(shop_id, HEALTH_NOTED, params, received_at)


def erase_envelope(shop_id: str, customer_key: str, received_at: datetime) -> Envelope:
    params = {"customer_key": customer_key, "erasure_id": secrets.token_hex(8)}
    return job_envelope(shop_id, ERASE, params, received_at)
