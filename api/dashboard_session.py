"""The dashboard's sign-in: the shop's API token, posted once, kept in an HTTP-only,
SameSite=Strict cookie that the read API accepts on GET (api/auth.py); never in the URL.

``POST /dashboard/<shop_id>/session`` checks the token (JSON ``{"token": ...}`` or a form
field ``token``) and sets the cookie; ``GET`` answers whether the browser is signed in
(``signed_in``) and, when it is, the shop's name, currency, timezone and locale (null:
the reader's browser language), which the page uses; ``DELETE`` signs out. A POST or DELETE from
another origin is refused (403), so no other site can sign a browser in or out.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Request, Response, jsonify, request

from api.auth import ShopTokens, authorize_request, check_token, session_cookie_name
from api.errors import ApiError, Forbidden, Unauthorized
from schemas.shop import ShopConfig

SESSION_DAYS = 30
SESSION_RULE = "/dashboard/<shop_id>/session"


def shop_card(shop: ShopConfig) -> dict[str, str | None]:
    """What the page needs to know about the shop it shows."""
    return {
        "shop_id": shop.shop_id,
        "name": shop.name,
        "url": shop.url,
        "currency": shop.currency,
        "timezone": shop.timezone,
        "locale": shop.locale,
    }


def _same_origin(req: Request) -> None:
    origin = req.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != req.host_url.rstrip("/"):
        raise Forbidden("sign-in and sign-out are accepted from this site's own pages only")


def _posted_token(req: Request) -> str:
    body = req.get_json(silent=True) if req.is_json else None
    token = body.get("token") if isinstance(body, dict) else req.form.get("token")
    if not isinstance(token, str) or not token.strip():
        raise Unauthorized("enter the shop's API token")
    return token.strip()


def _signed_in(shop: ShopConfig, token: str) -> Response:
    response = jsonify({"signed_in": True} | shop_card(shop))
    response.set_cookie(
        session_cookie_name(shop.shop_id),
        token,
        max_age=timedelta(days=SESSION_DAYS),
        path="/",
        secure=request.is_secure,
        httponly=True,
        samesite="Strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def session_blueprint(shops: ShopTokens) -> Blueprint:
    """Sign in, who is signed in, sign out: ``/dashboard/<shop_id>/session``."""
    blueprint = Blueprint("dashboard_session", __name__)

    @blueprint.post(SESSION_RULE)
    def sign_in(shop_id: str) -> Response:
        _same_origin(request)
        token = _posted_token(request)
        return _signed_in(check_token(shops, shop_id, token), token)

    @blueprint.get(SESSION_RULE)
    def who(shop_id: str) -> Response:
        try:
            card = {"signed_in": True} | shop_card(authorize_request(shops, shop_id, request))
        except ApiError:
            card = {"signed_in": False}  # the page then shows its sign-in form
        response = jsonify(card)
        response.headers["Cache-Control"] = "no-store"
        return response

    @blueprint.delete(SESSION_RULE)
    def sign_out(shop_id: str) -> Response:
        _same_origin(request)
        response = Response(status=204)
        response.delete_cookie(
            session_cookie_name(shop_id), path="/", httponly=True, samesite="Strict"
        )
        return response

    return blueprint
