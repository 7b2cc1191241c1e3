"""Admin routes, authorised by ``Authorization: Bearer <WCPULSE_ADMIN_TOKEN>``.

``DELETE /api/v1/shops/<shop_id>/customers/<customer_key>`` erases a customer (GDPR): it
queues ``job.erase`` into the shop's stream and answers ``202`` with the erasure id; the
shop's processor removes the customer from the state, the views and the raw log.
``GET /api/v1/shops/<shop_id>/erasures/<erasure_id>`` says whether it has been applied.
``POST /api/v1/shops/<shop_id>/alerts/<alert_id>/acknowledge`` queues
``job.acknowledge_alert``: the alert shows as acknowledged once its processor applied it.

A missing token: 401, always (as on every route). No admin token set: any token gets 403
``admin_disabled`` (the admin API is off). A wrong token: 401; a shop's API token: 403 (it
reads one shop, it erases nothing).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import structlog
from flask import Blueprint, Response, request

from api.auth import bearer_token
from api.errors import ApiError, Forbidden, InvalidParameter, NotFound, Unauthorized
from api.render import json_response
from ingest.errors import PublishError
from processors.anonymise import is_customer_key
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.jobs import acknowledge_envelope, erase_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.erasure import read_applied
from store.layout import shop_paths

log = structlog.get_logger(__name__)
PREFIX = "/api/v1/shops/<shop_id>"


class JobPublisher(Protocol):
    """Port to the broker: returns when the envelopes are durable, else PublishError."""

    def publish(self, envelopes: Sequence[Envelope]) -> None: ...


class AdminShops(Protocol):
    def get(self, shop_id: str) -> ShopConfig | None: ...
    def shop_for_token(self, token: str) -> ShopConfig | None: ...


@dataclass(frozen=True)
class _Deps:
    settings: Settings
    shops: AdminShops
    publisher: JobPublisher | None
    clock: Clock


def require_admin(settings: Settings, shops: AdminShops, header: str | None) -> None:
    """Pass with the admin token (compared in constant time); raise the error otherwise."""
    token = bearer_token(header)  # a missing token is a 401 before anything else
    if not settings.admin_token:
        raise Forbidden("admin API disabled: set WCPULSE_ADMIN_TOKEN", code="admin_disabled")
    if hmac.compare_digest(token.encode(), settings.admin_token.encode()):
        return
    if shops.shop_for_token(token) is not None:
        raise Forbidden("a shop's API token cannot use the admin API; use WCPULSE_ADMIN_TOKEN")
    raise Unauthorized("the admin token is not valid")


def _shop(deps: _Deps, shop_id: str) -> ShopConfig:
    require_admin(deps.settings, deps.shops, request.headers.get("Authorization"))
    shop = deps.shops.get(shop_id)
    if shop is None:
        raise NotFound(f"no shop with id {shop_id!r}")
    return shop


def _erase(deps: _Deps, shop_id: str, customer_key: str) -> Response:
    shop = _shop(deps, shop_id)
    if not is_customer_key(customer_key):
        raise InvalidParameter(
            "customer_key must be a customer id, guest-<16 hex> or guest-order-<id>"
        )
    envelope = erase_envelope(shop.shop_id, customer_key, deps.clock.now())
    _queue(deps, envelope)
    erasure_id = json.loads(envelope.body)["erasure_id"]
    log.info("erasure_queued", shop_id=shop.shop_id, erasure_id=erasure_id)
    body = {
        "erasure_id": erasure_id,
        "shop_id": shop.shop_id,
        "customer_key": customer_key,
        "status": "queued",
        "status_url": f"/api/v1/shops/{shop.shop_id}/erasures/{erasure_id}",
    }
    return json_response(body, status=202)


def _queue(deps: _Deps, envelope: Envelope) -> None:
    """Publish a job envelope; 503 when this process cannot or the broker does not take it."""
    if deps.publisher is None:
        raise ApiError("this API process cannot queue jobs", status=503, code="unavailable")
    try:
        deps.publisher.publish([envelope])
    except PublishError as exc:
        log.warning("job_not_queued", shop_id=envelope.shop_id, job=envelope.event, error=str(exc))
        message = "the broker did not take the job; try again"
        raise ApiError(message, status=503, code="unavailable") from None


def _acknowledge(deps: _Deps, shop_id: str, alert_id: str) -> Response:
    shop = _shop(deps, shop_id)
    if not alert_id.isdigit() or not 0 < int(alert_id) < 2**63:  # no alert has such an id
        raise NotFound(f"no alert with id {alert_id[:40]!r}: alert ids are whole numbers")
    _queue(deps, acknowledge_envelope(shop.shop_id, int(alert_id), deps.clock.now()))
    log.info("alert_acknowledgement_queued", shop_id=shop.shop_id, alert_id=alert_id)
    body = {"shop_id": shop.shop_id, "alert_id": int(alert_id), "status": "queued"}
    return json_response(body, status=202)


def _status(deps: _Deps, shop_id: str, erasure_id: str) -> Response:
    shop = _shop(deps, shop_id)
    views_dir = shop_paths(deps.settings.data_dir, shop.shop_id).views_dir
    applied = read_applied(views_dir, erasure_id)
    if applied is None:
        body: dict[str, Any] = {"erasure_id": erasure_id, "status": "pending"}
    else:
        body = applied | {"status": "applied"}
    return json_response(body | {"shop_id": shop.shop_id})


def admin_blueprint(
    settings: Settings, shops: AdminShops, publisher: JobPublisher | None, clock: Clock
) -> Blueprint:
    deps = _Deps(settings, shops, publisher, clock)
    blueprint = Blueprint("admin", __name__)
    blueprint.add_url_rule(
        PREFIX + "/customers/<customer_key>",
        "erase_customer",
        lambda shop_id, customer_key: _erase(deps, shop_id, customer_key),
        methods=["DELETE"],
    )
    blueprint.add_url_rule(
        PREFIX + "/alerts/<alert_id>/acknowledge",
        "acknowledge_alert",
        lambda shop_id, alert_id: _acknowledge(deps, shop_id, alert_id),
        methods=["POST"],
    )
    blueprint.add_url_rule(
        PREFIX + "/erasures/<erasure_id>",
        "erasure_status",
        lambda shop_id, erasure_id: _status(deps, shop_id, erasure_id),
    )
    return blueprint
