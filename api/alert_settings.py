"""A shop's alert settings through the admin API (``Authorization: Bearer
<WCPULSE_ADMIN_TOKEN>``), the same as ``wcpulse alerts show|set|recipients``:

- ``GET /api/v1/shops/<shop_id>/alerts/settings``: the settings document
  (``schemas.alert_settings.settings_document``, what ``wcpulse alerts show --json`` prints);
- ``PATCH`` the same path with a change (``schemas.alert_settings.parse_change``): what it
  names changes, the rest stays;
- ``PUT`` the same path with a change: the settings become the defaults with the change.

Both answer the settings as they now are. A bad name or value is 400 ``invalid_parameter``
naming the setting, and nothing changes (the whole change is checked before one write).
Tokens as on every admin route (api/admin.py): a shop's API token gets 403. The processor
reads the shop's settings as it reads the shop (its directory's cache), not at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

import structlog
from flask import Blueprint, Response, request

from api.admin import AdminShops, require_admin
from api.errors import ApiError, NotFound
from api.json_shapes import Schema, obj
from api.render import json_response
from api.route_spec import SHOP_PREFIX, RouteSpec
from schemas.alert_settings import (
    CLOCK,
    RECIPIENTS,
    WEEKDAY,
    Setting,
    SettingsChange,
    free_text_rule,
    parse_change,
    settings_document,
    value_schema,
)
from schemas.alerts import ALERT_PARAMS, ALERT_TYPES, InvalidAlertSetting
from schemas.clock import Clock
from schemas.settings import Settings
from schemas.shop import ShopConfig

log = structlog.get_logger(__name__)
PATH = "/api/v1/shops/<shop_id>/alerts/settings"


class AlertSettingsStore(AdminShops, Protocol):
    """Port to the metadata store: the shops, and setting their alert settings."""

    def set_alerts(
        self,
        shop_id: str,
        now: datetime,
        values: Sequence[Setting] = (),
        recipients: Sequence[str] | None = None,
        digests: tuple[str | None, str | None] = (None, None),
        replace: bool = False,
    ) -> ShopConfig: ...


class InvalidSetting(ApiError):
    status = 400
    code = "invalid_parameter"


def _shop(settings: Settings, shops: AdminShops, shop_id: str) -> ShopConfig:
    require_admin(settings, shops, request.headers.get("Authorization"))
    shop = shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop with id {shop_id!r}")
    return shop


def _change() -> SettingsChange:
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidSetting('send a JSON object, e.g. {"set": {"sales_drop.drop_pct": 40}}')
    try:
        return parse_change(body)
    except InvalidAlertSetting as exc:
        raise InvalidSetting(str(exc)) from None


def alert_settings_blueprint(
    settings: Settings, shops: AlertSettingsStore, clock: Clock
) -> Blueprint:
    blueprint = Blueprint("alert_settings", __name__)

    def show(shop_id: str) -> Response:
        shop = _shop(settings, shops, shop_id)
        return json_response(settings_document(shop.shop_id, shop.alerts))

    def change(shop_id: str) -> Response:
        shop = _shop(settings, shops, shop_id)
        wanted = _change()
        replace = request.method == "PUT"
        digests = (wanted.daily_at, wanted.weekly_on)
        changed = shops.set_alerts(
            shop.shop_id, clock.now(), wanted.values, wanted.recipients, digests, replace=replace
        )
        log.info("alert_settings_changed", shop_id=shop.shop_id, replaced=replace,
                 settings=len(wanted.values))  # fmt: skip
        return json_response(settings_document(changed.shop_id, changed.alerts))

    blueprint.add_url_rule(PATH, "alert_settings", show, methods=["GET"])
    blueprint.add_url_rule(PATH, "change_alert_settings", change, methods=["PUT", "PATCH"])
    return blueprint


_ABOUT = (
    "The shop's alert settings as `wcpulse alerts show --json` prints them: recipients, "
    "digest times (shop time) and every type's settings as they apply (defaults included)."
)
_FREE_TEXT = [
    free_text_rule(alert_type, name)
    for alert_type in ALERT_TYPES
    for name, param in ALERT_PARAMS[alert_type].items()
    if isinstance(param.default, str) and not param.choices
]
_CHANGE = (
    'A change: `set` ({"TYPE.SETTING": value}, as `wcpulse alerts set` names them), '
    "`types` (the document's own shape; its `shop_id` is ignored), `recipients`, "
    "`daily_at`, `weekly_on`; each value as its schema says. The whole change is checked "
    "first: a bad name or value is 400 invalid_parameter naming the setting, and nothing "
    "changes. A free-text setting also has its own rules; a value they refuse gets, with "
    "the reason in parentheses: "
    + "; ".join(f"`{rule}`" for rule in _FREE_TEXT)
    + ". Answers the settings as they now are; the processor applies them as it next reads "
    "the shop. Needs WCPULSE_ADMIN_TOKEN (a shop's API token gets 403)."
)
_ROUTE = SHOP_PREFIX + "/alerts/settings"
ALERT_SETTINGS_ROUTES = (
    RouteSpec("alert_settings", _ROUTE, "A shop's alert settings and recipients.",
              "AlertSettings", shop=False, admin=True,
              description=_ABOUT + " Needs WCPULSE_ADMIN_TOKEN."),
    RouteSpec("change_alert_settings", _ROUTE,
              "Change some alert settings; the rest stays as it is.", "AlertSettings",
              shop=False, method="patch", admin=True, request="AlertSettingsChange",
              description=_CHANGE),
    RouteSpec("replace_alert_settings", _ROUTE,
              "Replace the alert settings: the defaults, with this change.", "AlertSettings",
              shop=False, method="put", admin=True, request="AlertSettingsChange",
              description=_CHANGE.replace("A change:", "The defaults, then a change:")),
)  # fmt: skip


def _types(settings: bool) -> Schema:
    """Every type's settings (``settings``: all of them, as the document has them; else any
    of them, as a change names them)."""
    properties = {
        alert_type: {
            "type": "object",
            "properties": {
                name: value_schema(alert_type, name)
                for name in ("enabled", "severity", *ALERT_PARAMS[alert_type])
            },
            "additionalProperties": False,
        }
        for alert_type in ALERT_TYPES
    }
    if settings:
        return obj({name: schema | {"required": list(schema["properties"])}
                    for name, schema in properties.items()})  # fmt: skip
    return {"type": "object", "properties": properties, "additionalProperties": False}


def alert_settings_schemas() -> dict[str, Schema]:
    """``AlertSettings`` (the document) and ``AlertSettingsChange`` (a PUT's or PATCH's body)."""
    document = obj(
        {"shop_id": {"type": "string"}, "recipients": RECIPIENTS, "daily_at": CLOCK,
         "weekly_on": WEEKDAY, "types": _types(settings=True)}
    )  # fmt: skip
    named = {
        f"{alert_type}.{name}": schema
        for alert_type, settings in _types(settings=False)["properties"].items()
        for name, schema in settings["properties"].items()
    }
    change = {
        "type": "object",
        "properties": {
            "set": {"type": "object", "properties": named, "additionalProperties": False},
            "types": _types(settings=False),
            "recipients": RECIPIENTS,
            "daily_at": CLOCK,
            "weekly_on": WEEKDAY,
            "shop_id": {"type": "string", "description": "ignored: the path names the shop"},
        },
        "additionalProperties": False,
    }
    return {"AlertSettings": document, "AlertSettingsChange": change}
