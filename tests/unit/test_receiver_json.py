"""The receiver's strict JSON: what ``decode_json`` refuses, what it accepts, and its depth."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from ingest.receiver.parsing import InvalidPayload, decode_json
from ingest.receiver.strict_json import MAX_JSON_DEPTH
from tests.conftest import FIXTURES, load_fixture

TOO_DEEP = "body nests deeper than 64 levels"
NOT_FINITE = "body holds a number that is not finite"
NOT_JSON = "body is not valid JSON"
LONE = "body holds a lone UTF-16 surrogate escape"


def refusal(body: bytes) -> str | None:
    """The message of the refusal, or None when the body is accepted."""
    try:
        decode_json(body)
    except InvalidPayload as exc:
        assert exc.code == "invalid_json"
        return exc.message
    return None


def nested(depth: int, kinds: str = "[") -> bytes:
    """``depth`` containers, one in the other, cycling through ``kinds`` (``[`` or ``{``)."""
    opening, closing = [], []
    for level in range(depth):
        if kinds[level % len(kinds)] == "[":
            opening.append(b"[")
            closing.append(b"]")
        else:
            opening.append(b'{"k":')
            closing.append(b"}")
    inner = b"null" if kinds[(depth - 1) % len(kinds)] == "{" else b""
    return b"".join(opening) + inner + b"".join(reversed(closing))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"1e999", NOT_FINITE),
        (b"-1e400", NOT_FINITE),
        (b"[1E309]", NOT_FINITE),
        (b'{"total": 2e308}', NOT_FINITE),
        (b"1" + b"0" * 309 + b".5", NOT_FINITE),
        (b"NaN", NOT_JSON),
        (b"[-Infinity]", NOT_JSON),
        (b'"\\ud800"', LONE),
        (b'{"\\udc00": 1}', LONE),
        (b'["ok", "\\ud83d"]', LONE),
        (b'["\\ude00\\ud83d"]', LONE),  # a pair the wrong way round is two lone halves
        (b'{"a": "\\ud800", "a": 1}', LONE),  # a dropped duplicate was still delivered
        (b'[{"a": ["\\udfff"], "a": 2}, ' + b"9" * 30 + b"]", LONE),
        (b"[" * 65 + b"]" * 65, TOO_DEEP),
        (b"[" * 100_000 + b"]" * 100_000, TOO_DEEP),
        (b"[" * 100_000, NOT_JSON),
        (b"[1e999," + b"[" * 70 + b"]" * 70 + b"]", TOO_DEEP),  # orjson refuses, then depth
        (b"1" * 5000, "body holds an integer with too many digits"),
        (b"\xef\xbb\xbf{}", NOT_JSON),
        (b"{}\x00", NOT_JSON),
        (b"", NOT_JSON),
        (b'{"a": 1,}', NOT_JSON),
        (b"\xff", "body is not valid UTF-8"),
    ],
)
def test_decode_json_refuses_with_a_message_that_says_what(body: bytes, message: str) -> None:
    assert refusal(body) == message


@pytest.mark.parametrize(
    ("body", "value"),
    [
        (b"1.7976931348623157e308", 1.7976931348623157e308),
        (b"-1e308", -1e308),
        (b"1e-999", 0.0),
        (b"18446744073709551615", 2**64 - 1),
        (b"-9223372036854775808", -(2**63)),
        (b"1" + b"0" * 400, 10**400),  # orjson refuses it as infinite, the fallback reads it
        (b'"a\\u0000b"', "a\x00b"),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b'"\\/\\\\\\""', '/\\"'),
        (b'["\\\\ud800", "\\\\\\\\ud800"]', ["\\ud800", "\\\\ud800"]),  # escaped backslashes
        (b'{"a":1,"a":2}', {"a": 2}),
    ],
)
def test_decode_json_accepts_what_php_can_write_and_big_integers(body: bytes, value: Any) -> None:
    assert decode_json(body).value == value


def test_an_integer_beyond_64_bits_is_accepted_whichever_parser_reads_it() -> None:
    value = decode_json(b'{"id": 184467440737095516160}').value
    assert math.isclose(value["id"], 184467440737095516160)


@pytest.mark.parametrize("kinds", ["[", "{", "[{", "{["])
def test_the_depth_limit_is_64_levels_of_arrays_objects_or_both(kinds: str) -> None:
    assert refusal(nested(MAX_JSON_DEPTH, kinds)) is None
    assert refusal(nested(MAX_JSON_DEPTH + 1, kinds)) == TOO_DEEP


@pytest.mark.parametrize(
    "body",
    [
        b'["' + b"[" * 200 + b'"]',
        b'{"' + b"{" * 200 + b'": 1}',
        b'["\\"' + b"[" * 200 + b'"]',
        b'["\\\\", "' + b"[" * 200 + b'\\\\"]',
        b'["a\\/b\\"[", "' + b"{" * 100 + b'", "\\\\\\"{{"]',
        b'[""' + b',"["' * 100 + b"]",
    ],
)
def test_brackets_inside_strings_do_not_count_as_nesting(body: bytes) -> None:
    json.loads(body)  # the test's own bodies are valid JSON
    assert refusal(body) is None


def test_brackets_in_strings_cannot_hide_real_nesting() -> None:
    hiding = b'["' + b"]" * 200 + b'",' + b"[" * 65 + b"]" * 65 + b"]"
    assert refusal(hiding) == TOO_DEEP


def test_many_shallow_containers_are_not_deep() -> None:
    order = load_fixture("order.json")
    order["line_items"] = order["line_items"] * 200
    body = php_json_encode(order)
    assert body.count(b"[") + body.count(b"{") > 10 * MAX_JSON_DEPTH
    assert decode_json(body).value == order


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json")), ids=lambda p: p.stem)
def test_every_real_payload_decodes_to_what_the_standard_library_reads(path: Any) -> None:
    body = php_json_encode(load_fixture(path.name))
    assert decode_json(body).value == json.loads(body)
    assert decode_json(body).text == body.decode()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_php_can_write_within_the_limits_decodes_to_the_same_value(value: Any) -> None:
    body = php_json_encode(value)
    assert decode_json(body).value == json.loads(body)


@settings(max_examples=200, deadline=None)
@given(
    depth=st.integers(1, 3 * MAX_JSON_DEPTH),
    kinds=st.sampled_from(["[", "{", "[{", "{{["]),
    padding=st.sampled_from([b"", b'"]]]]",', b'"[[{{",', b'"\\\\",', b'"\\"[[",']),
)
def test_a_body_is_refused_as_too_deep_exactly_when_it_nests_past_the_limit(
    depth: int, kinds: str, padding: bytes
) -> None:
    body = b"[" + padding + nested(depth, kinds) + b"]"
    expected = TOO_DEEP if depth + 1 > MAX_JSON_DEPTH else None
    assert refusal(body) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.binary(max_size=300)
    | st.text(alphabet='[]{}",:\\u0123456789.eE+-ntrufalse ').map(str.encode)
)
def test_any_bytes_decode_or_are_refused_as_invalid_json_never_anything_else(body: bytes) -> None:
    refusal(body)  # InvalidPayload with code invalid_json, or a value: nothing else escapes
