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
from typing import Protocol

from flask import Request

from api.errors import Forbidden, Unauthorized
from schemas.shop import ShopConfig

COOKIE_METHODS = frozenset({"GET", "HEAD"})


class ShopTokens(Protocol):
    """Port to the metadata store: which shop an API token belongs to."""

    def shop_for_token(self, token: str) -> ShopConfig | None: ...


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
