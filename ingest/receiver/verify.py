"""WooCommerce webhook signatures: base64(HMAC-SHA256(raw body, secret)), constant-time check."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(body: bytes, secret: str) -> str:
    """The value WooCommerce puts in ``X-WC-Webhook-Signature`` for this raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(body: bytes, secret: str, signature: str | None) -> bool:
    """True only when ``signature`` is exactly the signature of ``body`` (constant time)."""
    if not signature:
        return False
    return hmac.compare_digest(sign(body, secret).encode(), signature.strip().encode())
