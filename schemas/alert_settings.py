"""A shop's alert settings as JSON, both ways: the document ``wcpulse alerts show --json``
prints and ``GET /api/v1/shops/<shop>/alerts/settings`` answers (``settings_document``),
and a change the admin API takes (``parse_change``).

A change is a JSON object with any of::

    {"set": {"vip_activity.enabled": false, "sales_drop.drop_pct": 40},
     "types": {"churn_risk": {"value_segments": ["High", "Medium"]}},
     "recipients": ["owner@example.com"], "daily_at": "07:30", "weekly_on": "friday"}

``set`` names settings as ``wcpulse alerts set`` does (``TYPE.SETTING``); ``types`` is the
document's own shape, so a document read can be changed and sent back (its ``shop_id`` is
ignored: the path names the shop). Each value has the JSON Schema ``value_schema`` gives
(the admin API's OpenAPI states them): a value of the wrong kind or out of range is one
``InvalidAlertSetting`` naming the setting, and what fits goes through the CLI's own checks
(schemas/alerts.py), so the two accept the same settings. The whole change is checked
before anything is written.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from schemas.alerts import (
    ALERT_PARAMS,
    ALERT_TYPES,
    MAX_RECIPIENTS,
    SEVERITIES,
    WEEKDAYS,
    AlertSettings,
    InvalidAlertSetting,
    check_daily_at,
    check_recipients,
    check_value,
    check_weekly_on,
)

Schema = dict[str, Any]
Setting = tuple[str, str, float | str | bool]
CHANGE_KEYS = ("set", "types", "recipients", "daily_at", "weekly_on", "shop_id")
# Python's ``\s`` (what the CLI's address check reads) spelled out: regex engines differ on
# ``\s``, never on the characters themselves
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
_PART = f"[^@,;<>{_SPACES}]+"
EMAIL = {"type": "string", "maxLength": 254, "pattern": f"^{_PART}@{_PART}\\.{_PART}$"}
CLOCK = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}
WEEKDAY = {"type": "string", "enum": list(WEEKDAYS)}
RECIPIENTS = {"type": "array", "maxItems": MAX_RECIPIENTS, "items": EMAIL}


def settings_document(shop_id: str, settings: AlertSettings) -> dict[str, Any]:
    return {
        "shop_id": shop_id,
        "recipients": list(settings.recipients),
        "daily_at": settings.daily_at,
        "weekly_on": settings.weekly_on,
        "types": settings.table(),
    }


def value_schema(alert_type: str, name: str) -> Schema:
    """The JSON Schema of a setting's value (KeyError for a setting there is not)."""
    if name == "enabled":
        return {"type": "boolean"}
    if name == "severity":
        return {"type": "string", "enum": list(SEVERITIES)}
    param = ALERT_PARAMS[alert_type][name]
    if param.choices:  # "High,Medium" or ["High", "Medium"]
        one = "|".join(re.escape(choice) for choice in param.choices)
        text = {"type": "string", "pattern": f"^({one})(,({one}))*$"}
        items = {"type": "array", "minItems": 1, "items": {"enum": list(param.choices)}}
        return {"oneOf": [text, items]}
    if isinstance(param.default, str):  # free text, checked by the setting's own rules
        return {"type": "string", "description": param.help}
    bounds = {"minimum": param.lowest, "maximum": param.highest}
    return {"type": "number"} | {key: value for key, value in bounds.items() if value is not None}


def free_text_rule(alert_type: str, name: str) -> str:
    """What a free-text setting's refusal says before its reason (OpenAPI states it)."""
    return f"{alert_type}.{name} must be {ALERT_PARAMS[alert_type][name].help}"


@dataclass(frozen=True)
class SettingsChange:
    """Checked settings (type, name, value), and recipients and digest times (None: not
    given)."""

    values: tuple[Setting, ...] = ()
    recipients: tuple[str, ...] | None = None
    daily_at: str | None = None
    weekly_on: str | None = None


def parse_change(body: Any) -> SettingsChange:
    """``body`` checked as a change of a shop's alert settings."""
    if not isinstance(body, Mapping):
        raise InvalidAlertSetting('the body must be a JSON object, e.g. {"set": {...}}')
    unknown = sorted(str(key) for key in body if key not in CHANGE_KEYS)
    if unknown:
        raise InvalidAlertSetting(f"{', '.join(unknown)}: unknown (use {', '.join(CHANGE_KEYS)})")
    _need("shop_id", {"type": "string"}, body.get("shop_id", ""))
    pairs = _named(body.get("set", {}), "set") + _nested(body.get("types", {}))
    values = tuple(_setting(name, value) for name, value in pairs)
    recipients, daily, weekly = (body.get(key) for key in ("recipients", "daily_at", "weekly_on"))
    if recipients is not None:
        wanted = f"a list of at most {MAX_RECIPIENTS} e-mail addresses"
        recipients = check_recipients(_need("recipients", RECIPIENTS, recipients, wanted))
    if daily is not None:
        daily = check_daily_at(_need("daily_at", CLOCK, daily, "a time of day like 08:00"))
    if weekly is not None:
        weekly = check_weekly_on(_need("weekly_on", WEEKDAY, weekly))
    return SettingsChange(values, recipients, daily, weekly)


def _named(settings: Any, where: str) -> list[tuple[str, Any]]:
    if not isinstance(settings, Mapping):
        raise InvalidAlertSetting(f"{where} must be an object of SETTING: value")
    return [(str(name), value) for name, value in settings.items()]


def _nested(types: Any) -> list[tuple[str, Any]]:
    if not isinstance(types, Mapping):
        raise InvalidAlertSetting("types must be an object of TYPE: {SETTING: value}")
    pairs: list[tuple[str, Any]] = []
    for alert_type, settings in types.items():
        pairs += [(f"{alert_type}.{n}", v) for n, v in _named(settings, f"types.{alert_type}")]
    return pairs


def _setting(setting: str, value: Any) -> Setting:
    alert_type, _, name = setting.partition(".")
    if alert_type not in ALERT_TYPES:
        raise InvalidAlertSetting(f"{setting}: no alert type {alert_type!r}")
    try:
        schema = value_schema(alert_type, name)
    except KeyError:
        known = ", ".join(("enabled", "severity", *ALERT_PARAMS[alert_type]))
        raise InvalidAlertSetting(f"{setting}: no such setting (one of {known})") from None
    _need(setting, schema, value)
    try:
        return alert_type, name, check_value(alert_type, name, _as_text(value))
    except InvalidAlertSetting as exc:  # only free text gets here: its own rules said no
        raise InvalidAlertSetting(f"{free_text_rule(alert_type, name)} ({exc})") from None


def _as_text(value: Any) -> str:
    """A value that fits its schema as the CLI's text of it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return ",".join(value) if isinstance(value, list) else str(value)


def _need(setting: str, schema: Schema, value: Any, wanted: str = "") -> Any:
    """``value`` when it fits ``schema``, else InvalidAlertSetting saying what would."""
    if not fits(schema, value):
        raise InvalidAlertSetting(f"{setting} must be {wanted or _wanted(schema)}")
    return value


def fits(schema: Schema, value: Any) -> bool:
    """Whether ``value`` fits ``schema`` (the few JSON Schema words used here)."""
    if "oneOf" in schema:
        return sum(fits(option, value) for option in schema["oneOf"]) == 1
    kind = schema.get("type")
    kinds = {"boolean": bool, "string": str, "array": list}
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        lowest, highest = schema.get("minimum", -math.inf), schema.get("maximum", math.inf)
        return ok and lowest <= value <= highest
    if kind is not None and not isinstance(value, kinds[kind]):
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        short = len(value) <= schema.get("maxLength", len(value))
        return short and re.search(_to_the_end(schema.get("pattern", "")), value) is not None
    if isinstance(value, list):
        sized = schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value))
        return sized and all(fits(schema["items"], item) for item in value)
    return True


def _to_the_end(pattern: str) -> str:
    """A closing ``$`` as JSON Schema means it: the end of the text (not before a last
    newline, as Python reads it)."""
    return pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern


def _wanted(schema: Schema) -> str:
    if "oneOf" in schema:
        names = schema["oneOf"][1]["items"]["enum"]
        return f"some of {', '.join(names)} (comma-separated, or a list)"
    kind = schema.get("type")
    if kind == "boolean":
        return "true or false"
    if kind == "number":
        return f"a number from {schema.get('minimum', -math.inf):g} to " + (
            f"{schema.get('maximum', math.inf):g}"
        )
    if "enum" in schema:
        return "one of " + ", ".join(schema["enum"])
    return "text"
