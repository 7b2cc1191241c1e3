"""`wcpulse run` with WCPULSE_SMTP_URL pointing at a real SMTP server (aiosmtpd): an order
webhook from a VIP customer raises a vip_activity alert (made critical for this shop, so it
is mailed at once) whose e-mail reaches the inbox; the alerts endpoint lists it; more orders
within the cool-down send nothing more. The time from the webhook to the e-mail is printed
(a figure for the closing note, not a timed assertion)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.e2e.test_import_and_sync import add_woo_shop, shop_data
from tests.woo_server import running_woo_server

OWNER = "owner@example.com"


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(
            (time.monotonic(), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 2.0.0 Queued"


@pytest.fixture
def inbox():
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), ready_timeout=5)
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture
def service(tmp_path, inbox):
    _, port = inbox
    svc = Service(tmp_path, free_port(), {"WCPULSE_SMTP_URL": f"smtp://127.0.0.1:{port}"})
    yield svc
    svc.stop_all()


def _order(order_id: int, created: datetime) -> dict:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S")
    items = [{"product_id": 93, "quantity": 1, "total": "40.00"}]
    return woo.order(
        order_id,
        status="processing",
        customer_id=7,
        email="vip@example.com",
        created=stamp,
        paid=stamp,
        items=items,
    )


def _cli(svc: Service, *args: str) -> None:
    result = svc.cli(*args)
    assert result.returncode == 0, result.stderr


def start_with_a_vip(service: Service) -> dict:
    """A shop whose VIP alerts are critical (mailed at once) to OWNER, served by `wcpulse
    run`, with a repeat buyer's history (High value; not recent: no alert yet)."""
    shop = service.add_shop()
    shop_id = shop["shop_id"]
    _cli(service, "alerts", "recipients", shop_id, OWNER)
    # this buyer stopped for months: churn_risk would alert too; these tests watch VIP mail
    _cli(
        service,
        "alerts",
        "set",
        shop_id,
        "vip_activity.severity=critical",
        "churn_risk.enabled=false",
    )
    _cli(service, "shop", "set-predictions", shop_id, "--medium-value", "0", "--high-value", "0.01")
    service.start("run")
    now = datetime.now(UTC)
    for n in range(4):
        body = _order(100 + n, now - timedelta(days=300 - 60 * n))
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    wait_for(
        lambda: api_get(service.base_url, shop, "orders").json()["pagination"]["total"] == 4,
        what="the history",
    )
    return shop


def test_a_vip_order_webhook_e_mails_the_owner_at_once_and_only_once(service, inbox):
    box, _ = inbox
    shop = start_with_a_vip(service)
    shop_id = shop["shop_id"]
    assert box.messages == [], [m["Subject"] for _, m in box.messages]
    sent_at = time.monotonic()
    trigger = _order(500, datetime.now(UTC) - timedelta(minutes=1))
    assert post_webhook(service.base_url, shop, "order.created", trigger).status_code == 202
    arrived, message = wait_for(lambda: box.messages and box.messages[0], what="the VIP e-mail")
    print(f"\nwebhook to inbox: {arrived - sent_at:.3f} s")
    assert message["To"] == OWNER and "VIP order #500" in message["Subject"]
    assert f"/dashboard/{shop_id}#alert=" in message.get_body(("plain",)).get_content()
    unsubscribe = message["List-Unsubscribe"].strip("<>")
    assert "/alerts/unsubscribe?" in unsubscribe and f"shop={shop_id}" in unsubscribe
    # raised once the views were out, the alert shows with the publish that follows
    rows = wait_for(
        lambda: api_get(service.base_url, shop, "alerts", type="vip_activity").json()["data"],
        timeout=5.0,
        what="the VIP alert in the alerts list",
    )
    assert [(r["subject_id"], r["severity"]) for r in rows] == [("7", "critical")]
    for n in range(5):  # within the 24-hour cool-down: no second alert or e-mail
        body = _order(600 + n, datetime.now(UTC))
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    wait_for(
        lambda: api_get(service.base_url, shop, "orders").json()["pagination"]["total"] == 10,
        what="the later orders",
    )
    time.sleep(1.0)  # a publish and a mail round after the last order; nothing may arrive
    assert len(box.messages) == 1
    alerts = api_get(service.base_url, shop, "alerts").json()["data"]
    assert [a["type"] for a in alerts].count("vip_activity") == 1
    # six units of product 93 this week, none before: trending too (info: the weekly digest)
    assert {a["type"] for a in alerts} == {"vip_activity", "trending_product"}
    # the jobs of the alerts issue run from another process and wait for the views
    for job, says in (("alerts", "2 open alerts"), ("fulfillment", "0 paid orders alerted"),
                      ("digests", "sent the digests now")):  # fmt: skip
        done = service.cli("jobs", "run", job, "--shop", shop_id)
        assert done.returncode == 0 and says in done.stdout, (job, done.stdout, done.stderr)
    # the owner follows the e-mail's one-click unsubscribe link: no recipients left
    assert httpx.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    left = service.cli("alerts", "recipients", shop_id)
    assert "no recipients" in left.stdout


def test_a_webhook_woocommerce_disabled_is_a_pipeline_health_alert_e_mailed_at_once(service, inbox):
    box, _ = inbox
    data = shop_data(10)
    with running_woo_server(data) as server:
        shop = add_woo_shop(service, server)
        _cli(service, "webhooks", "install", shop["shop_id"])
        _cli(service, "alerts", "recipients", shop["shop_id"], OWNER)
        next(iter(data.webhooks.values()))["status"] = "disabled"  # WooCommerce gave up on it
        service.start("run")  # the scheduler syncs and checks the webhooks at start

        def health():
            rows = api_get(service.base_url, shop, "alerts", type="pipeline_health").json()
            return [r for r in rows["data"] if r["dedup_key"] == "webhook_disabled"]

        (alert,) = wait_for(health, what="the pipeline_health alert")
        assert "disabled" in alert["title"] and alert["severity"] == "critical"
        _, message = wait_for(lambda: box.messages and box.messages[0], what="its e-mail")
        # with it, the start-up sync's repairs (no import ran: every order was missed)
        assert message["Subject"].startswith("New alerts: 2 critical alerts")
        text = message.get_body(("plain",)).get_content()
        assert "WooCommerce webhooks are not active" in text and "Sync repaired" in text
