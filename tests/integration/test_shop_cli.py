"""``wcpulse shop ...`` against a real SQLite (and PostgreSQL) registry under tmp_path."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from structlog.testing import capture_logs

from schemas.settings import Settings, load_settings
from store.crypto import SecretBox
from store.layout import secret_key_path, shop_paths
from store.metadata import ShopRegistry
from wcpulse.errors import UserError
from wcpulse.shop_cli import register
from wcpulse.shop_registry import default_open_registry

REPO = Path(__file__).resolve().parents[2]
ADD_KEYS = {"shop_id", "webhook_url", "webhook_secret", "api_token"}


def _settings(tmp_path: Path, **env: str) -> Settings:
    return load_settings({"WCPULSE_DATA_DIR": str(tmp_path), **env})


def _run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="wcpulse")
    register(parser.add_subparsers(dest="command", required=True), default_open_registry)
    args = parser.parse_args(["shop", *argv])
    return args.handler(args, settings)


def _add_json(settings: Settings, capsys, *extra: str) -> dict:
    argv = ["add", "--name", "Demo", "--url", "https://shop.example.com", "--json", *extra]
    assert _run(settings, *argv) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(autouse=True)
def _logs_to_stderr() -> Iterator[None]:
    """As the main CLI does: logs go to stderr, so stdout holds only the command's output."""
    saved = structlog.get_config()
    structlog.configure(logger_factory=lambda *_: structlog.PrintLogger(sys.stderr))
    yield
    structlog.configure(**saved)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return _settings(tmp_path)


def test_add_json_prints_one_object_with_the_webhook_details(settings, capsys) -> None:
    result = _add_json(settings, capsys, "--timezone", "Europe/Warsaw", "--currency", "pln")
    assert ADD_KEYS <= result.keys()
    assert result["webhook_url"] == settings.webhook_url(result["shop_id"])
    assert result["api_token"].startswith("wcp_")
    assert (result["timezone"], result["currency"]) == ("Europe/Warsaw", "PLN")
    with default_open_registry(settings) as registry:
        assert registry.webhook_secret(result["shop_id"]) == result["webhook_secret"]
        assert registry.shop_for_token(result["api_token"]).shop_id == result["shop_id"]


def test_without_a_secret_key_setting_a_private_key_file_is_created(settings, capsys) -> None:
    _add_json(settings, capsys)
    key_file = secret_key_path(settings.data_dir)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert (settings.data_dir / "wcpulse.sqlite3").exists()


def test_with_wcpulse_secret_key_that_key_is_used_and_no_key_file_written(tmp_path, capsys):
    settings = _settings(tmp_path, WCPULSE_SECRET_KEY="ab" * 32)
    result = _add_json(settings, capsys)
    assert not secret_key_path(tmp_path).exists()
    with ShopRegistry(settings.metadata_url, SecretBox(bytes.fromhex("ab" * 32))) as registry:
        assert registry.webhook_secret(result["shop_id"]) == result["webhook_secret"]


def test_an_unusable_secret_key_is_a_user_error(tmp_path) -> None:
    with pytest.raises(UserError, match="WCPULSE_SECRET_KEY is unusable"):
        _run(_settings(tmp_path, WCPULSE_SECRET_KEY="short"), "list")


def test_add_without_json_prints_a_readable_block(settings, capsys) -> None:
    assert _run(settings, "add", "--name", "Demo", "--url", "https://shop.example.com") == 0
    out = capsys.readouterr().out
    assert "Added shop shp_" in out and "webhook secret:" in out and "API token:" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--url", "http://shop.example.com"], "WCPULSE_ALLOW_HTTP_SHOPS=1"),
        (["--url", "not a url"], "not an http"),
        (["--url", "https://a.example", "--timezone", "Moon/Base"], "unknown timezone"),
        (["--url", "https://a.example", "--currency", "EURO"], "currency"),
        (["--url", "https://a.example", "--consumer-key", "ck_1"], "both"),
    ],
)
def test_user_mistakes_in_add_are_one_line_user_errors(settings, argv, message) -> None:
    with pytest.raises(UserError, match=message) as info:
        _run(settings, "add", "--name", "Demo", *argv)
    assert "\n" not in str(info.value)


def test_http_shops_are_accepted_when_allowed(tmp_path, capsys) -> None:
    settings = _settings(tmp_path, WCPULSE_ALLOW_HTTP_SHOPS="1")
    argv = ["add", "--name", "Local", "--url", "http://127.0.0.1:8080", "--json"]
    assert _run(settings, *argv) == 0
    assert json.loads(capsys.readouterr().out)["shop_id"].startswith("shp_")


def test_list_shows_every_shop_in_json_and_text(settings, capsys) -> None:
    assert _run(settings, "list") == 0
    assert "No shops yet" in capsys.readouterr().out
    ids = [_add_json(settings, capsys)["shop_id"] for _ in range(2)]
    assert _run(settings, "list", "--json") == 0
    assert [shop["shop_id"] for shop in json.loads(capsys.readouterr().out)] == ids
    assert _run(settings, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ids


def test_show_never_prints_secrets_or_tokens(settings, capsys) -> None:
    extra = ("--consumer-key", "ck_publicish", "--consumer-secret", "cs_verysecret")
    created = _add_json(settings, capsys, *extra)
    for flags in ([], ["--json"]):
        assert _run(settings, "show", created["shop_id"], *flags) == 0
        out = capsys.readouterr().out
        assert created["shop_id"] in out and created["webhook_url"] in out
        for secret in (created["webhook_secret"], created["api_token"], "cs_verysecret"):
            assert secret not in out
    assert json.loads(out)["api_credentials"] is True


@pytest.mark.parametrize("command", ["show", "rotate-secret", "rotate-token", "delete"])
def test_an_unknown_shop_is_a_user_error(settings, command) -> None:
    with pytest.raises(UserError, match="no shop with id 'shp_nope'.*shop list"):
        _run(settings, command, "shp_nope", *(["--yes"] if command == "delete" else []))


def test_rotate_secret_prints_the_new_secret_that_the_registry_now_holds(settings, capsys):
    created = _add_json(settings, capsys)
    assert _run(settings, "rotate-secret", created["shop_id"], "--json") == 0
    rotated = json.loads(capsys.readouterr().out)
    assert rotated["webhook_secret"] != created["webhook_secret"]
    assert rotated["webhook_url"] == created["webhook_url"]
    with default_open_registry(settings) as registry:
        assert registry.webhook_secret(created["shop_id"]) == rotated["webhook_secret"]


def test_rotate_token_retires_the_old_token(settings, capsys) -> None:
    created = _add_json(settings, capsys)
    assert _run(settings, "rotate-token", created["shop_id"], "--json") == 0
    token = json.loads(capsys.readouterr().out)["api_token"]
    with default_open_registry(settings) as registry:
        assert registry.shop_for_token(created["api_token"]) is None
        assert registry.shop_for_token(token).shop_id == created["shop_id"]


def test_delete_removes_the_shop_and_its_data_folder(settings, capsys) -> None:
    kept, gone = _add_json(settings, capsys), _add_json(settings, capsys)
    folders = {s["shop_id"]: shop_paths(settings.data_dir, s["shop_id"]).root for s in (kept, gone)}
    for folder in folders.values():
        (folder / "raw").mkdir(parents=True)
        (folder / "raw" / "batch.parquet").write_bytes(b"x")
    assert _run(settings, "delete", gone["shop_id"], "--yes") == 0
    assert not folders[gone["shop_id"]].exists()
    assert folders[kept["shop_id"]].exists()
    with default_open_registry(settings) as registry:
        assert [s.shop_id for s in registry.list_shops()] == [kept["shop_id"]]


def test_delete_without_yes_and_without_a_terminal_refuses(settings, capsys) -> None:
    created = _add_json(settings, capsys)
    with pytest.raises(UserError, match="--yes"):
        _run(settings, "delete", created["shop_id"])
    with default_open_registry(settings) as registry:
        assert registry.get(created["shop_id"]) is not None


def test_delete_asks_on_a_terminal_and_keeps_the_shop_on_no(settings, capsys, monkeypatch):
    created = _add_json(settings, capsys)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert _run(settings, "delete", created["shop_id"]) == 1
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    with default_open_registry(settings) as registry:
        assert registry.get(created["shop_id"]) is not None
    assert _run(settings, "delete", created["shop_id"]) == 0


def test_secrets_and_tokens_never_reach_the_logs(settings, capsys) -> None:
    with capture_logs() as logs:
        created = _add_json(settings, capsys, "--consumer-key", "ck_k", "--consumer-secret", "cs_s")
        assert _run(settings, "rotate-secret", created["shop_id"]) == 0
        assert _run(settings, "rotate-token", created["shop_id"]) == 0
    rotated = capsys.readouterr().out
    logged = repr(logs)
    assert "shop_added" in logged and "webhook_secret_rotated" in logged
    for secret in (created["webhook_secret"], created["api_token"], "cs_s", *rotated.split()):
        if len(secret) > 30:
            assert secret not in logged


@pytest.mark.parametrize(
    "command", ["add", "list", "show", "set", "rotate-secret", "rotate-token", "delete"]
)
def test_every_shop_command_has_help(command, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        _run(Settings(), command, "--help")
    assert info.value.code == 0
    assert "usage: wcpulse shop" in capsys.readouterr().out


@pytest.mark.postgres
def test_shop_commands_work_on_postgresql(tmp_path, capsys, postgres_database_url) -> None:
    settings = _settings(tmp_path, WCPULSE_DATABASE_URL=postgres_database_url)
    created = _add_json(settings, capsys)
    assert not (tmp_path / "wcpulse.sqlite3").exists()
    assert _run(settings, "show", created["shop_id"], "--json") == 0
    assert json.loads(capsys.readouterr().out)["shop_id"] == created["shop_id"]
    assert _run(settings, "delete", created["shop_id"], "--yes") == 0


def test_an_unreachable_database_is_a_user_error(tmp_path) -> None:
    url = "postgresql://nobody:hunter2@127.0.0.1:1/none"
    with pytest.raises(UserError, match="cannot open the metadata database") as info:
        _run(_settings(tmp_path, WCPULSE_DATABASE_URL=url), "list")
    assert "hunter2" not in str(info.value)


def _wcpulse(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    env["WCPULSE_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "wcpulse", "shop", *argv]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(
    not (REPO / "wcpulse" / "cli.py").exists(),
    reason="the main CLI (wcpulse/cli.py) is not there yet",
)
def test_the_real_command_prints_json_and_reports_mistakes_in_one_line(tmp_path) -> None:
    added = _wcpulse(
        tmp_path, "add", "--name", "Demo", "--url", "https://shop.example.com", "--json"
    )
    assert added.returncode == 0, added.stderr
    assert ADD_KEYS <= json.loads(added.stdout).keys()
    bad = _wcpulse(tmp_path, "add", "--name", "Demo", "--url", "http://shop.example.com")
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "WCPULSE_ALLOW_HTTP_SHOPS=1" in bad.stderr


def test_set_predictions_stores_the_shops_own_thresholds_and_show_prints_them(settings, capsys):
    shop_id = _add_json(settings, capsys)["shop_id"]
    assert _run(settings, "set-predictions", shop_id, "--high-value", "3000", "--json") == 0
    assert json.loads(capsys.readouterr().out)["predictions"] == {
        "discount_rate": 0.1,
        "high_value": 3000.0,
        "medium_value": 500.0,
        "margin": 0.3,
    }
    assert _run(settings, "show", shop_id) == 0
    assert "high_value 3000" in capsys.readouterr().out
    with pytest.raises(UserError, match="margin must be a share from 0 to 1"):
        _run(settings, "set-predictions", shop_id, "--margin", "30")


def test_set_products_stores_the_shops_scoring_settings_and_refuses_a_bad_one(settings, capsys):
    shop_id = _add_json(settings, capsys)["shop_id"]
    argv = ("set-products", shop_id, "--weights", "10,70,20", "--lead-time-days", "14")
    assert _run(settings, *argv, "--price-objective", "profit", "--json") == 0
    chosen = json.loads(capsys.readouterr().out)["products"]
    assert chosen["weight_revenue"] == 70.0 and chosen["lead_time_days"] == 14.0
    assert chosen["price_objective"] == "profit" and chosen["window_days"] == 30  # default
    assert _run(settings, "set-products", shop_id, "--window-days", "60") == 0
    assert "window_days      60" in capsys.readouterr().out
    assert _run(settings, "show", shop_id, "--json") == 0
    shown = json.loads(capsys.readouterr().out)["products"]
    assert (shown["window_days"], shown["weight_revenue"]) == (60, 70.0)  # both kept
    with pytest.raises(UserError, match="weights must be from 0 to 1000 each and not all 0"):
        _run(settings, "set-products", shop_id, "--weights", "0,0,0")
    with pytest.raises(UserError, match="window_days must be a whole number of days"):
        _run(settings, "set-products", shop_id, "--window-days", "0")


def test_set_changes_timezone_currency_and_locale_and_refuses_a_bad_one(settings, capsys):
    shop_id = _add_json(settings, capsys, "--locale", "pl_PL")["shop_id"]
    assert _run(settings, "show", shop_id, "--json") == 0
    assert json.loads(capsys.readouterr().out)["locale"] == "pl-PL"
    argv = ("set", shop_id, "--timezone", "Europe/Berlin", "--currency", "eur", "--locale", "de")
    assert _run(settings, *argv, "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "shop_id": shop_id, "timezone": "Europe/Berlin", "currency": "EUR", "locale": "de",
    }  # fmt: skip
    with pytest.raises(UserError, match="not a language tag"):
        _run(settings, "set", shop_id, "--locale", "German")
    with pytest.raises(UserError, match="nothing to change"):
        _run(settings, "set", shop_id)
    assert _run(settings, "set", shop_id, "--locale", "") == 0
    assert "each reader's browser language" in capsys.readouterr().out
    assert _run(settings, "show", shop_id, "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["timezone"], shown["currency"], shown["locale"]) == ("Europe/Berlin", "EUR", None)


def test_a_malformed_weights_option_is_one_line_without_a_traceback(tmp_path) -> None:
    result = _wcpulse(tmp_path, "set-products", "shp_nothere", "--weights", "40,40")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "use three numbers like 40,40,20" in result.stderr
