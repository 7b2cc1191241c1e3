"""A critical alert whose e-mail the SMTP server refuses for good: the alert itself says so
(``mail_status`` failed with the server's answer in the alerts API) and the dashboard's
alerts panel shows the failure, in `wcpulse run` with a real SMTP server (aiosmtpd) and
real Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from tests.e2e.chromium_pipe import Chromium
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.e2e.test_alerts_live import _order, start_with_a_vip
from tests.e2e.test_dashboard_browser import _sign_in
from tests.e2e.test_dashboard_browser import chromium as chromium  # the browser fixture

REFUSAL = "550 5.1.1 mailbox unavailable"


class RefusingServer:
    async def handle_RCPT(self, server, session, envelope, address, options) -> str:
        return REFUSAL


@pytest.fixture
def service(tmp_path):
    controller = Controller(RefusingServer(), hostname="127.0.0.1", port=free_port())
    controller.start()
    svc = Service(
        tmp_path, free_port(), {"WCPULSE_SMTP_URL": f"smtp://127.0.0.1:{controller.port}"}
    )
    yield svc
    svc.stop_all()
    controller.stop()


def _vip_alert(service: Service, shop: dict) -> dict | None:
    rows = api_get(service.base_url, shop, "alerts", type="vip_activity").json()["data"]
    return rows[0] if rows and rows[0]["mail_status"] == "failed" else None


def test_a_refused_alert_e_mail_is_shown_as_failed_on_the_alert_and_in_the_dashboard(
    service, chromium: Chromium
):
    shop = start_with_a_vip(service)
    shop_id = shop["shop_id"]
    trigger = _order(500, datetime.now(UTC) - timedelta(minutes=1))
    assert post_webhook(service.base_url, shop, "order.created", trigger).status_code == 202
    alert = wait_for(lambda: _vip_alert(service, shop), what="the refused VIP e-mail")
    assert "550" in alert["mail_error"], alert
    page = chromium.page(1400, 900)
    page.goto(f"{service.base_url}/dashboard/{shop_id}")
    page.wait_for("document.getElementById('signin-token') !== null", what="the sign-in form")
    _sign_in(page, shop["api_token"])
    shown = page.wait_for(
        "(document.querySelector('.alert-mail.failed') || {}).textContent",
        what="the failed e-mail in the alerts panel",
    )
    assert shown.startswith("E-mail failed") and "550" in shown, shown
    assert alert["title"] in page.js("document.getElementById('alerts').textContent")
