"""Critical alerts go at once, but not one message per publish: within CRITICAL_HOLD of the
last critical message a recipient got, new ones wait and then go together (pure plan_mail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from processors.alerts.notifier import plan_mail
from schemas.alerts import Alert, AlertSettings
from schemas.shop import ShopConfig
from store.alert_sends import SENT, SendState

OWNER = "owner@example.com"
SHOP = replace(
    ShopConfig("shp_hold", "Hold", "https://shop.example"),
    alerts=AlertSettings(recipients=(OWNER,)),
)
START = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _critical(alert_id: int, at: datetime) -> Alert:
    return Alert(alert_id, SHOP.shop_id, "sales_drop", "critical", "t", "m", 40.0, 30.0, "%",
                 "shop", "", "Hold", at)  # fmt: skip


def _sent(at: datetime) -> SendState:
    return SendState(SENT, 1, None, "now", at)


def test_the_first_critical_alert_goes_at_once():
    planned = plan_mail(SHOP, [_critical(1, START)], {}, START)
    assert [(o.kind, [a.alert_id for a in o.alerts]) for o in planned] == [("now", [1])]


def test_critical_alerts_within_five_minutes_of_the_last_message_wait():
    alerts = [_critical(1, START), _critical(2, START + timedelta(minutes=1))]
    states = {(1, OWNER): _sent(START)}
    assert plan_mail(SHOP, alerts, states, START + timedelta(minutes=4, seconds=59)) == []


def test_the_held_critical_alerts_go_together_once_the_five_minutes_are_over():
    alerts = [_critical(n, START + timedelta(minutes=n)) for n in range(1, 5)]
    states = {(1, OWNER): _sent(START + timedelta(minutes=1))}
    planned = plan_mail(SHOP, alerts, states, START + timedelta(minutes=6))
    assert [(o.kind, [a.alert_id for a in o.alerts]) for o in planned] == [("now", [2, 3, 4])]


def test_a_digest_sent_recently_holds_no_critical_alert():
    states = {(1, OWNER): SendState(SENT, 1, None, "daily", START)}
    planned = plan_mail(SHOP, [_critical(2, START)], states, START + timedelta(minutes=1))
    assert [o.kind for o in planned] == ["now"]
