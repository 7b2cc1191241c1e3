"""Alert e-mail end to end below the service: alerts raised by the real pipeline, sent by
the ``Notifier`` through a real SMTP server (aiosmtpd on a free port) or into a Maildir,
with the send log in a real SQLite metadata database. A critical alert is mailed at once
and exactly once (a restart and a replay send nothing again), a warning waits for the daily
digest's time, an SMTP outage delays an alert and never loses it, and a failing mail server
becomes a pipeline_health alert.
"""

from __future__ import annotations

import json
import mailbox
import socket
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from processors.alerts.dispatch import send_alert_mail
from processors.alerts.mailer import MaildirMailer, smtp_mailer
from processors.alerts.notifier import MailLinks, Notifier
from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.alerts import AlertSettings
from schemas.clock import FixedClock
from schemas.jobs import dated_job_envelope
from store.crypto import SecretBox
from store.metadata import ShopRegistry
from store.view_files import read_view
from tests.integration.live_publish import publish_live
from tests.integration.test_alerts_pipeline import NOW, SHOP, TODAY, order

OWNER = "owner@example.com"
LINKS = MailLinks("alerts@pulse.example", "https://pulse.example")


class _Controller(Controller):
    def _trigger_server(self) -> None:  # port 0: the kernel picks a free one
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        return "250 2.0.0 Queued"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box = Inbox()
    controller = _Controller(box, hostname="127.0.0.1", port=0, ready_timeout=5)
    controller.start()
    try:
        yield box, controller.port
    finally:
        controller.stop()


@pytest.fixture
def registry(tmp_path) -> Iterator[ShopRegistry]:
    with ShopRegistry(f"sqlite:///{tmp_path / 'meta.db'}", SecretBox(bytes(32))) as opened:
        opened.create_tables()
        yield opened


def _shop(daily_at: str = "08:00") -> object:
    return replace(SHOP, alerts=AlertSettings(recipients=(OWNER,), daily_at=daily_at))


def _sales_drop(tmp_path, shop) -> ShopPipeline:
    """A shop whose last 7 days sold 6 orders a day against 10 the 7 before, after
    job.alerts: one critical sales_drop alert."""
    pipeline = ShopPipeline(tmp_path / "data", shop)
    envelopes, order_id = [], 1
    for back in range(1, 15):
        for n in range(6 if back <= 7 else 10):
            day = datetime.combine(TODAY - timedelta(days=back), datetime.min.time(), UTC)
            envelopes.append(order(order_id, day + timedelta(hours=10 + n), customer=order_id))
            order_id += 1
    pipeline.apply(envelopes, NOW)
    pipeline.apply([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)], NOW)
    publish_live(pipeline, NOW)
    return pipeline


def test_a_sales_drop_is_one_critical_e_mail_at_once_and_never_again(tmp_path, inbox, registry):
    box, port = inbox
    notifier = Notifier(smtp_mailer(f"smtp://127.0.0.1:{port}"), registry.alert_sends, LINKS)
    shop = _shop()
    pipeline = _sales_drop(tmp_path, shop)
    try:
        send_alert_mail(notifier, pipeline, shop, NOW)
        (message,) = box.messages
        assert message["Subject"].startswith("[Critical] Sales down 40% on the week before")
        assert message["To"] == OWNER and message["List-Unsubscribe"]
        text = message.get_body(("plain",)).get_content()
        assert "40% against a threshold of 30%" in text
        send_alert_mail(notifier, pipeline, shop, NOW + timedelta(minutes=1))
    finally:
        pipeline.close()
    # a restart: a new notifier and pipeline over the same send log and state
    restarted = Notifier(smtp_mailer(f"smtp://127.0.0.1:{port}"), registry.alert_sends, LINKS)
    replay_shop(tmp_path / "data", shop, FixedClock(NOW + timedelta(minutes=5)))
    pipeline = ShopPipeline(tmp_path / "data", shop)
    try:
        send_alert_mail(restarted, pipeline, shop, NOW + timedelta(minutes=6))
    finally:
        pipeline.close()
    assert len(box.messages) == 1


def test_a_warning_waits_for_the_daily_digest_at_its_time(tmp_path, inbox, registry):
    box, port = inbox
    notifier = Notifier(smtp_mailer(f"smtp://127.0.0.1:{port}"), registry.alert_sends, LINKS)
    shop = _shop(daily_at="08:00")  # NOW is 12:00 UTC: today's digest went out at 08:00
    pipeline = ShopPipeline(tmp_path / "data", shop)
    try:
        late = order(1, NOW - timedelta(hours=50), status="processing")
        pipeline.apply([late, dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)], NOW)
        publish_live(pipeline, NOW)
        (alert,) = read_view(pipeline.paths.views_dir, "alerts").to_pylist()
        assert alert["severity"] == "warning"
        for hours in (1, 12, 19):  # 13:00, 00:00, 07:00: before tomorrow's digest
            send_alert_mail(notifier, pipeline, shop, NOW + timedelta(hours=hours))
        assert box.messages == []
        send_alert_mail(notifier, pipeline, shop, NOW + timedelta(hours=20, minutes=1))
        send_alert_mail(notifier, pipeline, shop, NOW + timedelta(hours=21))
    finally:
        pipeline.close()
    (digest,) = box.messages
    assert digest["Subject"].startswith("Daily digest: 1 warning")
    assert "Order #1 not shipped" in digest.get_body(("plain",)).get_content()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_smtp_outage_delays_the_alert_and_never_loses_it(tmp_path, registry):
    port = _closed_port()
    notifier = Notifier(smtp_mailer(f"smtp://127.0.0.1:{port}"), registry.alert_sends, LINKS)
    shop = _shop()
    pipeline = _sales_drop(tmp_path, shop)
    try:
        send_alert_mail(notifier, pipeline, shop, NOW)  # refused: retry in a minute
        send_alert_mail(notifier, pipeline, shop, NOW + timedelta(seconds=30))  # not yet
        box = Inbox()
        controller = _Controller(box, hostname="127.0.0.1", port=port, ready_timeout=5)
        controller.start()
        try:
            send_alert_mail(notifier, pipeline, shop, NOW + timedelta(seconds=30))
            assert box.messages == []  # still pausing
            send_alert_mail(notifier, pipeline, shop, NOW + timedelta(minutes=2))
            send_alert_mail(notifier, pipeline, shop, NOW + timedelta(minutes=10))
        finally:
            controller.stop()
    finally:
        pipeline.close()
    (message,) = box.messages
    assert message["Subject"].startswith("[Critical] Sales down")


def test_a_mail_server_that_keeps_failing_becomes_a_pipeline_health_alert(tmp_path, registry):
    notifier = Notifier(
        smtp_mailer(f"smtp://127.0.0.1:{_closed_port()}"), registry.alert_sends, LINKS
    )
    shop = _shop()
    pipeline = _sales_drop(tmp_path, shop)
    try:
        at = NOW
        for _ in range(8):  # every try after its pause: 1, 2, 4 ... minutes
            send_alert_mail(notifier, pipeline, shop, at)
            at += timedelta(hours=1, minutes=5)
        pipeline.publish(at)
        alerts = read_view(pipeline.paths.views_dir, "alerts").to_pylist()
    finally:
        pipeline.close()
    (health,) = [a for a in alerts if a["type"] == "pipeline_health"]
    assert health["severity"] == "critical" and "not being delivered" in health["title"]


def test_without_smtp_the_maildir_receives_the_same_message(tmp_path, registry):
    shop = _shop()
    pipeline = _sales_drop(tmp_path, shop)
    try:
        maildir = MaildirMailer(tmp_path / "mail")
        send_alert_mail(Notifier(maildir, registry.alert_sends, LINKS), pipeline, shop, NOW)
    finally:
        pipeline.close()
    (stored,) = list(mailbox.Maildir(tmp_path / "mail", create=False))
    assert stored["Subject"].startswith("[Critical] Sales down 40%")
    assert stored["To"] == OWNER


def test_job_digests_sends_the_waiting_warnings_now(tmp_path, inbox, registry):
    box, port = inbox
    notifier = Notifier(smtp_mailer(f"smtp://127.0.0.1:{port}"), registry.alert_sends, LINKS)
    shop = _shop(daily_at="08:00")
    pipeline = ShopPipeline(tmp_path / "data", shop)
    try:
        late = order(1, NOW - timedelta(hours=50), status="processing")
        pipeline.apply([late, dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)], NOW)
        publish_live(pipeline, NOW)
        at = NOW + timedelta(hours=1)
        assert not send_alert_mail(notifier, pipeline, shop, at)  # 13:00: the digest waits
        assert box.messages == []
        pipeline.apply([dated_job_envelope(SHOP.shop_id, "digests", TODAY, at)], at)
        assert send_alert_mail(notifier, pipeline, shop, at)  # done: the views say so next
        publish_live(pipeline, at)
        send_alert_mail(notifier, pipeline, shop, at + timedelta(minutes=1))  # nothing twice
        manifest = json.loads((pipeline.paths.views_dir / "manifest.json").read_text())
    finally:
        pipeline.close()
    (digest,) = box.messages
    assert digest["Subject"].startswith("Daily digest: 1 warning")
    assert manifest["jobs_applied"]["digests"] == at.isoformat()
