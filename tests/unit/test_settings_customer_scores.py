"""Settings for customer scores: the rescoring interval, the admin token, consent keys."""

from __future__ import annotations

import pytest

from schemas.settings import SettingsError, load_settings
from schemas.shop import DEFAULT_CONSENT_KEYS


def test_defaults_rescore_every_six_hours_with_no_admin_token_and_the_default_consent_keys():
    settings = load_settings({})
    assert settings.rfm_interval_seconds == 6 * 3600
    assert settings.admin_token is None
    assert settings.consent_keys == DEFAULT_CONSENT_KEYS


def test_consent_keys_are_read_per_channel_from_comma_separated_lists():
    settings = load_settings(
        {
            "WCPULSE_CONSENT_EMAIL_KEYS": " newsletter_optin , _gdpr_email ",
            "WCPULSE_RFM_INTERVAL": "60",
        }
    )
    assert dict(settings.consent_keys)["email"] == ("newsletter_optin", "_gdpr_email")
    assert dict(settings.consent_keys)["sms"] == dict(DEFAULT_CONSENT_KEYS)["sms"]
    assert settings.rfm_interval_seconds == 60


def test_a_consent_key_the_normaliser_would_not_keep_is_refused_with_the_rule():
    with pytest.raises(SettingsError, match="WCPULSE_CONSENT_SMS_KEYS.*'phone_ok'.*consent"):
        load_settings({"WCPULSE_CONSENT_SMS_KEYS": "phone_ok"})
