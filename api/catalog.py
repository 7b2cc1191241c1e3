"""The one table of routes: the app registers them from it and OpenAPI describes them from it.

The shop views' routes are in api/shop_routes.py, in the OpenAPI document's order; this
table puts the routes that are not a shop's before them and the admin API's after them.
The list views' routes are derived from their declarations (api/lists/); the shop routes
place them among the others, and a list view they do not place follows the shop routes.
"""

from __future__ import annotations

from api.alert_settings import ALERT_SETTINGS_ROUTES
from api.listing import ListView
from api.lists import LIST_VIEWS
from api.params import ParamSpec
from api.route_spec import HTML_PAGE, SHOP_PREFIX, RouteSpec
from api.shop_routes import SHOP_ROUTES

UNSUBSCRIBE_PARAMS = (
    ParamSpec("shop", "string", "The shop whose alert e-mails to stop."),
    ParamSpec("to", "string", "The recipient's e-mail address."),
    ParamSpec("t", "string", "The link's token (an HMAC with the shop's webhook secret)."),
)
_UNSUBSCRIBE = (
    "The link every alert e-mail carries in List-Unsubscribe. A token that is not the one "
    "given to that address for that shop (or from before the shop's webhook secret was "
    "rotated) gets 403 and changes nothing."
)

_PLAIN_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec("healthz", "/healthz", "Liveness: the process answers.", "Health", shop=False),
    RouteSpec(
        "readyz",
        "/readyz",
        "Readiness: every dependency check passes (503 names the ones that fail).",
        "Ready",
        shop=False,
    ),
    RouteSpec(
        "openapi", "/api/v1/openapi.json", "This OpenAPI 3.1 document.", "OpenApi", shop=False
    ),
    RouteSpec(
        "unsubscribe_page",
        "/alerts/unsubscribe",
        "A page asking to stop a shop's alert e-mails to an address (nothing changes yet).",
        HTML_PAGE,
        UNSUBSCRIBE_PARAMS,
        shop=False,
        description=_UNSUBSCRIBE,
    ),
    RouteSpec(
        "unsubscribe",
        "/alerts/unsubscribe",
        "Stop a shop's alert e-mails to an address (the page's button, or one-click).",
        HTML_PAGE,
        UNSUBSCRIBE_PARAMS,
        shop=False,
        method="post",
        description=_UNSUBSCRIBE + " A mail client's one-click request (RFC 8058) posts "
        "List-Unsubscribe=One-Click.",
    ),
)

# The admin API (api/admin.py registers these; they are here so OpenAPI describes them).
ADMIN_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "erase_customer",
        SHOP_PREFIX + "/customers/{customer_key}",
        "Erase a customer (GDPR): queue job.erase; 202 with the erasure id.",
        "ErasureQueued",
        shop=False,
        method="delete",
        admin=True,
        description="The shop's processor removes the customer from the state, the views "
        "and the raw log; `status_url` says when that is done. Needs WCPULSE_ADMIN_TOKEN.",
    ),
    RouteSpec(
        "acknowledge_alert",
        SHOP_PREFIX + "/alerts/{alert_id}/acknowledge",
        "Acknowledge an alert: queue job.acknowledge_alert; 202.",
        "AlertAcknowledgementQueued",
        shop=False,
        method="post",
        admin=True,
        description="The shop's processor marks the alert acknowledged (the first time "
        "counts); the alerts list then shows `acknowledged` and `acknowledged_at`. An unknown "
        "id changes nothing. Needs WCPULSE_ADMIN_TOKEN.",
    ),
    RouteSpec(
        "erasure_status",
        SHOP_PREFIX + "/erasures/{erasure_id}",
        "Whether a queued erasure has been applied (pending or applied).",
        "ErasureStatus",
        shop=False,
        admin=True,
    ),
    *ALERT_SETTINGS_ROUTES,
)


def with_list_routes(
    routes: tuple[RouteSpec, ...], lists: tuple[ListView, ...]
) -> tuple[RouteSpec, ...]:
    """``routes``, then the route of every list view they do not place, in ``lists``' order."""
    placed = {route.name for route in routes}
    return routes + tuple(spec.route for spec in lists if spec.view not in placed)


ROUTES: tuple[RouteSpec, ...] = (
    *_PLAIN_ROUTES,
    *with_list_routes(SHOP_ROUTES, LIST_VIEWS),
    *ADMIN_ROUTES,
)

ROUTES_BY_NAME: dict[str, RouteSpec] = {route.name: route for route in ROUTES}
