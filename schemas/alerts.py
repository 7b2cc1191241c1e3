"""Alerts as every component sees them (SPEC §4, seeds 000 and 002): the eight types with
their default severity, and one raised alert.

An alert says why it fired (``measured`` against ``threshold``, in ``unit``) and what it is
about (``subject_kind`` customer, product, order or shop, with ``subject_id`` and a label).
Its id is stable (``alert_key``): a hash of the type, the de-duplication key and the time it
was raised, so raising it again (after a crash between logging and applying it) changes
nothing. A raised alert is a fact of the shop's stream: it is logged like an event, so a
replay restores the same alerts and never raises new ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from schemas.tracking import DEFAULT_TRACKING_KEYS, checked_tracking_keys, joined

SEVERITIES = ("critical", "warning", "info")
# type -> default severity (SPEC §4)
ALERT_TYPES: dict[str, str] = {
    "churn_risk": "critical",
    "stock_low": "warning",
    "pricing_opportunity": "info",
    "vip_activity": "info",
    "sales_drop": "critical",
    "trending_product": "info",
    "fulfillment_delayed": "warning",
    "pipeline_health": "critical",
}
SUBJECT_KINDS = ("customer", "product", "order", "shop")


@dataclass(frozen=True)
class Alert:
    alert_id: int  # 1 .. 2**63 - 1
    shop_id: str
    type: str  # one of ALERT_TYPES
    severity: str  # one of SEVERITIES
    title: str  # one line, e.g. "Sales down 42% on the week before"
    message: str  # a sentence or two: what happened and what to do
    measured: float | None  # the measured value that crossed the threshold
    threshold: float | None
    unit: str  # of measured and threshold: "%", "days", "hours", "orders", "" ...
    subject_kind: str  # one of SUBJECT_KINDS
    subject_id: str  # customer key, product id, order id; "" for the shop
    subject_label: str  # a name or e-mail or order number to show
    created_at: datetime  # aware, UTC
    dedup_key: str = ""  # what a cool-down is counted per, e.g. "customer:42"

    @property
    def why(self) -> str:
        """The measured value against the threshold, in one line; of a unit that says what
        was measured (" hours without a tracking number") the threshold takes one word."""
        if self.measured is None or self.threshold is None:
            return ""
        words = self.unit.split()
        short = f" {words[0]}" if len(words) > 1 else self.unit
        return f"{_number(self.measured)}{self.unit} against a threshold of " + (
            f"{_number(self.threshold)}{short}"
        )


ALERT_FIELDS = tuple(f.name for f in fields(Alert))


def alert_json(alert: Alert) -> dict[str, Any]:
    data = {name: getattr(alert, name) for name in ALERT_FIELDS}  # asdict: 20x slower
    data["created_at"] = alert.created_at.isoformat()
    return data


def alert_from_json(data: dict[str, Any]) -> Alert:
    """An alert from ``alert_json``'s form; KeyError, TypeError or ValueError when it is
    not one."""
    values = {name: data[name] for name in ALERT_FIELDS}
    values["created_at"] = datetime.fromisoformat(values["created_at"])
    if values["created_at"].tzinfo is None:
        raise ValueError("created_at must have a time zone")
    if not isinstance(values["alert_id"], int) or values["type"] not in ALERT_TYPES:
        raise ValueError("not an alert: bad alert_id or type")
    return Alert(**values)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.2f}"


# Each type's settings beside ``enabled`` and ``severity``: name -> (default, lowest,
# highest, what it is). Lists (value segments, churn levels) are comma-separated names.
@dataclass(frozen=True)
class Param:
    default: float | str
    lowest: float | None
    highest: float | None
    help: str
    choices: tuple[str, ...] = ()  # a list param: each item one of these
    meta_keys: bool = False  # a list param of order meta keys (schemas/tracking.py)


VALUE_SEGMENTS = ("High", "Medium", "Low")
CHURN_LEVELS = ("Low", "Medium", "High", "Critical")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALERT_PARAMS: dict[str, dict[str, Param]] = {
    "churn_risk": {
        "levels": Param("High,Critical", None, None, "churn levels that alert", CHURN_LEVELS),
        "value_segments": Param("High", None, None, "customers' value segments", VALUE_SEGMENTS),
        "cooldown_days": Param(30, 0, 365, "days before the same customer alerts again"),
    },
    "stock_low": {
        "top_pct": Param(20, 1, 100, "only products in this top % by revenue"),
        "cooldown_days": Param(7, 0, 365, "days before the same product alerts again"),
    },
    "pricing_opportunity": {
        "min_gap_pct": Param(10, 0, 100, "optimal price this % or more from the price"),
        "cooldown_days": Param(30, 0, 365, "days before the same product alerts again"),
    },
    "vip_activity": {
        "value_segments": Param("High", None, None, "customers' value segments", VALUE_SEGMENTS),
        "cooldown_hours": Param(24, 0, 8760, "hours before the same customer alerts again"),
    },
    "sales_drop": {
        "drop_pct": Param(30, 1, 100, "last 7 full days below the 7 before by this %"),
        "min_previous": Param(1, 0, 1e12, "net revenue of the 7 days before, at least"),
        "cooldown_days": Param(7, 0, 365, "days before the shop alerts again"),
    },
    "trending_product": {
        "rise_pct": Param(50, 0, 10000, "units in 7 days up this % on the 7 before"),
        "min_units": Param(5, 0, 1e9, "net units in the last 7 days, at least"),
        "cooldown_days": Param(7, 0, 365, "days before the same product alerts again"),
    },
    "fulfillment_delayed": {
        "sla_hours": Param(48, 1, 8760, "hours from paid to completed"),
        "tracking_hours": Param(24, 1, 8760, "hours from paid to a tracking number"),
        "tracking_meta_keys": Param(
            joined(DEFAULT_TRACKING_KEYS),
            None,
            None,
            "order meta keys holding a tracking number, comma-separated",
            meta_keys=True,
        ),
        "lookback_days": Param(7, 1, 365, "orders paid this far back are still checked"),
    },
    "pipeline_health": {
        "lag_minutes": Param(5, 1, 1440, "processing lag that alerts"),
        "cooldown_hours": Param(24, 0, 8760, "hours before the same problem alerts again"),
    },
}


class InvalidAlertSetting(ValueError):
    """A setting's name or value we cannot accept; the message names it and says why."""


@dataclass(frozen=True)
class AlertSettings:
    """A shop's alert settings: per type its overrides of the defaults (``enabled``,
    ``severity`` and ALERT_PARAMS), the recipients, and when digests go out (shop time)."""

    overrides: tuple[tuple[str, tuple[tuple[str, float | str | bool], ...]], ...] = ()
    recipients: tuple[str, ...] = ()
    daily_at: str = "08:00"  # HH:MM, the warnings' digest
    weekly_on: str = "monday"  # the info digest's day, at daily_at

    def value(self, alert_type: str, name: str) -> float | str | bool:
        own = dict(dict(self.overrides).get(alert_type, ()))
        if name in own:
            return own[name]
        if name == "enabled":
            return True
        if name == "severity":
            return ALERT_TYPES[alert_type]
        return ALERT_PARAMS[alert_type][name].default

    def number(self, alert_type: str, name: str) -> float:
        return float(self.value(alert_type, name))

    def names(self, alert_type: str, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in str(self.value(alert_type, name)).split(","))

    def enabled(self, alert_type: str) -> bool:
        return bool(self.value(alert_type, "enabled"))

    def severity(self, alert_type: str) -> str:
        return str(self.value(alert_type, "severity"))

    def table(self) -> dict[str, dict[str, float | str | bool]]:
        """Every type's every setting as it applies (for show and the API)."""
        return {
            t: {n: self.value(t, n) for n in ("enabled", "severity", *ALERT_PARAMS[t])}
            for t in ALERT_TYPES
        }


def parse_setting(assignment: str) -> tuple[str, str, float | str | bool]:
    """``type.name=value`` checked: (type, name, value); InvalidAlertSetting otherwise."""
    target, sep, raw = assignment.partition("=")
    alert_type, dot, name = target.strip().partition(".")
    if not sep or not dot:
        raise InvalidAlertSetting(
            f"{assignment!r}: use TYPE.SETTING=VALUE, e.g. sales_drop.drop_pct=40"
        )
    if alert_type not in ALERT_TYPES:
        raise InvalidAlertSetting(
            f"{target}: no alert type {alert_type!r} ({', '.join(ALERT_TYPES)})"
        )
    return alert_type, name, check_value(alert_type, name, raw.strip())


def check_value(alert_type: str, name: str, raw: str) -> float | str | bool:
    setting = f"{alert_type}.{name}"
    if name == "enabled":
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise InvalidAlertSetting(f"{setting} must be true or false")
        return raw.lower() in ("true", "1", "yes", "on")
    if name == "severity":
        if raw not in SEVERITIES:
            raise InvalidAlertSetting(f"{setting} must be one of {', '.join(SEVERITIES)}")
        return raw
    param = ALERT_PARAMS[alert_type].get(name)
    if param is None:
        known = ", ".join(("enabled", "severity", *ALERT_PARAMS[alert_type]))
        raise InvalidAlertSetting(f"{setting}: no such setting (one of {known})")
    if param.choices:
        return _checked_names(setting, raw, param.choices)
    if param.meta_keys:
        try:
            return checked_tracking_keys(raw)
        except ValueError as exc:
            raise InvalidAlertSetting(f"{setting}: {exc}") from None
    return _checked_number(setting, raw, param)


def _checked_names(setting: str, raw: str, choices: tuple[str, ...]) -> str:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    wrong = [part for part in parts if part not in choices]
    if not parts or wrong:
        raise InvalidAlertSetting(f"{setting} must list some of {', '.join(choices)}")
    return ",".join(parts)


def _checked_number(setting: str, raw: str, param: Param) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise InvalidAlertSetting(f"{setting} must be a number") from None
    lowest = param.lowest if param.lowest is not None else float("-inf")
    highest = param.highest if param.highest is not None else float("inf")
    if not lowest <= value <= highest:  # NaN fails too
        raise InvalidAlertSetting(f"{setting} must be from {param.lowest:g} to {param.highest:g}")
    return value


MAX_RECIPIENTS = 20
_EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def check_recipients(emails: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The addresses trimmed, each once; InvalidAlertSetting naming a bad one."""
    tidy = tuple(dict.fromkeys(e.strip() for e in emails if e.strip()))
    if len(tidy) > MAX_RECIPIENTS:
        raise InvalidAlertSetting(f"recipients: at most {MAX_RECIPIENTS} addresses")
    for email in tidy:
        if len(email) > 254 or not _EMAIL.fullmatch(email):
            raise InvalidAlertSetting(f"recipients: {email[:60]!r} is not an e-mail address")
    return tidy


def check_daily_at(text: str) -> str:
    if not _CLOCK.fullmatch(text.strip()):
        raise InvalidAlertSetting("daily_at must be a time of day like 08:00 (shop time)")
    return text.strip()


def check_weekly_on(text: str) -> str:
    day = text.strip().lower()
    if day not in WEEKDAYS:
        raise InvalidAlertSetting(f"weekly_on must be a day: {', '.join(WEEKDAYS)}")
    return day


def unsubscribe_token(secret: str, shop_id: str, recipient: str) -> str:
    """What proves an unsubscribe link was ours: an HMAC of the shop and the address with
    the shop's webhook secret (rotating the secret voids the old links)."""
    text = "\x1f".join(("unsubscribe", shop_id, recipient.strip().lower()))
    mac = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def unsubscribe_url(public_url: str, shop_id: str, recipient: str, secret: str) -> str:
    """The one-click unsubscribe link of ``recipient`` for ``shop_id``'s alert e-mails."""
    query = {"shop": shop_id, "to": recipient, "t": unsubscribe_token(secret, shop_id, recipient)}
    return f"{public_url.rstrip('/')}/alerts/unsubscribe?{urlencode(query)}"
