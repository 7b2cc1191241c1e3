"""Settings for CLV and churn predictions (issue 5): defaults, overrides, refusals."""

from __future__ import annotations

import pytest

from schemas.settings import SettingsError, load_settings
from schemas.shop import PredictionSettings


def test_defaults_are_the_specs_thresholds_a_10_percent_rate_and_daily_refits():
    settings = load_settings({})
    assert settings.predictions == PredictionSettings(0.10, 2000.0, 500.0, 0.30)
    assert settings.clv_interval_seconds == 24 * 3600
    assert settings.churn_interval_seconds == 6 * 3600


def test_each_prediction_setting_is_read_from_its_variable():
    env = {
        "WCPULSE_CLV_DISCOUNT_RATE": "0.05",
        "WCPULSE_CLV_HIGH_VALUE": "5000",
        "WCPULSE_CLV_MEDIUM_VALUE": "800",
        "WCPULSE_DEFAULT_MARGIN": "0.4",
        "WCPULSE_CLV_INTERVAL": "3600",
        "WCPULSE_CHURN_INTERVAL": "600",
    }
    settings = load_settings(env)
    assert settings.predictions == PredictionSettings(0.05, 5000.0, 800.0, 0.4)
    assert (settings.clv_interval_seconds, settings.churn_interval_seconds) == (3600, 600)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"WCPULSE_CLV_DISCOUNT_RATE": "1.5"}, "WCPULSE_CLV_DISCOUNT_RATE must be a rate"),
        ({"WCPULSE_CLV_MEDIUM_VALUE": "3000"}, "WCPULSE_CLV_MEDIUM_VALUE must be from 0 to"),
        ({"WCPULSE_DEFAULT_MARGIN": "30"}, "WCPULSE_DEFAULT_MARGIN must be a share"),
        ({"WCPULSE_CLV_HIGH_VALUE": "lots"}, "WCPULSE_CLV_HIGH_VALUE must be a number"),
    ],
)
def test_out_of_range_prediction_settings_are_refused_naming_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env)
