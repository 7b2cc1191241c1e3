"""The live processor's alert mail: after a shop's publish (and on a timer for the digests
and the retries) its recent alerts go to the ``Notifier``; a send that gave up raises a
``pipeline_health`` alert (the mail server is failing), kept like any other alert."""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog

from processors.alerts.alert_jobs import raised_envelope
from processors.alerts.candidates import Candidate, Run, fresh
from processors.alerts.notifier import DIGEST_WINDOW, Notifier
from processors.shop_unit import ShopUnit
from schemas.control_events import AlertsRaised
from schemas.shop import ShopConfig
from store.alert_sends import FAILED, SendOutcome
from store.state_alerts import DIGESTS_DONE, DIGESTS_DUE, recent_alerts, set_alerts_meta

log = structlog.get_logger(__name__)

MAIL_TICK = 30.0  # seconds between looks at a shop's digests and retries


def send_alert_mail(
    notifier: Notifier, unit: ShopUnit, shop: ShopConfig | None, now: datetime
) -> bool:
    """Send the shop's due alert e-mails; True when that raised an alert (the views are
    due a publish). Never raises (the edge: mail waits, logged)."""
    if shop is None:
        return False
    try:
        digests = _digests_due(unit)
        if not shop.alerts.recipients and digests is None:
            return False
        alerts = recent_alerts(unit.state.connection, shop.shop_id, now - DIGEST_WINDOW)
        outcomes = notifier.notify(shop, alerts, now, digests_now=digests is not None)
        if digests is not None:  # job.digests: done (the views say so at the next publish)
            with unit.state.transaction() as tx:
                set_alerts_meta(tx, DIGESTS_DONE, digests)
        failed = [o for o in outcomes if o.status == FAILED]
        if failed:
            return _mail_failing(unit, shop, failed, now, notifier.mailer.describe())
        return digests is not None
    except Exception as exc:  # noqa: BLE001 - the edge: the alerts are kept, mail waits
        log.error("alert_mail_error", shop_id=shop.shop_id, error=type(exc).__name__,
                  exc_info=True)  # fmt: skip
    return False


def _digests_due(unit: ShopUnit) -> str | None:
    """The time of a ``job.digests`` not served yet."""
    metas = unit.state.get_metas([DIGESTS_DUE, DIGESTS_DONE])
    due, done = metas[DIGESTS_DUE], metas[DIGESTS_DONE]
    return due if due and not (done and done >= due) else None


def _mail_failing(
    unit: ShopUnit, shop: ShopConfig, failed: list[SendOutcome], now: datetime, where: str
) -> bool:
    """A pipeline_health alert: alert e-mail could not be delivered."""
    if not shop.alerts.enabled("pipeline_health"):
        return False
    run = Run(unit.state.connection, shop, shop.alerts, now)
    cooldown = timedelta(hours=shop.alerts.number("pipeline_health", "cooldown_hours"))
    alerts = len({i for o in failed for i in o.alert_ids})
    candidate: Candidate = run.candidate(
        "pipeline_health",
        "mail",
        cooldown,
        title="Alert e-mails are not being delivered",
        message=f"{alerts} alert(s) could not be e-mailed via {where}: {failed[0].error}. "
        "Check WCPULSE_SMTP_URL and the mail server; the alerts stay in the dashboard.",
        measured=float(failed[0].attempts),
        threshold=None,
        unit=" attempts",
        subject_kind="shop",
        subject_id="",
        subject_label=shop.name,
    )
    raised = fresh(unit.state.connection, [candidate], now)
    if raised:
        unit.apply([raised_envelope(shop.shop_id, AlertsRaised(tuple(raised), now))], now)
    return bool(raised)
