"""Whether each alert's e-mail went out, beside the alerts list's columns.

``mail_status`` and ``mail_error`` are not in the published alerts view: the send log lives
in the metadata database (store/alert_sends.py) and changes without a publish (a send
succeeds, is retried, gives up). So the alerts list reads it at request time, once, joins
it to the view's rows in DuckDB, and its ETag is the views' version plus a hash of these
rows: it changes when a status does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from store.alert_sends import MailStatus

MAIL_SOURCE = "alert_sends"  # a route's ETag source: the shop's alert send log
MAIL_TABLE = "alert_mail"
NO_MAIL = "none"
MAIL_STATUSES = ("sent", "pending", "failed", NO_MAIL)
MAIL_FIELDS = (pa.field("mail_status", pa.string()), pa.field("mail_error", pa.string()))
_SCHEMA = pa.schema([pa.field("alert_id", pa.int64()), *MAIL_FIELDS])
# the alerts view's rows with their mail status (``alerts`` is the view, ``alert_mail`` the
# table ``register_mail`` puts beside it)
MAILED_ALERTS_SQL = (
    f"SELECT a.*, coalesce(m.mail_status, '{NO_MAIL}') AS mail_status, m.mail_error "
    f"FROM alerts AS a LEFT JOIN {MAIL_TABLE} AS m ON a.alert_id = m.alert_id"
)
MAIL_DESCRIPTION = (
    "`mail_status` says whether the alert's e-mail went out: `sent` (to every recipient it "
    "was sent to), `pending` (a send failed and will be tried again), `failed` (a send gave "
    "up after its retries, or the mail server refused it for good), `none` (not mailed or "
    "tried yet: no recipients, or its digest is still to come); `mail_error` is the mail "
    "server's answer to the failed or pending send. They are read from the send log at "
    "request time: the ETag changes when they do."
)


class MailStatusLog(Protocol):
    def mail_statuses(self, shop_id: str) -> list[MailStatus]: ...


class ShopAlertMail:
    """One shop's alert mail statuses for one request: read once, so the ETag and the body
    come from the same rows. Nothing is read until a route asks."""

    def __init__(self, shops: Any, shop_id: str) -> None:
        self._shops = shops
        self.shop_id = shop_id
        self._rows: list[MailStatus] | None = None

    def rows(self) -> list[MailStatus]:
        if self._rows is None:
            # a metadata store without a send log (a test double) has sent nothing
            log: MailStatusLog | None = getattr(self._shops, "alert_sends", None)
            self._rows = log.mail_statuses(self.shop_id) if log is not None else []
        return self._rows

    def stamp(self) -> str:
        text = json.dumps([(r.alert_id, r.status, r.error) for r in self.rows()])
        return hashlib.sha256(text.encode()).hexdigest()

    def table(self) -> pa.Table:
        rows = [{"alert_id": r.alert_id, "mail_status": r.status, "mail_error": r.error}
                for r in self.rows()]  # fmt: skip
        return pa.Table.from_pylist(rows, schema=_SCHEMA)


def register_mail(connection: duckdb.DuckDBPyConnection, mail: ShopAlertMail | None) -> None:
    """Put the request's mail statuses beside the alerts view (``MAILED_ALERTS_SQL``)."""
    table = mail.table() if mail is not None else _SCHEMA.empty_table()
    connection.register(MAIL_TABLE, table)
