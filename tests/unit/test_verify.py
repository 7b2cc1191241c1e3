"""Signatures: base64(HMAC-SHA256(raw body, secret)) over the exact bytes PHP produced."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from ingest.receiver.verify import sign, signature_matches
from tests.conftest import load_fixture

SECRET = "wc-webhook-secret-Ωmega"


def _hmac_b64(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def php_body() -> bytes:
    return php_json_encode(load_fixture("order_refunded.json"))


def test_sign_matches_the_rfc4231_hmac_sha256_vector_in_base64() -> None:
    # RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
    expected = base64.b64encode(
        bytes.fromhex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    ).decode()
    assert sign(b"what do ya want for nothing?", "Jefe") == expected


def test_the_php_encoded_fixture_has_escaped_slashes_and_unicode_escapes(php_body: bytes) -> None:
    assert b'"first_name":"Jo\\u00e3o"' in php_body
    assert b"https:\\/\\/" in php_body
    assert php_body.isascii()


def test_sign_of_the_php_body_equals_hmac_computed_directly(php_body: bytes) -> None:
    assert sign(php_body, SECRET) == _hmac_b64(php_body, SECRET)
    assert signature_matches(php_body, SECRET, _hmac_b64(php_body, SECRET))


def test_a_reserialised_body_does_not_verify_with_the_original_signature(php_body: bytes) -> None:
    signature = sign(php_body, SECRET)
    value = json.loads(php_body)
    for reserialised in (
        json.dumps(value, ensure_ascii=False).encode(),
        json.dumps(value, separators=(",", ":")).encode(),  # same text but "/" unescaped
        json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(),
    ):
        assert json.loads(reserialised) == value
        assert not signature_matches(reserialised, SECRET, signature)


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        (None, False),
        ("", False),
        ("   ", False),
        ("not-base64-at-all", False),
        ("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", True),
        (" W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=\t", True),
        ("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM", False),
        ("w9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", False),
        ("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEMé", False),
    ],
)
def test_signature_matches_only_the_exact_signature(signature: str | None, expected: bool) -> None:
    assert signature_matches(b"what do ya want for nothing?", "Jefe", signature) is expected


def test_the_right_signature_under_another_secret_does_not_verify(php_body: bytes) -> None:
    assert not signature_matches(php_body, SECRET + "x", sign(php_body, SECRET))


@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=40))
def test_any_body_verifies_against_its_own_signature(body: bytes, secret: str) -> None:
    assert signature_matches(body, secret, sign(body, secret))


@given(body=st.binary(min_size=1, max_size=512), data=st.data())
def test_flipping_any_bit_of_the_body_breaks_the_signature(
    body: bytes, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(body) - 1), label="index")
    bit = data.draw(st.integers(0, 7), label="bit")
    mutated = bytearray(body)
    mutated[index] ^= 1 << bit
    assert not signature_matches(bytes(mutated), SECRET, sign(body, SECRET))
