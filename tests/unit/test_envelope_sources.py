"""Who may run a job, and what a malformed envelope is (pure: handlers and the wire format)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from processors.consumer import retry_delay
from processors.handlers import handle_envelope
from schemas.control_events import ErasureRequested, ScoresRequested
from schemas.envelope import Envelope, EnvelopeError
from schemas.events import DeliveryNoted
from schemas.jobs import erase_envelope, rescore_envelope

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("source", ["webhook", "import", "sync", "demo"])
@pytest.mark.parametrize("job", ["erase", "rfm", "clv", "churn", "backtest", "unknown"])
def test_a_job_topic_from_outside_is_noted_and_never_becomes_a_job(source, job):
    body = json.dumps({"as_of": "2024-03-01", "customer_key": "25", "erasure_id": "e" * 16})
    envelope = Envelope("shp", f"job.{job}", "job", job, None, body, NOW, source=source)
    assert handle_envelope(envelope) == [DeliveryNoted("unsupported", f"job.{job}", "job", NOW)]


def test_our_own_job_envelopes_run_their_jobs():
    [erasure] = handle_envelope(erase_envelope("shp", "25", NOW))
    [scores] = handle_envelope(rescore_envelope("shp", date(2024, 3, 1), NOW))
    assert isinstance(erasure, ErasureRequested) and erasure.customer_key == "25"
    assert scores == ScoresRequested(date(2024, 3, 1), NOW)


def _wire(**changes: object) -> bytes:
    data = json.loads(erase_envelope("shp", "25", NOW).to_json())
    return json.dumps(data | changes).encode()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"body": 5}, "malformed envelope"),
        ({"shop_id": ["x"]}, "bad shop_id"),
        ({"resource_id": 2**70}, "bad resource_id"),
        ({"resource_id": True}, "bad resource_id"),
        ({"source": "admin"}, "bad source"),
        ({"source": ["webhook"]}, "bad source"),
        ({"received_at": "2024-03-01T12:00:00"}, "timezone-aware"),
        ({"received_at": 7}, "malformed envelope"),
    ],
)
def test_an_envelope_with_a_field_of_the_wrong_type_is_an_envelope_error(changes, reason):
    with pytest.raises(EnvelopeError, match=reason):
        Envelope.from_json(_wire(**changes))


def test_an_envelope_missing_fields_names_them():
    with pytest.raises(EnvelopeError, match="missing topic, resource"):
        Envelope.from_json(b'{"schema": "wcpulse.envelope.v1", "shop_id": "shp"}')


def test_retries_pause_longer_each_time_up_to_the_last_delay():
    assert [retry_delay(n, (1.0, 2.0, 5.0)) for n in (1, 2, 3, 4, 9)] == [1, 2, 5, 5, 5]
