"""Secrets at rest: AES-256-GCM for shop credentials, SHA-256 for API tokens.

Stored form of an encrypted value: ``v1:`` + url-safe base64 of ``nonce (12 bytes) ||
ciphertext+tag``. The version prefix lets a later format (or key rotation) sit beside v1.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
import stat
from pathlib import Path

import structlog
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store.errors import StoreError

log = structlog.get_logger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
VERSION = "v1:"
_KEY_HELP = (
    "the secret key must be 32 bytes written as url-safe base64 (43 or 44 characters) or "
    "as 64 hex characters; make one with: python -c "
    '"import base64, secrets; print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())"'
)


class CryptoError(StoreError):
    """A secret cannot be decrypted (wrong key, tampered data) or a key is malformed."""


class SecretBox:
    """Encrypts and decrypts short strings with AES-GCM under one 32-byte key.

    ``context`` is optional associated data: a value encrypted for one context (for example
    ``"shp_x:webhook_secret"``) does not decrypt under another, so stored values cannot be
    swapped between rows or columns unnoticed.
    """

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise CryptoError(f"secret key has {len(key)} bytes; {_KEY_HELP}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "SecretBox(<key hidden>)"

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return VERSION + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")

    def decrypt(self, token: str, *, context: str = "") -> str:
        if not token.startswith(VERSION):
            raise CryptoError("encrypted value has an unknown format (expected a v1: prefix)")
        try:
            raw = base64.urlsafe_b64decode(token[len(VERSION) :].encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise CryptoError("encrypted value is not valid base64 (damaged data)") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise CryptoError("encrypted value is too short (damaged data)")
        try:
            plain = self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise CryptoError(
                "cannot decrypt a stored secret: WCPULSE_SECRET_KEY is not the key it was "
                "encrypted with, or the stored value was altered"
            ) from None
        return plain.decode("utf-8")


def parse_key(text: str) -> bytes:
    """A 32-byte key from url-safe (or standard) base64, or from 64 hex characters."""
    value = text.strip()
    if len(value) == 2 * KEY_BYTES and all(c in "0123456789abcdefABCDEF" for c in value):
        return bytes.fromhex(value)
    try:
        padded = value.replace("+", "-").replace("/", "_") + "=" * (-len(value) % 4)
        key = base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CryptoError(f"secret key is neither base64 nor hex; {_KEY_HELP}") from None
    if len(key) != KEY_BYTES:
        raise CryptoError(f"secret key decodes to {len(key)} bytes, not {KEY_BYTES}; {_KEY_HELP}")
    return key


def format_key(key: bytes) -> str:
    """The text form of a key, as ``load_or_create_key`` writes it and ``parse_key`` reads it."""
    return base64.urlsafe_b64encode(key).decode("ascii")


def load_or_create_key(path: Path) -> bytes:
    """Read the key file, or create it (mode 0600) with a new random key.

    Creation is race-free: the key is written to a private temporary file and hard-linked
    into place, so two processes starting at once end up sharing whichever key won.
    """
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    _warn_if_exposed(path)
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except (CryptoError, UnicodeDecodeError) as exc:
        raise CryptoError(f"key file {path} is unusable: {exc}") from None


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(format_key(secrets.token_bytes(KEY_BYTES)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)
        log.info("secret_key_created", path=str(path))
    except FileExistsError:
        pass  # another process created it first; use theirs
    finally:
        tmp.unlink(missing_ok=True)


def _warn_if_exposed(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("secret_key_file_readable_by_others", path=str(path), mode=oct(mode & 0o777))


def hash_token(token: str) -> str:
    """SHA-256 hex of an API token, the only form in which tokens are stored.

    A plain fast hash is enough here: API tokens are 32+ random bytes (not passwords a person
    chose), so brute-forcing the hash is as hopeless as guessing the token; a slow KDF would
    only slow down every API request.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
