"""A shop's alert settings through the admin API (Flask test client over the real app, a
real SQLite metadata database), compared with what the CLI shows of the same database
(``wcpulse alerts show --json``) and changes in it (``wcpulse alerts set``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import structlog

from api.app import create_app
from api.catalog import ROUTES
from api.openapi import build_openapi
from schemas.alert_settings import free_text_rule
from schemas.alerts import ALERT_PARAMS
from schemas.clock import FixedClock
from schemas.settings import Settings, load_settings
from tests.integration.openapi_check import problems
from wcpulse import alert_commands
from wcpulse.shop_registry import default_open_registry

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
ADMIN = "admin-token-for-alert-settings"
DOCUMENT = build_openapi(ROUTES)


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> Iterator[None]:
    """As the main CLI does: logs go to stderr, so stdout holds only the command's output."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=lambda *_: structlog.PrintLogger(sys.stderr))
    yield
    structlog.configure(**saved)


@pytest.fixture
def world(tmp_path) -> Iterator[dict]:
    settings = load_settings({"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_ADMIN_TOKEN": ADMIN})
    registry = default_open_registry(settings)
    try:
        new = registry.add_shop(name="Settings shop", url="https://settings.example", now=NOW)
        other = registry.add_shop(name="Other shop", url="https://other.example", now=NOW)
        app = create_app(settings, registry, FixedClock(NOW))
        yield {
            "settings": settings,
            "client": app.test_client(),
            "shop_id": new.shop.shop_id,
            "token": new.api_token,
            "other": other.shop.shop_id,
        }
    finally:
        registry.close()


def _cli(settings: Settings, capsys, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wcpulse")
    alert_commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["alerts", *argv])
    capsys.readouterr()
    return args.handler(args, settings)


def _cli_document(world: dict, capsys) -> dict:
    assert _cli(world["settings"], capsys, "show", world["shop_id"], "--json") == 0
    return json.loads(capsys.readouterr().out)


def _call(world: dict, method: str, body: object = None, token: str = ADMIN, shop: str = ""):
    url = f"/api/v1/shops/{shop or world['shop_id']}/alerts/settings"
    headers = {"Authorization": f"Bearer {token}"}
    return world["client"].open(url, method=method, json=body, headers=headers)


def test_get_answers_what_the_cli_shows_defaults_included(world, capsys):
    response = _call(world, "GET")
    assert response.status_code == 200
    body = response.get_json()
    assert body == _cli_document(world, capsys)
    assert body["types"]["sales_drop"]["drop_pct"] == 30  # SPEC §4 defaults
    assert body["types"]["pipeline_health"]["lag_minutes"] == 5
    assert (body["recipients"], body["daily_at"], body["weekly_on"]) == ([], "08:00", "monday")
    assert problems(DOCUMENT, DOCUMENT["components"]["schemas"]["AlertSettings"], body) == []


def test_patch_changes_what_it_names_and_the_cli_sees_it(world, capsys):
    change = {
        "set": {"vip_activity.enabled": False, "sales_drop.drop_pct": 40},
        "types": {"churn_risk": {"value_segments": ["High", "Medium"]}},
        "recipients": ["owner@example.com", "team@example.com", "owner@example.com"],
        "daily_at": "07:30",
    }
    response = _call(world, "PATCH", change)
    assert response.status_code == 200, response.get_json()
    shown = _cli_document(world, capsys)
    assert response.get_json() == shown
    assert shown["types"]["vip_activity"]["enabled"] is False
    assert shown["types"]["sales_drop"]["drop_pct"] == 40
    assert shown["types"]["churn_risk"]["value_segments"] == "High,Medium"
    assert shown["recipients"] == ["owner@example.com", "team@example.com"]
    assert (shown["daily_at"], shown["weekly_on"]) == ("07:30", "monday")
    again = _call(world, "PATCH", {"set": {"sales_drop.cooldown_days": 3}}).get_json()
    assert again["types"]["sales_drop"] == shown["types"]["sales_drop"] | {"cooldown_days": 3}
    assert again["recipients"] == shown["recipients"]


def test_what_the_cli_sets_the_api_reads(world, capsys):
    assert _cli(world["settings"], capsys, "set", world["shop_id"], "stock_low.top_pct=10") == 0
    assert _call(world, "GET").get_json()["types"]["stock_low"]["top_pct"] == 10


def test_put_starts_from_the_defaults(world, capsys):
    _call(world, "PATCH", {"set": {"sales_drop.drop_pct": 40}, "recipients": ["a@example.com"]})
    document = _call(world, "GET").get_json()
    document["types"]["trending_product"]["min_units"] = 12  # a document read, sent back
    assert _call(world, "PUT", document).get_json() == document
    response = _call(world, "PUT", {"set": {"vip_activity.cooldown_hours": 6}})
    body = response.get_json()
    assert response.status_code == 200 and body == _cli_document(world, capsys)
    assert body["types"]["vip_activity"]["cooldown_hours"] == 6
    assert body["types"]["sales_drop"]["drop_pct"] == 30  # back to its default
    assert body["types"]["trending_product"]["min_units"] == 5
    assert body["recipients"] == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"set": {"sales_drop.drop_pct": 400}}, "sales_drop.drop_pct must be a number from 1 to"),
        ({"set": {"sales_drop.drop_pct": "40"}}, "sales_drop.drop_pct must be a number"),
        ({"set": {"sales_drop.drop_pct": True}}, "sales_drop.drop_pct must be a number"),
        ({"set": {"vip_activity.enabled": "false"}}, "vip_activity.enabled must be true or false"),
        ({"set": {"vip_activity.severity": "urgent"}}, "vip_activity.severity must be one of"),
        ({"set": {"sales_drop.nonsense": 1}}, "sales_drop.nonsense: no such setting"),
        ({"set": {"no_such_type.enabled": True}}, "no alert type 'no_such_type'"),
        ({"types": {"churn_risk": {"levels": ["Doomed"]}}}, "churn_risk.levels must be some of"),
        ({"types": {"churn_risk": {"levels": "High, Low"}}}, "churn_risk.levels must be some of"),
        ({"types": {"churn_risk": {"levels": []}}}, "churn_risk.levels must be some of"),
        ({"types": {"churn_risk": []}}, "types.churn_risk must be an object"),
        ({"set": {"stock_low.top_pct": None}}, "stock_low.top_pct must be a number"),
        ({"recipients": ["not an address"]}, "recipients must be a list of at most 20"),
        ({"recipients": [f"r{n}@example.com" for n in range(21)]}, "recipients must be a list"),
        ({"recipients": "owner@example.com"}, "recipients must be a list"),
        ({"daily_at": "25:00"}, "daily_at must be a time of day"),
        ({"daily_at": " 07:00"}, "daily_at must be a time of day"),
        ({"weekly_on": "Monday"}, "weekly_on must be one of monday"),
        ({"shop_id": 7}, "shop_id must be text"),
        ({"colour": "red"}, "colour: unknown"),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_a_bad_value_is_400_naming_the_setting_and_changes_nothing(world, capsys, change, named):
    before = _cli_document(world, capsys)
    body = {"set": {"sales_drop.drop_pct": 45}, "recipients": ["ok@example.com"]}
    if isinstance(change, dict):
        body = body | change  # a good part beside the bad one: neither is written
    else:
        body = change
    response = _call(world, "PATCH", body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter" and named in error["message"]
    assert _cli_document(world, capsys) == before


def test_a_free_text_setting_its_own_rules_refuse_is_400_with_the_stated_rule(world, capsys):
    free = [
        (alert_type, name)
        for alert_type, params in ALERT_PARAMS.items()
        for name, param in params.items()
        if isinstance(param.default, str) and not param.choices
    ]
    if not free:
        pytest.skip("no free-text alert setting")
    operation = DOCUMENT["paths"]["/api/v1/shops/{shop_id}/alerts/settings"]["patch"]
    for alert_type, name in free:
        response = _call(world, "PATCH", {"set": {f"{alert_type}.{name}": ""}})
        message = response.get_json()["error"]["message"]
        assert response.status_code == 400 and message.startswith(free_text_rule(alert_type, name))
        assert message.split(" (")[0] in operation["description"]  # stated word for word


def test_an_empty_change_changes_nothing(world, capsys):
    before = _cli_document(world, capsys)
    response = _call(world, "PATCH", {"shop_id": "whatever: the path names the shop"})
    assert response.status_code == 200 and response.get_json() == before == _cli_document(
        world, capsys
    )


def test_a_body_that_is_not_json_is_400(world):
    url = f"/api/v1/shops/{world['shop_id']}/alerts/settings"
    headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}
    response = world["client"].patch(url, data=b"{not json", headers=headers)
    assert (response.status_code, response.get_json()["error"]["code"]) == (
        400,
        "invalid_parameter",
    )


def test_a_shops_own_token_cannot_change_or_read_the_settings(world, capsys):
    before = _cli_document(world, capsys)
    change = {"set": {"sales_drop.drop_pct": 50}}
    for method in ("PATCH", "PUT", "GET"):
        response = _call(world, method, change if method != "GET" else None, world["token"])
        assert response.status_code == 403, method
    assert _call(world, "PATCH", change, "wrong-token").status_code == 401
    assert _call(world, "GET", token="").status_code == 401
    assert _call(world, "GET", shop="shp_nobody").status_code == 404
    assert _cli_document(world, capsys) == before


def test_one_shops_change_leaves_another_shop_alone(world, capsys):
    _call(world, "PATCH", {"set": {"sales_drop.drop_pct": 55}})
    assert (
        _call(world, "GET", shop=world["other"]).get_json()["types"]["sales_drop"]["drop_pct"] == 30
    )


def test_the_openapi_document_describes_the_three_methods_and_the_change(world):
    operations = DOCUMENT["paths"]["/api/v1/shops/{shop_id}/alerts/settings"]
    assert set(operations) == {"get", "patch", "put"}
    for method in ("patch", "put"):
        body = operations[method]["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/AlertSettingsChange"}
        assert "400" in operations[method]["responses"]
    change = DOCUMENT["components"]["schemas"]["AlertSettingsChange"]
    assert set(change["properties"]) == {"set", "types", "recipients", "daily_at", "weekly_on",
                                         "shop_id"}  # fmt: skip
