"""The jobs registry: each job's envelope becomes its event, schedules name real settings, and
what ``wcpulse jobs run`` offers is what has a summary (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from processors.alerts.alert_jobs import raised_envelope
from processors.handlers import handle_envelope
from processors.jobs import JOBS, RUNNABLE_JOBS
from schemas.alerts import Alert
from schemas.control_events import AlertsRaised
from schemas.jobs import JOB_NAMES, acknowledge_envelope, dated_job_envelope, erase_envelope
from schemas.settings import Settings

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


INTERNAL = {"erase", "alerts_raised", "acknowledge_alert", "health_noted"}  # own bodies


@pytest.mark.parametrize("name", sorted(set(JOBS) - INTERNAL))
def test_a_dated_job_envelope_becomes_the_event_of_its_job(name):
    [event] = handle_envelope(dated_job_envelope("shp", name, date(2024, 2, 1), NOW))
    assert (event.job, event.as_of, event.at) == (name, date(2024, 2, 1), NOW)


def test_an_alerts_raised_envelope_carries_its_alerts_and_an_acknowledgement_its_id():
    alert = Alert(
        alert_id=7, shop_id="shp", type="sales_drop", severity="critical", title="t",
        message="m", measured=40.0, threshold=30.0, unit="%", subject_kind="shop",
        subject_id="", subject_label="Shop", created_at=NOW, dedup_key="shop",
    )  # fmt: skip
    [raised] = handle_envelope(raised_envelope("shp", AlertsRaised((alert,), NOW)))
    assert (raised.job, raised.alerts, raised.at) == ("alerts_raised", (alert,), NOW)
    [acked] = handle_envelope(acknowledge_envelope("shp", 7, NOW))
    assert (acked.job, acked.alert_id, acked.at) == ("acknowledge_alert", 7, NOW)


def test_an_erasure_envelope_becomes_an_erasure_event():
    [event] = handle_envelope(erase_envelope("shp", "25", NOW))
    assert (event.job, event.customer_key, event.at) == ("erase", "25", NOW)


def test_every_scheduled_job_names_a_setting_and_follows_with_known_jobs():
    settings = Settings()
    scheduled = {name: spec for name, spec in JOBS.items() if spec.interval}
    assert set(scheduled) == {"rfm", "clv", "churn", "products", "alerts", "retention"}
    for spec in scheduled.values():
        assert getattr(settings, spec.interval) > 0
        assert set(spec.followed_by) <= set(JOBS)


def test_the_command_line_runs_the_jobs_with_a_summary_and_knows_the_later_ones():
    assert RUNNABLE_JOBS == (
        "rfm", "clv", "churn", "backtest", "products", "alerts", "fulfillment", "digests",
        "retention",
    )  # fmt: skip
    assert set(RUNNABLE_JOBS) == set(JOB_NAMES)  # SPEC §5: every job runs
