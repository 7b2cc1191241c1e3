"""The one table of routes: the app registers them from it and OpenAPI describes them from it.

The list views' routes are derived from their declarations (api/lists/); the table places
them among the others, and a list view it does not place follows the shop routes.
"""

from __future__ import annotations

from api.alert_settings import ALERT_SETTINGS_ROUTES
from api.customer_timeseries import BUCKETS_RULE, TIMESERIES_DESCRIPTION, TIMESERIES_PARAMS
from api.fulfillment import FULFILLMENT_DESCRIPTION, FULFILLMENT_PARAMS
from api.listing import ListView
from api.lists import LIST_VIEWS
from api.lists.customers import CUSTOMERS
from api.lists.orders import ORDERS
from api.lists.predictions import CHURN, CLV
from api.params import DEFAULT_PER_PAGE, FORMAT, MAX_PER_PAGE, PER_PAGE, ParamSpec
from api.period_params import FROM_BEFORE_TO, PERIOD_PARAMS, PERIOD_RULES, TOO_EARLY
from api.predictions import TIMELINE_PARAMS
from api.product_detail import DAYS, DETAIL_PARAMS, TOO_LONG
from api.retention import MAX_MONTHS, RETENTION_PARAMS, RETENTION_RULES
from api.route_spec import CLOCK_SOURCE, HTML_PAGE, SHOP_PREFIX, RouteSpec
from api.runs import MAX_RUNS, SYNC_PARAMS
from api.sales_breakdowns import BREAKDOWN_PARAMS
from api.sales_summary import SUMMARY_DESCRIPTION, SUMMARY_PARAMS
from api.segment_history import HISTORY_ROUTE
from api.segments import SEGMENTS_PARAMS
from api.top_products import MAX_TOP, PRODUCTS_ROUTE, TOP_PARAMS
from api.transactions_live import TRANSACTIONS_ROUTE
from processors.analytics.clv import CHURN_LEVELS

CUSTOMER_ORDERS_PAGE = ParamSpec(
    "page", "integer", "Page of the customer's orders (newest first).", default=1, minimum=1
)

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

# The shop views, in the order the OpenAPI document lists them.
SHOP_ROUTES: tuple[RouteSpec, ...] = (
    RouteSpec(
        "kpis",
        SHOP_PREFIX + "/kpis",
        "Sales KPIs for a period, each compared with the period of the same length before.",
        "Kpis",
        (*PERIOD_PARAMS, FORMAT),
        description="Revenue, refunds and net revenue over sale orders by revenue day; "
        "AOV = net revenue / orders; change_pct is null when the previous value is 0. "
        "CSV columns: metric, value, previous, change, change_pct.",
        rules=(*PERIOD_RULES, TOO_EARLY),
    ),
    RouteSpec(
        "sales_summary",
        SHOP_PREFIX + "/sales/summary",
        "Sales summary tiles: today so far, yesterday, last 7 and 30 days, quarter and year "
        "to date, each with revenue, orders and AOV against its previous period.",
        "SalesSummary",
        SUMMARY_PARAMS,
        sources=("manifest", CLOCK_SOURCE),
        description=SUMMARY_DESCRIPTION,
    ),
    RouteSpec(
        "timeseries",
        SHOP_PREFIX + "/timeseries",
        "Sales and customers over time by day, week or month, optionally with the previous "
        "period or last year aligned for an overlay.",
        "Timeseries",
        TIMESERIES_PARAMS,
        description=TIMESERIES_DESCRIPTION,
        rules=(*PERIOD_RULES, BUCKETS_RULE, TOO_EARLY),
    ),
    ORDERS.route,
    TRANSACTIONS_ROUTE,
    CUSTOMERS.route,
    RouteSpec(
        "customer",
        SHOP_PREFIX + "/customers/{customer_key}",
        "Customer 360: one customer's profile, consents, orders, RFM, segment history, status, "
        "CLV and churn risk.",
        "Customer360",
        (CUSTOMER_ORDERS_PAGE, PER_PAGE, FORMAT),
        description="`profile` is the customer's row of the customer table; `orders` are all "
        "of the customer's orders (sales or not) newest first, paginated with `page` and "
        f"`per_page` (default {DEFAULT_PER_PAGE}, at most {MAX_PER_PAGE}); `segment_history` "
        "lists the rescoring days on which the segment changed, oldest first; `clv` and "
        "`churn` are the customer's rows of the CLV and churn lists without the profile's "
        "customer_key, e-mail, name and phone, each with `predictions_as_of`, or null when "
        "the customer has no prediction (no sale order, or none published yet). An unknown "
        "customer_key is a 404 not_found. CSV: one row, the profile (the customer table's "
        "columns).",
    ),
    RouteSpec(
        "segments",
        SHOP_PREFIX + "/segments",
        "RFM segments: customers, share, revenue per segment; or one segment's customers.",
        "Segments",
        SEGMENTS_PARAMS,
        description="Without `name`: all 11 segments in a fixed order (empty ones with zeros): "
        "customers, share of the scored customers (0..1), revenue (sum of net spent), average "
        "spent, recommended action, description. The counts sum to `scored_customers`, the "
        "customers with a sale order; `customers_without_orders` are not scored. With "
        "`name`: that segment's customers, exactly as `customers?segment=<name>` (same "
        "columns, rows, pagination, sort; CSV without `page` exports the whole segment).",
    ),
    HISTORY_ROUTE,
    RouteSpec(
        "retention",
        SHOP_PREFIX + "/retention",
        "Customers by number of purchases now and over time, repeat rate, cohorts, contacts.",
        "Retention",
        RETENTION_PARAMS,
        description="Four tables, each `{columns, data}`: `purchase_counts` (customers with "
        "1, 2, 3, 4 and 5+ sale orders now, share of buyers), `over_time` (the same at each "
        "month's end from `from`'s month to `to`, default the last 12 months; the last month "
        "ends on `to`), `cohorts` (customers by month of first sale order from `from`'s month: "
        "size, and for each month offset 0..N up to `to` the customers with a sale order "
        "that month and their share), `contacts` (all customers, buyers, new customers "
        "yesterday and in the last 7 days excluding today by first sale order, consents "
        "granted, refused or unknown per channel). JSON without `table` carries all four; "
        "`table=<name>` only that one. CSV is the table named by `table` (default "
        f"purchase_counts), same columns and rows. At most {MAX_MONTHS} months.",
        rules=RETENTION_RULES,
    ),
    PRODUCTS_ROUTE,
    RouteSpec(
        "top_products",
        SHOP_PREFIX + "/products/top",
        "Top products of a period by net revenue or net units (seed 000's top 5).",
        "TopProducts",
        TOP_PARAMS,
        description="The products whose sale orders' lines sold most between the period's "
        "first and last day (shop timezone): a variable product adds its variations up. "
        "`units` and `revenue` are net of each line's refunds; `revenue_share` is the "
        "product's share of the period's net revenue over all lines (0..1). Ties go to the "
        f"other measure, then the lower id. `limit` 1..{MAX_TOP} (default 5). CSV has the "
        "same columns and rows.",
        rules=PERIOD_RULES,
    ),
    RouteSpec(
        "categories",
        SHOP_PREFIX + "/categories",
        "Sales by product category over a period: products sold, units, revenue, orders.",
        "Categories",
        BREAKDOWN_PARAMS,
        description="The sale orders' lines between the period's first and last day (shop "
        "timezone), each counted for every category of its product (a variation's line: its "
        "parent's categories), so a product in two categories counts in both. `units` and "
        "`revenue` are net of each line's refunds; `revenue_share` is the category's share of "
        "the period's net line revenue (0..1; shares may add up to more than 1); `products` "
        "counts the products with net units sold. Lines of products without a known category "
        "count under the empty category. Highest revenue first. CSV has the same columns.",
        rules=PERIOD_RULES,
    ),
    RouteSpec(
        "coupons",
        SHOP_PREFIX + "/coupons",
        "Coupons used over a period: orders, customers, revenue and discount per code.",
        "Coupons",
        BREAKDOWN_PARAMS,
        description="The sale orders between the period's first and last day (shop timezone) "
        "that used each coupon code: how many, their distinct customers, their net revenue "
        "(total less refunds), the code's discount on them (before tax; null for orders "
        "processed before coupon discounts were kept, until a replay) and the average order "
        "value. Highest revenue first. CSV has the same columns.",
        rules=PERIOD_RULES,
    ),
    RouteSpec(
        "product",
        SHOP_PREFIX + "/products/{product_id}",
        "One product: its row of the products list, its daily sales and its price history.",
        "ProductDetail",
        DETAIL_PARAMS,
        description="`product` is the product's row of the products list; `daily` the "
        "sale orders' lines of the product (a variable product's: of its variations too), "
        "one row per revenue day with sales from `from` to `to` (default the "
        f"{DAYS} days ending the product's `as_of`): net units, net revenue, orders and the "
        "day's average list price; `price_history` every product payload whose prices "
        "changed, oldest first. An unknown product_id is a 404 not_found. CSV: one row, the "
        "product (the products list's columns).",
        rules=(FROM_BEFORE_TO, TOO_LONG),
    ),
    CLV.route,
    RouteSpec(
        "clv_model",
        SHOP_PREFIX + "/clv/model",
        "The shop's fitted CLV and churn models, the model the CLV uses, and backtests.",
        "ClvModel",
        (FORMAT,),
        description="`model` is bgnbd when the newest BG/NBD fit succeeded, else fallback. "
        "`models`: the newest fit of each model (bgnbd, gamma_gamma, mbgnbd) with its "
        "status, optimiser, convergence, customers, log-likelihood and `params` (an object; "
        "time unit days, see `time_unit`). `backtest` is the newest backtest (fit up to the "
        "cutoff, predict the horizon, compare with what happened) or null; `backtests` are "
        "all of them, newest first. A shop without fits answers fallback, no models, no "
        "backtest. CSV: the models' rows (`params` as JSON text).",
    ),
    CHURN.route,
    RouteSpec(
        "churn_timeline",
        SHOP_PREFIX + "/churn/timeline",
        "Customers per churn level per day on which churn was predicted.",
        "ChurnTimeline",
        TIMELINE_PARAMS,
        description="One row per recorded day and level, oldest first; each recorded day "
        "has all four levels (" + ", ".join(CHURN_LEVELS) + ", in that order), zeros "
        "included; days without a prediction have no rows. `from` and `to` limit the days. "
        "CSV has the same columns and rows.",
        rules=(FROM_BEFORE_TO,),
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
    RouteSpec(
        "fulfillment",
        SHOP_PREFIX + "/fulfillment",
        "Fulfilment over a period (hours from paid to completed, shares within 24 and 48 "
        "hours) and the paid orders overdue now.",
        "Fulfillment",
        FULFILLMENT_PARAMS,
        sources=("manifest", CLOCK_SOURCE),
        description=FULFILLMENT_DESCRIPTION,
        rules=PERIOD_RULES,
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
