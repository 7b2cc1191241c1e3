"""``wcpulse alerts show|set|recipients|test SHOP``: a shop's alert settings, who gets the
alert e-mails, and a test message through the configured mail (SMTP, or the Maildir under
the data folder when no WCPULSE_SMTP_URL is set). The admin API does the same
(api/alert_settings.py) with the same checks and the same JSON."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from processors.alerts.mailer import MailError, mailer_from_settings
from processors.alerts.messages import alert_message
from schemas.alert_settings import settings_document
from schemas.alerts import (
    Alert,
    InvalidAlertSetting,
    check_daily_at,
    check_recipients,
    check_weekly_on,
    parse_setting,
)
from schemas.clock import SystemClock
from schemas.settings import Settings
from store.metadata import ShopRegistry
from wcpulse.errors import UserError
from wcpulse.shop_registry import bind, default_open_registry


def _checked(check: Any, *values: Any) -> Any:
    try:
        return check(*values)
    except InvalidAlertSetting as exc:
        raise UserError(str(exc)) from None


def _print_settings(registry: ShopRegistry, shop_id: str, as_json: bool) -> None:
    shop = registry.require(shop_id)
    alerts = shop.alerts
    if as_json:  # the document the admin API answers too
        print(json.dumps(settings_document(shop.shop_id, alerts)))
        return
    recipients = ", ".join(alerts.recipients) or "none yet (wcpulse alerts recipients)"
    print(f"alerts of {shop.shop_id} ({shop.name}); times in {shop.timezone}")
    print(f"  recipients: {recipients}")
    print(f"  digests:    warnings daily at {alerts.daily_at}, info {alerts.weekly_on}s then")
    for alert_type, values in alerts.table().items():
        shown = ", ".join(f"{name}={value}" for name, value in values.items())
        print(f"  {alert_type:<20} {shown}")


def _cmd_show(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    _print_settings(registry, args.shop, args.json)
    return 0


def _cmd_set(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    values = [_checked(parse_setting, text) for text in args.settings]
    daily = _checked(check_daily_at, args.daily_at) if args.daily_at else None
    weekly = _checked(check_weekly_on, args.weekly_on) if args.weekly_on else None
    if not values and not (daily or weekly):
        raise UserError("give TYPE.SETTING=VALUE, --daily-at or --weekly-on")
    registry.set_alerts(args.shop, SystemClock().now(), values, None, (daily, weekly))
    _print_settings(registry, args.shop, args.json)
    return 0


def _cmd_recipients(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    if args.emails or args.clear:
        emails = () if args.clear else _checked(check_recipients, args.emails)
        registry.set_alerts(args.shop, SystemClock().now(), (), emails)
    recipients = registry.require(args.shop).alerts.recipients
    if args.json:
        print(json.dumps({"shop_id": args.shop, "recipients": list(recipients)}))
    else:
        print(", ".join(recipients) or "no recipients: alert e-mails are not sent")
    return 0


def _cmd_test(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shop = registry.require(args.shop)
    if not shop.alerts.recipients:
        raise UserError(
            f"shop {shop.shop_id} has no recipients: wcpulse alerts recipients SHOP EMAIL"
        )
    try:
        mailer = mailer_from_settings(settings.smtp_url, settings.data_dir)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    alert = _test_alert(shop.shop_id, shop.name)
    for recipient in shop.alerts.recipients:
        message = alert_message(
            alert,
            shop_name=shop.name,
            recipient=recipient,
            sender=getattr(mailer, "sender", None) or settings.mail_from,
            dashboard_url=settings.dashboard_url(shop.shop_id),
            unsubscribe_url=settings.dashboard_url(shop.shop_id) + "#alerts",
        )
        try:
            mailer.send(message)
        except MailError as exc:
            raise UserError(f"the test message to {recipient} failed: {exc}") from None
    print(f"sent a test alert to {', '.join(shop.alerts.recipients)} via {mailer.describe()}")
    return 0


def _test_alert(shop_id: str, shop_name: str) -> Alert:
    now = datetime.now(UTC)
    return Alert(
        alert_id=1,
        shop_id=shop_id,
        type="pipeline_health",
        severity="info",
        title="Test alert: e-mail works",
        message=f"This is a test from wcpulse for {shop_name}: alert e-mails reach you.",
        measured=None,
        threshold=None,
        unit="",
        subject_kind="shop",
        subject_id="",
        subject_label=shop_name,
        created_at=now,
        dedup_key="test",
    )


def register(sub: Any, open_registry: Any = default_open_registry) -> None:
    """Add the ``alerts`` command."""
    alerts = sub.add_parser(
        "alerts",
        help="a shop's alert settings, recipients and a test e-mail",
        description="Show or change a shop's alert settings and recipients, or send a test.",
    )
    commands = alerts.add_subparsers(dest="alerts_command", metavar="COMMAND", required=True)
    show = _command(commands, "show", "every alert type's settings, recipients, digests")
    set_ = _command(
        commands,
        "set",
        "change settings: TYPE.SETTING=VALUE ... (e.g. sales_drop.drop_pct=40)",
        "Change alert settings, e.g. `sales_drop.drop_pct=40 churn_risk.value_segments="
        "High,Medium vip_activity.enabled=false`; `alerts show` lists every type's settings.",
    )
    set_.add_argument("settings", metavar="TYPE.SETTING=VALUE", nargs="*")
    set_.add_argument("--daily-at", help="time of the warnings' daily digest, e.g. 08:00")
    set_.add_argument("--weekly-on", help="day of the info weekly digest, e.g. monday")
    recipients = _command(
        commands,
        "recipients",
        "show, or set with EMAIL ..., who gets the alert e-mails",
        "Show the recipients, or replace them with the addresses given.",
    )
    recipients.add_argument("emails", metavar="EMAIL", nargs="*")
    recipients.add_argument("--clear", action="store_true", help="remove every recipient")
    test = _command(commands, "test", "send a test alert e-mail to the recipients")
    handlers = ((show, _cmd_show), (set_, _cmd_set), (recipients, _cmd_recipients),
                (test, _cmd_test))  # fmt: skip
    for parser, command in handlers:
        parser.set_defaults(handler=bind(command, open_registry))


def _command(commands: Any, name: str, help_text: str, description: str = "") -> Any:
    parser = commands.add_parser(name, help=help_text, description=description or help_text)
    parser.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser
