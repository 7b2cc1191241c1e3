"""Bearer-token auth: a token reads only its own shop.

Missing or unknown token: 401 ``unauthorized``. A valid token on another shop's URL:
403 ``forbidden`` (whether or not that shop exists, so nothing is revealed about it).
"""

from __future__ import annotations

from typing import Protocol

from api.errors import Forbidden, Unauthorized
from schemas.shop import ShopConfig


class ShopTokens(Protocol):
    """Port to the metadata store: which shop an API token belongs to."""

    def shop_for_token(self, token: str) -> ShopConfig | None: ...


def bearer_token(header: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header."""
    scheme, _, token = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <api_token>")
    return token.strip()


def authorize(shops: ShopTokens, shop_id: str, header: str | None) -> ShopConfig:
    """The shop ``header``'s token belongs to, which must be ``shop_id``."""
    shop = shops.shop_for_token(bearer_token(header))
    if shop is None:
        raise Unauthorized("the API token is not valid")
    if shop.shop_id != shop_id:
        raise Forbidden("this API token does not give access to that shop")
    return shop
