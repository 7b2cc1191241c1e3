from pathlib import Path

import pytest

from schemas.settings import SettingsError, load_settings


def test_no_variables_give_the_embedded_defaults():
    settings = load_settings({})
    assert settings.data_dir == Path("./var")
    assert settings.embedded_broker and settings.broker_url is None
    assert settings.metadata_url.startswith("sqlite:///") and settings.metadata_url.endswith(
        "var/wcpulse.sqlite3"
    )
    assert (settings.partitions, settings.allow_http_shops) == (4, False)
    assert (settings.view_interval_seconds, settings.alert_interval_seconds) == (0.5, 2.0)
    assert settings.webhook_url("shp_1") == "http://127.0.0.1:8000/webhooks/woocommerce/shp_1"


def test_a_plain_postgresql_url_uses_the_psycopg_driver():
    settings = load_settings({"WCPULSE_DATABASE_URL": "postgresql://u@db/wcpulse"})
    assert settings.metadata_url == "postgresql+psycopg://u@db/wcpulse"


def test_the_alert_interval_is_read():
    assert load_settings({"WCPULSE_ALERT_INTERVAL": "0"}).alert_interval_seconds == 0.0


def test_public_url_and_flags_are_read():
    settings = load_settings(
        {"WCPULSE_PUBLIC_URL": "https://a.example/", "WCPULSE_ALLOW_HTTP_SHOPS": "yes"}
    )
    assert settings.webhook_url("s") == "https://a.example/webhooks/woocommerce/s"
    assert settings.allow_http_shops


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WCPULSE_PARTITIONS": "four"}, "WCPULSE_PARTITIONS must be a whole number"),
        ({"WCPULSE_PARTITIONS": "0"}, "at least 1"),
        ({"WCPULSE_ALLOW_HTTP_SHOPS": "maybe"}, "WCPULSE_ALLOW_HTTP_SHOPS must be"),
        ({"WCPULSE_VIEW_INTERVAL": "-1"}, "must not be negative"),
        ({"WCPULSE_ALERT_INTERVAL": "soon"}, "WCPULSE_ALERT_INTERVAL must be a number"),
        ({"WCPULSE_LOG_FORMAT": "xml"}, "json or console"),
    ],
)
def test_bad_values_are_refused_with_the_variable_named(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
