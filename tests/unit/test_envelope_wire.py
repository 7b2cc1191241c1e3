"""Envelope.from_json's msgspec fast path gives what the checked path gives: the same
envelope, or the same EnvelopeError message (the reason a dead letter carries)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.envelope import ENVELOPE_SCHEMA, SOURCES, Envelope, EnvelopeError

FIXED_ID = uuid.UUID(int=7)  # the envelope_id both paths make when the wire has none

CHARS = st.characters(codec=None, exclude_categories=())  # lone surrogates included
TEXT = st.text(CHARS, max_size=8)
ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=4,
)
OFFSETS = st.timedeltas(min_value=-timedelta(hours=23), max_value=timedelta(hours=23))
MOMENTS = st.datetimes(timezones=st.none() | st.just(UTC) | st.builds(timezone, OFFSETS))
ISO_TEXT = st.builds(
    lambda moment, sep, spec: moment.isoformat(sep, spec),
    MOMENTS,
    st.sampled_from("T t"),
    st.sampled_from(["auto", "minutes", "seconds", "milliseconds", "microseconds"]),
)
ISO_LIKE = st.from_regex(
    r"\A\d{4}-\d\d-\d\d([Tt ]\d\d(:\d\d(:\d\d(\.\d{1,9})?)?)?)?([Zz]|[+-]\d\d(:?\d\d)?)?\Z"
)
RECEIVED_AT = ISO_TEXT | ISO_TEXT.map(lambda text: text.replace("+00:00", "Z")) | ISO_LIKE


REQUIRED = {
    "schema": st.just(ENVELOPE_SCHEMA),
    "shop_id": TEXT,
    "topic": TEXT,
    "resource": TEXT,
    "event": TEXT,
    "resource_id": st.none() | st.integers(-(2**64), 2**64),
    "body": TEXT,
    "received_at": RECEIVED_AT,
}
OPTIONAL = {
    "source": st.sampled_from(sorted(SOURCES)) | TEXT,
    "webhook_id": st.none() | TEXT,
    "delivery_id": st.none() | TEXT,
    "envelope_id": st.just("") | TEXT,
    "body_sha256": st.just("") | TEXT,
}


@st.composite
def wire_forms(draw: st.DrawFn) -> bytes | str:
    """Envelope-shaped JSON: a field of any JSON value, missing, repeated or unknown now and
    then, in several encodings."""
    data = draw(st.fixed_dictionaries(REQUIRED, optional=OPTIONAL))
    for name in draw(st.sets(st.sampled_from([*sorted(data), "unknown"]), max_size=2)):
        data[name] = draw(ANY_JSON)
    for name in draw(st.sets(st.sampled_from(sorted(data)), max_size=1)):
        del data[name]
    text = json.dumps(data, ensure_ascii=draw(st.booleans()), allow_nan=True)
    if data and draw(st.booleans()):  # a key twice: the last one wins
        name = draw(st.sampled_from(sorted(data)))
        value = draw({**REQUIRED, **OPTIONAL}.get(name, ANY_JSON))
        text = f"{text[:-1]}, {json.dumps(name)}: {json.dumps(value)}}}"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "str"]))
    return text if encoding == "str" else text.encode(encoding, "surrogatepass")


def _outcome(decode: Any, raw: bytes | str) -> tuple:
    try:
        envelope = decode(raw)
    except EnvelopeError as exc:
        return ("error", str(exc))
    return ("envelope", msgspec.structs.astuple(envelope), envelope.received_at.isoformat())


def _both_outcomes(raw: bytes | str) -> tuple[tuple, tuple]:
    with mock.patch("uuid.uuid4", return_value=FIXED_ID):
        return _outcome(Envelope.from_json, raw), _outcome(Envelope._from_checked_json, raw)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(wire_forms(), wire_forms(), wire_forms(), st.binary(max_size=40)))
def test_the_fast_path_and_the_checked_path_agree_on_any_input(raw):
    fast, checked = _both_outcomes(raw)
    assert fast == checked


@pytest.mark.parametrize(
    "changes",
    [
        {"shop_id": "\ud800"},  # a lone surrogate: json, not orjson, reads it
        {"received_at": "2024-03-01T12:00:00Z"},
        {"received_at": "2024-03-01 12:00:00.1234567+01:00"},
        {"received_at": "2024-03-01T12:00:00"},
        {"resource_id": 2**63},
        {"resource_id": 1.0},
        {"extra": 1},
        {"schema": None},
        {"schema": "wcpulse.envelope.v2"},
        {"source": ["webhook"]},
    ],
)
def test_the_edge_cases_of_the_wire_form_agree_on_both_paths(changes):
    wire = json.loads(_valid_envelope().to_json()) | changes
    fast, checked = _both_outcomes(json.dumps(wire).encode())
    assert fast == checked


def test_a_valid_envelope_is_decoded_by_the_fast_path_alone():
    envelope = _valid_envelope()
    checked = mock.patch.object(Envelope, "_from_checked_json", side_effect=AssertionError)
    with checked:
        assert Envelope.from_json(envelope.to_json()) == envelope


def test_a_repeated_key_counts_as_its_last_value_on_both_paths():
    raw = _valid_envelope().to_json()[:-1] + b', "shop_id": "shp_last"}'
    assert Envelope.from_json(raw).shop_id == "shp_last"
    assert Envelope._from_checked_json(raw).shop_id == "shp_last"


def _valid_envelope() -> Envelope:
    at = datetime(2024, 3, 1, 12, tzinfo=UTC)
    return Envelope("shp", "order.updated", "order", "updated", 25, '{"id": 25}', at)
