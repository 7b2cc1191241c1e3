"""The alert jobs inside a shop's processor: ``job.alerts`` (the scheduler's request for the
scheduled conditions, evaluated at the next live publish), ``job.alerts_raised`` (alerts a
live publish raised, kept by the state; a replay restores them from the raw log) and
``job.acknowledge_alert`` (from the admin API)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from processors.shop_unit import ShopUnit
from schemas.alerts import alert_from_json, alert_json
from schemas.envelope import Envelope
from schemas.events import AlertAcknowledged, AlertsRaised, AlertsRequested
from schemas.jobs import ALERTS_RAISED, job_envelope
from store.state_alerts import ALERTS_DUE, acknowledge_alert, record_alerts, set_alerts_meta

Params = Mapping[str, Any]


def parse_alerts_requested(params: Params, at: datetime) -> AlertsRequested:
    return AlertsRequested(date.fromisoformat(params["as_of"]), at)


def parse_alerts_raised(params: Params, at: datetime) -> AlertsRaised:
    alerts = params["alerts"]
    if not isinstance(alerts, list) or not all(isinstance(a, dict) for a in alerts):
        raise ValueError("alerts must be a list of alert objects")
    return AlertsRaised(tuple(alert_from_json(a) for a in alerts), at)


def parse_acknowledged(params: Params, at: datetime) -> AlertAcknowledged:
    return AlertAcknowledged(int(params["alert_id"]), at)


def note_alerts_requested(
    unit: ShopUnit, event: AlertsRequested, live: bool, now: datetime
) -> bool:
    due = json.dumps({"as_of": event.as_of.isoformat(), "at": event.at.isoformat()})
    with unit.state.transaction() as con:
        set_alerts_meta(con, ALERTS_DUE, due)
    return False


def keep_raised(unit: ShopUnit, event: AlertsRaised, live: bool, now: datetime) -> bool:
    with unit.state.transaction() as con:
        record_alerts(con, event.alerts)
    return False


def acknowledge(unit: ShopUnit, event: AlertAcknowledged, live: bool, now: datetime) -> bool:
    with unit.state.transaction() as con:
        acknowledge_alert(con, event.alert_id, event.at)
    return False


def raised_envelope(shop_id: str, event: AlertsRaised) -> Envelope:
    """``job.alerts_raised`` of ``event``'s alerts (what a live publish logs and applies)."""
    body = {"alerts": [alert_json(alert) for alert in event.alerts]}
    return job_envelope(shop_id, ALERTS_RAISED, body, event.at)
