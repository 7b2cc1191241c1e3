"""The alert e-mail send log, in the metadata database beside the shops: one row per alert
and recipient, so each alert reaches each recipient once across restarts and replays (a
replay restores the same alert ids). A failed send keeps its attempts and when to try next.
``mail_statuses`` sums a shop's log up per alert for the alerts list (``mail_status``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import BigInteger, Engine, Integer, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from store.metadata_models import Base, UTCDateTime

SENT, RETRYING, FAILED = "sent", "retrying", "failed"
PENDING = "pending"  # an alert's mail_status while a send of it is to be tried again


class AlertSendRow(Base):
    __tablename__ = "alert_sends"

    shop_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    alert_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # now | daily | weekly
    status: Mapped[str] = mapped_column(String(10))  # sent | retrying | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    message_id: Mapped[str] = mapped_column(String(100), default="")
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


@dataclass(frozen=True)
class SendState:
    status: str
    attempts: int
    next_attempt_at: datetime | None
    kind: str = ""  # now | daily | weekly
    sent_at: datetime | None = None


@dataclass(frozen=True)
class SendOutcome:
    """What became of one message to one recipient (for each of its alerts)."""

    alert_ids: tuple[int, ...]
    recipient: str
    kind: str
    status: str
    attempts: int
    at: datetime
    next_attempt_at: datetime | None = None
    message_id: str = ""
    error: str | None = None


@dataclass(frozen=True)
class MailStatus:
    """Whether an alert's e-mail went out: ``failed`` when its send to some recipient gave
    up (refused for good or out of retries), else ``pending`` while one is to be tried
    again, else ``sent``; ``error`` is that failed (or retrying) send's."""

    alert_id: int
    status: str  # sent | pending | failed
    error: str | None


def _summed(rows: Iterable[tuple[int, str, str | None]]) -> list[MailStatus]:
    """Per alert, from its ``(alert_id, status, last_error)`` rows in recipient order."""
    worst: dict[int, tuple[str, str | None]] = {}
    for alert_id, status, error in rows:
        if alert_id not in worst or _RANK[status] > _RANK[worst[alert_id][0]]:
            worst[alert_id] = (status, error)
    return [MailStatus(a, _MAIL_STATUS[s], e) for a, (s, e) in worst.items()]


_RANK = {SENT: 0, RETRYING: 1, FAILED: 2}
_MAIL_STATUS = {SENT: SENT, RETRYING: PENDING, FAILED: FAILED}


class AlertSends:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def states(self, shop_id: str, alert_ids: Iterable[int]) -> dict[tuple[int, str], SendState]:
        """Per (alert, recipient) sent or tried so far, of these alerts."""
        ids = sorted(set(alert_ids))
        found: dict[tuple[int, str], SendState] = {}
        for start in range(0, len(ids), 500):
            with self._sessions() as session:
                rows = session.scalars(
                    select(AlertSendRow).where(
                        AlertSendRow.shop_id == shop_id,
                        AlertSendRow.alert_id.in_(ids[start : start + 500]),
                    )
                )
                for r in rows:
                    found[(r.alert_id, r.recipient)] = SendState(
                        r.status, r.attempts, r.next_attempt_at, r.kind, r.sent_at
                    )
        return found

    def record(self, shop_id: str, outcomes: Sequence[SendOutcome]) -> None:
        with self._sessions.begin() as session:
            for outcome in outcomes:
                for alert_id in outcome.alert_ids:
                    row = session.get(AlertSendRow, (shop_id, alert_id, outcome.recipient))
                    if row is None:
                        row = AlertSendRow(
                            shop_id=shop_id, alert_id=alert_id, recipient=outcome.recipient
                        )
                        session.add(row)
                    row.kind, row.status, row.attempts = (
                        outcome.kind,
                        outcome.status,
                        outcome.attempts,
                    )
                    row.next_attempt_at = outcome.next_attempt_at
                    row.sent_at = outcome.at if outcome.status == SENT else None
                    row.message_id, row.last_error = outcome.message_id, outcome.error

    def mail_statuses(self, shop_id: str) -> list[MailStatus]:
        """The mail status of each of the shop's alerts sent or tried, by alert id."""
        columns = (AlertSendRow.alert_id, AlertSendRow.status, AlertSendRow.last_error)
        query = (
            select(*columns)
            .where(AlertSendRow.shop_id == shop_id)
            .order_by(AlertSendRow.alert_id, AlertSendRow.recipient)
        )
        with self._sessions() as session:
            rows = [tuple(row) for row in session.execute(query)]
        return _summed(rows)

    def delete_shop(self, shop_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(delete(AlertSendRow).where(AlertSendRow.shop_id == shop_id))
