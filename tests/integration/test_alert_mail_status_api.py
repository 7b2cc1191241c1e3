"""Whether an alert's e-mail went out, on the alert itself: the alerts list (JSON and CSV)
gains ``mail_status`` and ``mail_error`` from the send log, through the real read API over
real views (DuckDB, Parquet), a real SQLite metadata database and a real SMTP server
(aiosmtpd) answering 550, 451 or 250. The ETag moves when a status does, though no view was
published again.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest

from api.app import create_app
from api.catalog import ROUTES
from api.openapi import build_openapi
from processors.alerts.alert_jobs import raised_envelope
from processors.alerts.mailer import smtp_mailer
from processors.alerts.notifier import Notifier
from processors.pipeline import ShopPipeline
from schemas.alerts import Alert
from schemas.clock import FixedClock
from schemas.control_events import AlertsRaised
from schemas.settings import Settings
from store.crypto import SecretBox
from store.metadata import ShopRegistry
from tests.integration.openapi_check import problems
from tests.integration.test_alert_mail import LINKS, OWNER, _Controller

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)


class Server:
    """Answers every message's DATA with ``answer``; keeps the subjects it accepted."""

    def __init__(self) -> None:
        self.answer = "250 2.0.0 Queued"
        self.subjects: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.answer.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.subjects.append(str(message["Subject"]))
        return self.answer


def _alert(shop_id: str, n: int, alert_type: str, severity: str = "critical") -> Alert:
    return Alert(
        alert_id=5000 + n,
        shop_id=shop_id,
        type=alert_type,
        severity=severity,
        title=f"Alert number {n}",
        message=f"Message {n}",
        measured=40.0,
        threshold=30.0,
        unit="%",
        subject_kind="shop",
        subject_id="",
        subject_label="Mail shop",
        created_at=NOW - timedelta(minutes=10 * n),
        dedup_key=f"shop:{n}",
    )


@pytest.fixture
def world(tmp_path) -> Iterator[dict]:
    server = Server()
    controller = _Controller(server, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    registry = ShopRegistry(f"sqlite:///{tmp_path / 'meta.db'}", SecretBox(bytes(32)))
    try:
        registry.create_tables()
        new = registry.add_shop(name="Mail shop", url="https://mail.example", now=NOW)
        shop = registry.set_alerts(new.shop.shop_id, NOW, (), [OWNER])
        alerts = [
            _alert(shop.shop_id, 1, "sales_drop"),
            _alert(shop.shop_id, 2, "churn_risk"),
            _alert(shop.shop_id, 3, "pipeline_health"),
            _alert(shop.shop_id, 4, "stock_low", "warning"),  # waits for its digest
        ]
        pipeline = ShopPipeline(tmp_path, shop)
        try:
            pipeline.apply([raised_envelope(shop.shop_id, AlertsRaised(tuple(alerts), NOW))], NOW)
            pipeline.publish(NOW)
        finally:
            pipeline.close()
        app = create_app(Settings(data_dir=tmp_path), registry, FixedClock(NOW))
        notifier = Notifier(
            smtp_mailer(f"smtp://127.0.0.1:{controller.port}"), registry.alert_sends, LINKS
        )
        yield {
            "client": app.test_client(),
            "token": new.api_token,
            "shop": shop,
            "alerts": alerts,
            "server": server,
            "notifier": notifier,
            "db": tmp_path / "meta.db",
        }
    finally:
        registry.close()
        controller.stop()


def _get(world: dict, query: str = "", **headers: str):
    headers = {"Authorization": f"Bearer {world['token']}", **headers}
    return world["client"].get(f"/api/v1/shops/{world['shop'].shop_id}/alerts{query}",
                               headers=headers)  # fmt: skip


def _statuses(world: dict) -> dict[int, tuple[str, str | None]]:
    rows = _get(world).get_json()["data"]
    return {row["alert_id"]: (row["mail_status"], row["mail_error"]) for row in rows}


def _send(world: dict, alert: Alert, answer: str) -> None:
    world["server"].answer = answer
    world["notifier"].notify(world["shop"], [alert], NOW)


def _logged(world: dict) -> dict[int, str]:
    """The send log's rows as the database holds them (read without the code under test)."""
    with sqlite3.connect(world["db"]) as con:
        rows = con.execute("SELECT alert_id, status FROM alert_sends").fetchall()
    return dict(rows)


def test_a_refused_send_shows_failed_with_the_error_and_a_delivered_one_sent(world):
    first, second, third, fourth = world["alerts"]
    assert {status for status, _ in _statuses(world).values()} == {"none"}
    _send(world, first, "550 5.7.1 Message rejected as spam")
    _send(world, second, "250 2.0.0 Queued")
    _send(world, third, "451 4.3.0 Try again later")
    assert _logged(world) == {first.alert_id: "failed", second.alert_id: "sent",
                              third.alert_id: "retrying"}  # fmt: skip
    statuses = _statuses(world)
    assert statuses[first.alert_id][0] == "failed"
    assert "550 5.7.1 Message rejected as spam" in statuses[first.alert_id][1]
    assert statuses[second.alert_id] == ("sent", None)
    assert statuses[third.alert_id][0] == "pending"
    assert "451 4.3.0 Try again later" in statuses[third.alert_id][1]
    assert statuses[fourth.alert_id] == ("none", None)
    assert [s.startswith("[Critical] Alert number 2") for s in world["server"].subjects] == [True]
    failed = _get(world, "?mail_status=failed,pending").get_json()["data"]
    assert [row["alert_id"] for row in failed] == [first.alert_id, third.alert_id]  # newest first


def test_the_etag_changes_when_a_mail_status_does_without_a_publish(world):
    first = world["alerts"][0]
    etag = _get(world).headers["ETag"]
    assert _get(world, **{"If-None-Match": etag}).status_code == 304
    _send(world, first, "550 5.1.1 No such user")
    changed = _get(world, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert _get(world, **{"If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_the_csv_carries_the_mail_columns_and_the_openapi_document_them(world):
    first = world["alerts"][0]
    _send(world, first, "550 5.7.1 Message rejected as spam")
    text = _get(world, "?format=csv").get_data(as_text=True)
    rows = {int(row["alert_id"]): row for row in csv.DictReader(io.StringIO(text))}
    assert rows[first.alert_id]["mail_status"] == "failed"
    assert "550" in rows[first.alert_id]["mail_error"]
    assert rows[world["alerts"][1].alert_id]["mail_status"] == "none"
    document = build_openapi(ROUTES)
    body = _get(world).get_json()
    assert problems(document, document["components"]["schemas"]["AlertList"], body) == []
    row = document["components"]["schemas"]["Alert"]["properties"]
    assert {"mail_status", "mail_error"} <= set(row)
    names = [
        p["name"] for p in document["paths"]["/api/v1/shops/{shop_id}/alerts"]["get"]["parameters"]
    ]
    assert "mail_status" in names


def test_a_shop_without_recipients_lists_every_alert_as_not_mailed(world):
    shop = replace(world["shop"], alerts=replace(world["shop"].alerts, recipients=()))
    assert world["notifier"].notify(shop, world["alerts"], NOW) == []
    assert {status for status, _ in _statuses(world).values()} == {"none"}
