"""The alert jobs inside a shop's processor: ``job.alerts`` (the scheduler's request for the
scheduled conditions, evaluated at the next live publish), ``job.alerts_raised`` (alerts a
live publish raised, kept by the state; a replay restores them from the raw log) and
``job.acknowledge_alert`` (from the admin API)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from processors.shop_unit import ShopUnit
from schemas.alerts import alert_from_json, alert_json
from schemas.control_events import AlertAcknowledged, AlertJobRequested, AlertsRaised, HealthNoted
from schemas.envelope import Envelope
from schemas.jobs import ALERTS_RAISED, FULFILLMENT, job_envelope
from store.state_alerts import (
    ALERTS_DONE_AT,
    ALERTS_DUE,
    DIGESTS_DUE,
    HEALTH_NOTED,
    HEALTH_SEEN,
    acknowledge_alert,
    merge_meta,
    record_alerts,
    set_alerts_meta,
)

HEALTH_CAUSES = ("webhook_disabled", "gaps_repaired", "dead_lettered")
# causes whose notes add up until an alert check has seen them (each note is news)
COUNTED_CAUSES = ("dead_lettered",)

Params = Mapping[str, Any]


def alert_job(name: str) -> Callable[[Params, datetime], AlertJobRequested]:
    """How ``job.<name>``'s body ``{"as_of": "YYYY-MM-DD"}`` becomes its event (``name``:
    alerts, fulfillment or digests)."""
    return lambda params, at: AlertJobRequested(name, date.fromisoformat(params["as_of"]), at)


def parse_alerts_raised(params: Params, at: datetime) -> AlertsRaised:
    alerts, seen = params["alerts"], params.get("health_seen", {})
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise ValueError("alerts must be a list of alert objects")
    if not isinstance(seen, dict):
        raise ValueError("health_seen must be an object")
    raised = tuple(alert_from_json(a) for a in alerts)
    return AlertsRaised(raised, at, tuple(sorted((str(k), str(v)) for k, v in seen.items())))


def parse_health_noted(params: Params, at: datetime) -> HealthNoted:
    cause, detail = params["cause"], params["detail"]
    if cause not in HEALTH_CAUSES or not isinstance(detail, str):
        raise ValueError(f"cause must be one of {', '.join(HEALTH_CAUSES)}, detail text")
    return HealthNoted(cause, int(params["count"]), detail[:500], at)


def note_health(unit: ShopUnit, event: HealthNoted, live: bool, now: datetime) -> bool:
    """Keep the latest note per cause; a counted cause's count adds to its note's when no
    alert check has seen that one yet."""
    with unit.state.transaction() as con:
        count = event.count
        if event.cause in COUNTED_CAUSES:
            count += _unseen_count(con, event.cause)
        note = {"at": event.at.isoformat(), "count": count, "detail": event.detail}
        merge_meta(con, HEALTH_NOTED, {event.cause: note})
    return False


def _unseen_count(con: Any, cause: str) -> int:
    found = dict(con.execute(
        "SELECT key, value FROM meta WHERE key IN (?, ?)", [HEALTH_NOTED, HEALTH_SEEN]
    ).fetchall())  # fmt: skip
    before = json.loads(found.get(HEALTH_NOTED) or "{}").get(cause)
    seen = json.loads(found.get(HEALTH_SEEN) or "{}").get(cause, "")
    return int(before["count"]) if before and before["at"] > seen else 0


def parse_acknowledged(params: Params, at: datetime) -> AlertAcknowledged:
    return AlertAcknowledged(int(params["alert_id"]), at)


def note_digests_requested(
    unit: ShopUnit, event: AlertJobRequested, live: bool, now: datetime
) -> bool:
    with unit.state.transaction() as con:
        set_alerts_meta(con, DIGESTS_DUE, event.at.isoformat())
    return False


def note_alerts_requested(
    unit: ShopUnit, event: AlertJobRequested, live: bool, now: datetime
) -> bool:
    """Ask the next live publish for the scheduled checks (``job.fulfillment``: only the
    overdue orders, unless a whole check is already waiting)."""
    only = FULFILLMENT if event.job == FULFILLMENT else None
    with unit.state.transaction() as con:
        waiting = con.execute("SELECT value FROM meta WHERE key = ?", [ALERTS_DUE]).fetchall()
        done = con.execute("SELECT value FROM meta WHERE key = ?", [ALERTS_DONE_AT]).fetchall()
        if only and waiting:
            before = json.loads(waiting[0][0])
            if not (done and done[0][0] >= before["at"]) and before.get("only") is None:
                only = None  # a whole check is still to come: this one rides along
        due = {"as_of": event.as_of.isoformat(), "at": event.at.isoformat(), "only": only}
        set_alerts_meta(con, ALERTS_DUE, json.dumps(due))
    return False


def keep_raised(unit: ShopUnit, event: AlertsRaised, live: bool, now: datetime) -> bool:
    with unit.state.transaction() as con:
        record_alerts(con, event.alerts)
        if event.health_seen:
            merge_meta(con, HEALTH_SEEN, dict(event.health_seen))
    return False


def acknowledge(unit: ShopUnit, event: AlertAcknowledged, live: bool, now: datetime) -> bool:
    with unit.state.transaction() as con:
        acknowledge_alert(con, event.alert_id, event.at)
    return False


def raised_envelope(shop_id: str, event: AlertsRaised) -> Envelope:
    """``job.alerts_raised`` of ``event``'s alerts (what a live publish logs and applies)."""
    body: dict[str, Any] = {"alerts": [alert_json(alert) for alert in event.alerts]}
    if event.health_seen:
        body["health_seen"] = dict(event.health_seen)
    return job_envelope(shop_id, ALERTS_RAISED, body, event.at)
