"""The one table of routes: the app registers them from it and OpenAPI describes them from it."""

from __future__ import annotations

from dataclasses import dataclass

from api.listing import CUSTOMERS, ORDERS
from api.params import FORMAT, ParamSpec
from api.runs import MAX_RUNS, SYNC_PARAMS
from processors.analytics.periods import PERIOD_NAMES

SHOP_PREFIX = "/api/v1/shops/{shop_id}"


@dataclass(frozen=True)
class RouteSpec:
    name: str  # endpoint name and OpenAPI operationId
    path: str  # OpenAPI path template (``{shop_id}``)
    summary: str
    response: str  # component schema of the 200 body
    params: tuple[ParamSpec, ...] = ()
    shop: bool = True  # a shop view: bearer token of that shop, JSON or CSV, ETag
    # what the ETag depends on beside the request: view files (manifest, freshness) or
    # the shop's recorded runs in the metadata database (sync_runs)
    sources: tuple[str, ...] = ("manifest",)
    description: str = ""

    @property
    def flask_rule(self) -> str:
        return self.path.replace("{", "<").replace("}", ">")


PERIOD = ParamSpec(
    "period",
    "enum",
    "Reporting period (days in the shop's timezone). Default last_30_days; "
    "`from` and `to` alone imply custom.",
    PERIOD_NAMES,
)
PERIOD_FROM = ParamSpec("from", "date", "First day of a custom period (YYYY-MM-DD).")
PERIOD_TO = ParamSpec("to", "date", "Last day of a custom period, inclusive (YYYY-MM-DD).")

ROUTES: tuple[RouteSpec, ...] = (
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
        "kpis",
        SHOP_PREFIX + "/kpis",
        "Sales KPIs for a period, each compared with the period of the same length before.",
        "Kpis",
        (PERIOD, PERIOD_FROM, PERIOD_TO, FORMAT),
        description="Revenue, refunds and net revenue over sale orders by revenue day; "
        "AOV = net revenue / orders; change_pct is null when the previous value is 0. "
        "CSV columns: metric, value, previous, change, change_pct.",
    ),
    RouteSpec(
        "orders",
        SHOP_PREFIX + "/orders",
        "Orders, filtered, sorted and paginated.",
        "OrderList",
        ORDERS.params,
    ),
    RouteSpec(
        "customers",
        SHOP_PREFIX + "/customers",
        "Customers (registered and guests), filtered, sorted and paginated.",
        "CustomerList",
        CUSTOMERS.params,
    ),
    RouteSpec(
        "freshness",
        SHOP_PREFIX + "/freshness",
        "How far behind the shop's events the views are (nulls before the first publish).",
        "Freshness",
        (FORMAT,),
        sources=("manifest", "freshness"),
    ),
    RouteSpec(
        "sync",
        SHOP_PREFIX + "/sync",
        "Recent import, sync (reconciliation) and webhook-check runs, newest first.",
        "SyncRunList",
        SYNC_PARAMS,
        sources=("sync_runs",),
        description="What each run found and repaired: `repaired` (sync runs: records "
        "newer in WooCommerce than here, i.e. lost webhooks, plus hard deletes), "
        "`hard_deleted` (records deleted in WooCommerce), `not_active_webhooks` (webhook "
        "checks: comma-separated topics WooCommerce does not deliver; empty when all are "
        "active), `details` (every count as compact JSON). The newest `limit` runs, at most "
        f"{MAX_RUNS}; there are no pages. CSV has the same columns and rows as JSON.",
    ),
)

ROUTES_BY_NAME: dict[str, RouteSpec] = {route.name: route for route in ROUTES}
