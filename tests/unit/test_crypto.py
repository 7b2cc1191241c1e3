"""SecretBox (AES-GCM), key parsing, the key file and token hashing."""

from __future__ import annotations

import base64
import os
import secrets
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.crypto import (
    CryptoError,
    SecretBox,
    format_key,
    hash_token,
    load_or_create_key,
    parse_key,
)
from store.errors import StoreError

KEY = bytes(range(32))


def _flip(token: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token.removeprefix("v1:")))
    raw[index] ^= 0x01
    return "v1:" + base64.urlsafe_b64encode(bytes(raw)).decode()


@given(st.text(max_size=300))
def test_decrypting_what_was_encrypted_gives_the_plaintext_back(plaintext: str) -> None:
    box = SecretBox(KEY)
    assert box.decrypt(box.encrypt(plaintext)) == plaintext


def test_an_encrypted_value_is_versioned_and_does_not_contain_the_plaintext() -> None:
    token = SecretBox(KEY).encrypt("cs_supersecretvalue")
    assert token.startswith("v1:")
    assert "supersecret" not in token
    assert len(base64.urlsafe_b64decode(token[3:])) == 12 + len("cs_supersecretvalue") + 16


def test_encrypting_twice_uses_a_fresh_nonce() -> None:
    box = SecretBox(KEY)
    assert box.encrypt("same") != box.encrypt("same")


@pytest.mark.parametrize("index", [0, 11, 12, -1])
def test_a_changed_byte_in_nonce_ciphertext_or_tag_is_detected(index: int) -> None:
    box = SecretBox(KEY)
    with pytest.raises(CryptoError, match="WCPULSE_SECRET_KEY|altered"):
        box.decrypt(_flip(box.encrypt("webhook-secret"), index))


def test_a_different_key_cannot_decrypt_and_says_why() -> None:
    token = SecretBox(KEY).encrypt("webhook-secret")
    with pytest.raises(CryptoError, match="not the key it was encrypted with"):
        SecretBox(secrets.token_bytes(32)).decrypt(token)


def test_a_value_encrypted_for_one_context_does_not_decrypt_in_another() -> None:
    box = SecretBox(KEY)
    token = box.encrypt("secret", context="shp_a:webhook_secret")
    assert box.decrypt(token, context="shp_a:webhook_secret") == "secret"
    with pytest.raises(CryptoError):
        box.decrypt(token, context="shp_b:webhook_secret")


@pytest.mark.parametrize(
    "token, message",
    [
        ("plain-text", "unknown format"),
        ("v2:AAAA", "unknown format"),
        ("v1:%%%notbase64", "base64"),
        ("v1:" + base64.urlsafe_b64encode(b"short").decode(), "too short"),
    ],
)
def test_malformed_stored_values_raise_a_crypto_error(token: str, message: str) -> None:
    with pytest.raises(CryptoError, match=message):
        SecretBox(KEY).decrypt(token)


def test_crypto_errors_are_store_errors() -> None:
    assert issubclass(CryptoError, StoreError)


def test_a_key_of_the_wrong_length_is_refused() -> None:
    with pytest.raises(CryptoError, match="16 bytes"):
        SecretBox(bytes(16))


def test_the_box_does_not_show_its_key() -> None:
    assert KEY.hex() not in repr(SecretBox(KEY))


@pytest.mark.parametrize(
    "text",
    [
        base64.urlsafe_b64encode(KEY).decode(),
        base64.urlsafe_b64encode(KEY).decode().rstrip("="),
        base64.b64encode(KEY).decode(),
        KEY.hex(),
        KEY.hex().upper(),
        "  " + KEY.hex() + "\n",
    ],
)
def test_keys_are_read_from_base64_or_hex(text: str) -> None:
    assert parse_key(text) == KEY


def test_url_safe_base64_with_dash_and_underscore_is_accepted() -> None:
    key = bytes([0xFB, 0xFF] * 16)
    text = base64.urlsafe_b64encode(key).decode()
    assert "-" in text or "_" in text
    assert parse_key(text) == key


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "decodes to 0 bytes"),
        ("not a key!", "neither base64 nor hex"),
        (base64.urlsafe_b64encode(bytes(16)).decode(), "decodes to 16 bytes"),
        ("ab" * 31, "decodes to"),
        ("zz" * 32, "decodes to 48 bytes"),
        ("klucz-ąę", "neither base64 nor hex"),
    ],
)
def test_unusable_keys_are_refused_with_instructions(text: str, message: str) -> None:
    with pytest.raises(CryptoError, match=message) as info:
        parse_key(text)
    assert "make one with" in str(info.value)


def test_format_key_and_parse_key_are_inverse() -> None:
    key = secrets.token_bytes(32)
    assert parse_key(format_key(key)) == key


def test_the_key_file_is_created_private_and_then_reused(tmp_path) -> None:
    path = tmp_path / "nested" / "secret.key"
    first = load_or_create_key(path)
    assert len(first) == 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_key(path) == first
    assert list(path.parent.iterdir()) == [path]


def test_an_existing_key_file_is_read_not_replaced(tmp_path) -> None:
    path = tmp_path / "secret.key"
    path.write_text(KEY.hex() + "\n")
    assert load_or_create_key(path) == KEY


def test_a_damaged_key_file_names_the_file(tmp_path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("garbage")
    with pytest.raises(CryptoError, match=str(path)):
        load_or_create_key(path)


def test_token_hashes_are_sha256_hex_and_differ_per_token() -> None:
    digest = hash_token("wcp_abc")
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert digest == hash_token("wcp_abc")
    assert digest != hash_token("wcp_abd")
    assert "wcp_abc" not in digest
