"""The routes of the shop views (``/api/v1/shops/{shop_id}/...``), in the order the OpenAPI
document lists them: KPIs, sales summary and timeseries, orders, customers, segments,
retention, products, categories and coupons, CLV and churn, freshness, sync runs and
fulfilment.

A list view's route comes from its declaration (api/lists/); this table places it among
the others. api/catalog.py adds the routes that are not a shop's and the admin API's, and
after these the list views this table does not place.
"""

from __future__ import annotations

from api.customer_timeseries import BUCKETS_RULE, TIMESERIES_DESCRIPTION, TIMESERIES_PARAMS
from api.fulfillment import FULFILLMENT_DESCRIPTION, FULFILLMENT_PARAMS
from api.lists.customers import CUSTOMERS
from api.lists.orders import ORDERS
from api.lists.predictions import CHURN, CLV
from api.params import DEFAULT_PER_PAGE, FORMAT, MAX_PER_PAGE, PER_PAGE, ParamSpec
from api.period_params import FROM_BEFORE_TO, PERIOD_PARAMS, PERIOD_RULES, TOO_EARLY
from api.predictions import TIMELINE_PARAMS
from api.product_detail import DAYS, DETAIL_PARAMS, TOO_LONG
from api.retention import MAX_MONTHS, RETENTION_PARAMS, RETENTION_RULES
from api.route_spec import CLOCK_SOURCE, SHOP_PREFIX, RouteSpec
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
