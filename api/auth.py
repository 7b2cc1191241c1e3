"""API auth: a shop's token reads only its own shop.

The token comes as ``Authorization: Bearer <token>``, or, on GET and HEAD only, in the
dashboard's session cookie for that shop (HTTP-only, SameSite=Strict; api/dashboard_session.py
sets it). Cookies never authorise a request that changes something, so a page elsewhere
cannot act with them (CSRF), and a header always wins over a cookie.

Missing or unknown token: 401 ``unauthorized``. A valid token on another shop's URL:
403 ``forbidden`` (whether or not that shop exists, so nothing is revealed about it).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Protocol

from cachetools import TTLCache
from flask import Request

from api.errors import Forbidden, Unauthorized
from schemas.shop import ShopConfig

COOKIE_METHODS = frozenset({"GET", "HEAD"})
# How long a token's shop is remembered by the read API (``RememberedTokens``): a rotated
# or revoked token, or a shop's changed settings, take effect within this time.
TOKEN_SECONDS = 1.0
TOKENS_HELD = 1024


class ShopTokens(Protocol):
    """Port to the metadata store: which shop an API token belongs to."""

    def shop_for_token(self, token: str) -> ShopConfig | None: ...


class RememberedTokens:
    """``ShopTokens`` that remembers each shop it found for ``seconds``: a dashboard or a
    client polling every 20 ms asks the metadata database once a second, not fifty times
    (a lookup is about 1.2 ms of Python, taken from the publishing processor on a small
    machine). Tokens are held by their hash; unknown tokens are asked for every time."""

    def __init__(
        self,
        inner: ShopTokens,
        seconds: float = TOKEN_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        held: int = TOKENS_HELD,
    ) -> None:
        self._inner = inner
        self._held: TTLCache[bytes, ShopConfig] = TTLCache(held, seconds, timer=clock)
        self._lock = threading.Lock()

    def shop_for_token(self, token: str) -> ShopConfig | None:
        key = hashlib.sha256(token.encode()).digest()
        with self._lock:
            shop = self._held.get(key)
        if shop is None:
            shop = self._inner.shop_for_token(token)
            if shop is not None:
                with self._lock:
                    self._held[key] = shop
        return shop


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <api_token>")
    return token.strip()


def session_cookie_name(shop_id: str) -> str:
    """The name of the dashboard's session cookie for ``shop_id`` (one per shop, so an
    owner of several shops can be signed in to each; a hash keeps any shop id a valid name)."""
    return "wcpulse_" + hashlib.sha256(shop_id.encode()).hexdigest()[:16]


def request_token(request: Request, shop_id: str) -> str:
    """The bearer token, else (GET and HEAD only) the shop's session cookie."""
    header = request.headers.get("Authorization")
    if header is None and request.method in COOKIE_METHODS:
        cookie = request.cookies.get(session_cookie_name(shop_id), "").strip()
        if cookie:
            return cookie
    return bearer_token(header)


def check_token(shops: ShopTokens, shop_id: str, token: str) -> ShopConfig:
    """The shop ``token`` belongs to, which must be ``shop_id``."""
    shop = shops.shop_for_token(token)
    if shop is None:
        raise Unauthorized("the API token is not valid")
    if shop.shop_id != shop_id:
        raise Forbidden("this API token does not give access to that shop")
    return shop


def authorize(shops: ShopTokens, shop_id: str, header: str | None) -> ShopConfig:
    """The shop ``header``'s bearer token belongs to, which must be ``shop_id``."""
    return check_token(shops, shop_id, bearer_token(header))


def authorize_request(shops: ShopTokens, shop_id: str, request: Request) -> ShopConfig:
    """``authorize`` with the request's bearer token or (GET and HEAD) session cookie."""
    return check_token(shops, shop_id, request_token(request, shop_id))
