"""Alert e-mails: critical alerts at once, warnings in the daily digest, info in the weekly
one (SPEC §4), each alert to each recipient once (the send log), retried with a growing
pause when the mail server fails, and given up (``failed``) after ``MAX_ATTEMPTS``.

``plan_mail`` (pure) says what is due for a shop at ``now``: per recipient, the critical
alerts of the last day not sent yet (one message; several raised together share one), the
warnings raised before the last daily digest time (the shop's ``daily_at``, shop time) and
the info alerts raised before the last weekly one (``weekly_on`` at ``daily_at``), each
within the last 8 days, so a new recipient does not get the shop's whole history. A send
that failed is due again once its pause is over. Critical alerts raised within
``CRITICAL_HOLD`` of the last critical message a recipient got wait until then and go
together in one message: a burst (a history import, a bad hour) is a few e-mails, not one per
publish.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from email.message import EmailMessage
from typing import Protocol
from zoneinfo import ZoneInfo

import structlog

from processors.alerts.mailer import Mailer, MailError
from processors.alerts.messages import alert_message, digest_message
from schemas.alerts import WEEKDAYS, Alert, unsubscribe_url
from schemas.shop import ShopConfig
from store.alert_sends import FAILED, RETRYING, SENT, SendOutcome, SendState

log = structlog.get_logger(__name__)

CRITICAL_WINDOW = timedelta(hours=24)
CRITICAL_HOLD = timedelta(minutes=5)  # at most one critical message per recipient this often
DIGEST_WINDOW = timedelta(days=8)
MAX_ATTEMPTS = 8  # about three hours of tries: 1, 2, 4, 8, 16, 32, 60 minutes apart
KIND_OF = {"critical": "now", "warning": "daily", "info": "weekly"}


class SendLog(Protocol):
    def states(
        self, shop_id: str, alert_ids: Sequence[int]
    ) -> dict[tuple[int, str], SendState]: ...

    def record(self, shop_id: str, outcomes: Sequence[SendOutcome]) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    recipient: str
    kind: str  # now | daily | weekly
    alerts: tuple[Alert, ...]
    attempts: int  # tries so far (the most of its alerts)


def backoff(attempts: int) -> timedelta:
    """The pause after ``attempts`` failed tries: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def last_slots(shop: ShopConfig, now: datetime) -> tuple[datetime, datetime]:
    """The latest daily and weekly digest times at or before ``now`` (aware, UTC)."""
    zone = ZoneInfo(shop.timezone)
    local = now.astimezone(zone)
    hour, minute = (int(part) for part in shop.alerts.daily_at.split(":"))
    daily = datetime.combine(local.date(), time(hour, minute), zone)
    if daily > local:
        daily -= timedelta(days=1)
    weekday = WEEKDAYS.index(shop.alerts.weekly_on)
    weekly = daily - timedelta(days=(daily.weekday() - weekday) % 7)
    return daily.astimezone(now.tzinfo), weekly.astimezone(now.tzinfo)


def plan_mail(
    shop: ShopConfig,
    alerts: Sequence[Alert],
    states: dict[tuple[int, str], SendState],
    now: datetime,
    digests_now: bool = False,
) -> list[Outgoing]:
    """What to send now, per recipient and kind (see the module doc); ``digests_now``: the
    digests as if their time were now (``job.digests``)."""
    daily, weekly = (now, now) if digests_now else last_slots(shop, now)
    cutoff = {"now": now, "daily": daily, "weekly": weekly}
    planned: list[Outgoing] = []
    for recipient in shop.alerts.recipients:
        by_kind: dict[str, list[Alert]] = {"now": [], "daily": [], "weekly": []}
        for alert in alerts:
            kind = KIND_OF.get(alert.severity, "weekly")
            window = CRITICAL_WINDOW if kind == "now" else DIGEST_WINDOW
            if not (now - window <= alert.created_at <= cutoff[kind]):
                continue
            if _due(states.get((alert.alert_id, recipient)), now):
                by_kind[kind].append(alert)
        if _held(states, recipient, now):
            by_kind["now"] = []  # they go together once the hold is over
        for kind, due in by_kind.items():
            if due:
                tries = max((_tries(states, a, recipient) for a in due), default=0)
                planned.append(Outgoing(recipient, kind, tuple(due), tries))
    return planned


def _held(states: dict[tuple[int, str], SendState], recipient: str, now: datetime) -> bool:
    """Whether ``recipient`` got a critical message less than ``CRITICAL_HOLD`` ago."""
    last = max(
        (
            state.sent_at
            for (_, to), state in states.items()
            if to == recipient and state.kind == "now" and state.sent_at is not None
        ),
        default=None,
    )
    return last is not None and now - last < CRITICAL_HOLD


def _due(state: SendState | None, now: datetime) -> bool:
    if state is None:
        return True
    if state.status != RETRYING:
        return False
    return state.next_attempt_at is None or state.next_attempt_at <= now


def _tries(states: dict[tuple[int, str], SendState], alert: Alert, recipient: str) -> int:
    state = states.get((alert.alert_id, recipient))
    return state.attempts if state else 0


@dataclass(frozen=True)
class MailLinks:
    sender: str
    public_url: str  # the dashboard and unsubscribe links start here
    # the shop's secret for a recipient's one-click unsubscribe link (None: no such link)
    secret_of: Callable[[str], str | None] | None = None

    def dashboard(self, shop_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/dashboard/{shop_id}"

    def unsubscribe(self, shop_id: str, recipient: str) -> str:
        secret = self.secret_of(shop_id) if self.secret_of else None
        if not secret:
            return self.dashboard(shop_id) + "#alert-settings"
        return unsubscribe_url(self.public_url, shop_id, recipient, secret)


class Notifier:
    """Sends a shop's due alert e-mails and keeps their outcome in the send log."""

    def __init__(self, mailer: Mailer, sends: SendLog, links: MailLinks) -> None:
        self.mailer = mailer
        self._sends = sends
        self._links = links

    def notify(
        self, shop: ShopConfig, alerts: Sequence[Alert], now: datetime, digests_now: bool = False
    ) -> list[SendOutcome]:
        """Send what is due now (``digests_now``: the digests too, whatever the time); the
        outcomes (also kept in the send log)."""
        if not shop.alerts.recipients or not alerts:
            return []
        recent = [a for a in alerts if a.created_at >= now - DIGEST_WINDOW]
        states = self._sends.states(shop.shop_id, [a.alert_id for a in recent])
        planned = plan_mail(shop, recent, states, now, digests_now)
        outcomes = [self._send(shop, o, now) for o in planned]
        if outcomes:
            self._sends.record(shop.shop_id, outcomes)
        return outcomes

    def _send(self, shop: ShopConfig, outgoing: Outgoing, now: datetime) -> SendOutcome:
        message = self._message(shop, outgoing)
        ids = tuple(a.alert_id for a in outgoing.alerts)
        attempts = outgoing.attempts + 1
        try:
            self.mailer.send(message)
        except MailError as exc:
            gave_up = not exc.retryable or attempts >= MAX_ATTEMPTS
            log.warning(
                "alert_mail_failed",
                shop_id=shop.shop_id,
                kind=outgoing.kind,
                attempts=attempts,
                gave_up=gave_up,
                error=str(exc),
            )
            status, retry_at = (FAILED, None) if gave_up else (RETRYING, now + backoff(attempts))
            return SendOutcome(ids, outgoing.recipient, outgoing.kind, status, attempts, now,
                               retry_at, str(message["Message-ID"]), str(exc))  # fmt: skip
        return SendOutcome(ids, outgoing.recipient, outgoing.kind, SENT, attempts, now,
                           None, str(message["Message-ID"]))  # fmt: skip

    def _message(self, shop: ShopConfig, outgoing: Outgoing) -> EmailMessage:
        dashboard = self._links.dashboard(shop.shop_id)
        mail = {
            "shop_name": shop.name,
            "recipient": outgoing.recipient,
            "sender": self._links.sender,
            "dashboard_url": dashboard,
            "unsubscribe_url": self._links.unsubscribe(shop.shop_id, outgoing.recipient),
        }
        if outgoing.kind == "now" and len(outgoing.alerts) == 1:
            return alert_message(outgoing.alerts[0], **mail)
        return digest_message(outgoing.alerts, period=outgoing.kind, **mail)
