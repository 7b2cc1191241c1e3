"""One-click unsubscribe from a shop's alert e-mails (``List-Unsubscribe`` of every alert
message): ``GET /alerts/unsubscribe?shop=&to=&t=`` shows what the link does and a button;
``POST`` (the button, or a mail client's one-click ``List-Unsubscribe=One-Click``, RFC 8058)
removes the address from the shop's recipients. ``t`` proves the link was ours
(``schemas.alerts.unsubscribe_token``: an HMAC with the shop's webhook secret); a wrong or
old one gets 403 and changes nothing."""

from __future__ import annotations

import hmac
from datetime import datetime
from html import escape
from typing import Protocol

import structlog
from flask import Blueprint, Response, request

from schemas.alerts import unsubscribe_token
from schemas.clock import Clock
from schemas.shop import ShopConfig

log = structlog.get_logger(__name__)


class Recipients(Protocol):
    def get(self, shop_id: str) -> ShopConfig | None: ...
    def webhook_secret(self, shop_id: str) -> str | None: ...
    def remove_recipient(self, shop_id: str, address: str, now: datetime) -> bool:
        """Take ``address`` (any case) off the alert recipients; False when it was not one."""
        ...


def unsubscribe_blueprint(shops: Recipients, clock: Clock) -> Blueprint:
    blueprint = Blueprint("unsubscribe", __name__)

    def unsubscribe() -> Response:
        shop_id, recipient = request.args.get("shop", ""), request.args.get("to", "")
        shop = _checked(shops, shop_id, recipient, request.args.get("t", ""))
        if shop is None:
            return _page(403, "This unsubscribe link is not valid (or no longer is).")
        if request.method == "GET":
            return _page(200, f"Stop the alert e-mails of {shop.name} to {recipient}?", True)
        if shops.remove_recipient(shop.shop_id, recipient, clock.now()):
            log.info("alert_recipient_unsubscribed", shop_id=shop.shop_id)
        return _page(200, f"{recipient} gets no more alert e-mails from {shop.name}.")

    blueprint.add_url_rule(
        "/alerts/unsubscribe", "unsubscribe", unsubscribe, methods=["GET", "POST"]
    )
    return blueprint


def _checked(shops: Recipients, shop_id: str, recipient: str, token: str) -> ShopConfig | None:
    """The shop when the token is the one we gave ``recipient`` for it."""
    if not (shop_id and recipient and token) or len(shop_id) > 40 or len(recipient) > 254:
        return None
    secret = shops.webhook_secret(shop_id)
    if not secret:
        return None
    expected = unsubscribe_token(secret, shop_id, recipient)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return shops.get(shop_id)


def _page(status: int, text: str, button: bool = False) -> Response:
    form = (
        '<form method="post"><button type="submit" style="font-size:16px;padding:10px 18px">'
        "Unsubscribe</button></form>"
        if button
        else ""
    )
    body = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>wcpulse alerts</title></head>"
        '<body style="font-family:sans-serif;max-width:600px;margin:40px auto;padding:0 16px">'
        f'<p style="font-size:16px">{escape(text)}</p>{form}</body></html>'
    )
    return Response(body, status=status, mimetype="text/html")
