"""Published read views: the Parquet files processors write and the read API reads.

Each view lives at ``<data_dir>/shops/<shop_id>/views/<name>.parquet`` and is replaced by
atomic rename. ``manifest.json`` beside them carries a version that changes on every
publish (the API's ETag), and ``freshness.json`` the processing lag. Money columns are
decimal(18, 2) in the shop currency; timestamps are UTC microseconds; ``*_day`` columns
are dates in the shop's timezone.
"""

from __future__ import annotations

import pyarrow as pa

MONEY = pa.decimal128(18, 2)
TS = pa.timestamp("us", tz="UTC")

ORDERS_VIEW = pa.schema(
    [
        ("order_id", pa.int64()),
        ("number", pa.string()),
        ("status", pa.string()),
        ("is_sale", pa.bool_()),  # paid status, or refunded (netted to zero)
        ("customer_key", pa.string()),  # see customer_key() in processors
        ("customer_id", pa.int64()),  # 0 for guests
        ("email", pa.string()),  # normalised billing e-mail
        ("country", pa.string()),
        ("currency", pa.string()),
        ("created_at", TS),
        ("paid_at", TS),
        ("completed_at", TS),
        ("modified_at", TS),
        ("revenue_at", TS),  # created/paid/completed per the shop's revenue_date setting
        ("revenue_day", pa.date32()),  # revenue_at as a day in the shop's timezone
        ("total", MONEY),
        ("refunds", MONEY),  # positive sum of refunds
        ("net", MONEY),  # total - refunds
        ("shipping", MONEY),
        ("tax", MONEY),
        ("discount", MONEY),
        ("items", pa.int64()),  # units in line items
        ("payment_method", pa.string()),
        ("tracking_number", pa.string()),  # under the shop's tracking meta keys; "" if none
    ]
)

CUSTOMERS_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("customer_id", pa.int64()),  # 0 for guests
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("phone", pa.string()),
        ("country", pa.string()),
        ("is_guest", pa.bool_()),
        ("registered_at", TS),
        ("orders", pa.int64()),  # sale orders
        ("gross", MONEY),
        ("refunds", MONEY),
        ("net_spent", MONEY),
        ("aov", MONEY),  # net_spent / orders, null without orders
        ("first_order_at", TS),
        ("last_order_at", TS),
        ("first_order_day", pa.date32()),  # shop timezone
        ("last_order_day", pa.date32()),
        # RFM (SPEC §4) as of the manifest's scores_as_of; null without a sale order
        ("recency_days", pa.int64()),  # days from the last sale day to scores_as_of
        ("r", pa.int64()),  # 1..5, 5 = best
        ("f", pa.int64()),
        ("m", pa.int64()),
        ("fm", pa.int64()),  # round-half-up((f + m) / 2)
        ("rfm_score", pa.string()),  # "545": r, f, m
        ("segment", pa.string()),  # one of the 11 RFM segments
        ("recommended_action", pa.string()),
        # status by return cycle (seed 004); null without a sale order
        ("status", pa.string()),  # New, Active, At risk, Lost
        ("cycle_days", pa.float64()),  # expected days between purchases
        ("cycle_source", pa.string()),  # own (2+ purchase days), shop (median 1st->2nd), fallback
        ("expected_return", pa.date32()),  # last sale day + cycle
        ("days_overdue", pa.float64()),  # days since last sale minus cycle (> 0: late)
        # contact consents from the configured meta keys: true, false, null = unknown
        ("email_consent", pa.bool_()),
        ("sms_consent", pa.bool_()),
    ]
)

# Who moved between RFM segments: one row per customer and rescoring day (``job.rfm``) on
# which their segment changed; previous_segment is null for their first segment.
SEGMENT_HISTORY_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("changed_on", pa.date32()),
        ("segment", pa.string()),
        ("previous_segment", pa.string()),
        ("r", pa.int64()),
        ("f", pa.int64()),
        ("m", pa.int64()),
    ]
)

# Predicted customer value (SPEC §4, seed 000): one row per customer with a sale order, as
# of the manifest's ``predictions_as_of``. model "bgnbd" (BG/NBD + Gamma-Gamma, the shop's
# last fit) or "fallback" (the shop could not be fitted; low confidence).
CLV_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("phone", pa.string()),
        ("orders", pa.int64()),  # sale orders
        ("purchase_days", pa.int64()),  # distinct days with a sale order (same-day merged)
        ("first_order_day", pa.date32()),
        ("last_order_day", pa.date32()),
        ("historical_clv", MONEY),  # net spent so far
        ("expected_purchases_12m", pa.float64()),
        ("expected_order_value", MONEY),  # Gamma-Gamma expected spend per purchase day
        ("predicted_clv_6m", MONEY),  # discounted monthly
        ("predicted_clv_12m", MONEY),
        ("clv_12m_low", MONEY),  # 80% interval of the 12-month value (10th..90th percentile)
        ("clv_12m_high", MONEY),
        ("confidence", pa.float64()),  # 0..1
        ("confidence_band", pa.string()),  # high (>= 0.8), medium (0.5..0.8), low (< 0.5)
        ("value_segment", pa.string()),  # High, Medium, Low by predicted_clv_12m
        ("model", pa.string()),  # bgnbd or fallback
    ]
)

# Churn risk (SPEC §4): one row per customer with a sale order, as of ``predictions_as_of``.
CHURN_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("phone", pa.string()),
        ("orders", pa.int64()),
        ("last_order_day", pa.date32()),
        ("value_segment", pa.string()),
        ("churn_probability", pa.float64()),  # 1 - P(alive) under MBG/NBD (or the fallback)
        ("churn_level", pa.string()),  # Low < 0.25 <= Medium < 0.5 <= High < 0.75 <= Critical
        ("risk_factors", pa.string()),  # the adverse factors with their values, "; "-joined
        ("days_overdue", pa.float64()),  # days since the last order minus the return cycle
        ("cycle_days", pa.float64()),
        ("orders_last_180d", pa.int64()),  # sale orders in the 180 days to predictions_as_of
        ("orders_prior_180d", pa.int64()),  # ... in the 180 days before those
        ("frequency_change_pct", pa.float64()),  # null when there were none before
        ("aov_last_180d", MONEY),
        ("aov_prior_180d", MONEY),
        ("aov_change_pct", pa.float64()),
        ("refunded_cancelled_share", pa.float64()),  # of all the customer's orders, 0..1
        ("winback_discount_pct", pa.int64()),  # 0 for Low; capped by the margin
        ("expected_next_order", pa.date32()),  # null when another order is not likely (< 50%)
        ("model", pa.string()),  # mbgnbd or fallback
    ]
)

# Customers per churn level per day (each job.churn records its day; a second run of the
# same day replaces that day's rows).
CHURN_TIMELINE_VIEW = pa.schema(
    [
        ("day", pa.date32()),
        ("churn_level", pa.string()),
        ("customers", pa.int64()),
    ]
)

# The shop's fitted models (job.clv): one row per model, the newest fit of each.
PREDICTION_MODELS_VIEW = pa.schema(
    [
        ("model", pa.string()),  # bgnbd, gamma_gamma, mbgnbd
        ("as_of", pa.date32()),  # the last day of the data fitted
        ("fitted_at", TS),  # when the job was requested
        ("status", pa.string()),  # fitted, failed
        ("method", pa.string()),  # the optimiser
        ("converged", pa.bool_()),
        ("iterations", pa.int64()),
        ("customers", pa.int64()),  # customers in the fit
        ("log_likelihood", pa.float64()),
        ("params", pa.string()),  # JSON object of the parameters (time unit: days)
        ("message", pa.string()),  # why a fit failed; empty otherwise
    ]
)

# Backtests (job.backtest): fit on history up to ``cutoff`` (as_of - horizon), predict the
# horizon, compare with what happened. One row per as_of day.
BACKTESTS_VIEW = pa.schema(
    [
        ("as_of", pa.date32()),
        ("cutoff", pa.date32()),
        ("horizon_days", pa.int64()),
        ("fitted_at", TS),
        ("model", pa.string()),  # bgnbd or fallback
        ("customers", pa.int64()),  # customers with a sale order by the cutoff
        ("predicted_purchases", pa.float64()),
        ("actual_purchases", pa.int64()),  # their purchase days in the horizon
        ("purchases_error_pct", pa.float64()),  # (predicted - actual) / actual * 100
        ("predicted_revenue", pa.float64()),
        ("actual_revenue", pa.float64()),
        ("revenue_error_pct", pa.float64()),
        ("correlation", pa.float64()),  # Pearson, predicted vs actual purchases per customer
        ("interval_coverage", pa.float64()),  # share of customers inside their 80% interval
        ("message", pa.string()),
    ]
)

# What the shop's state holds, for the reconciler to compare with the REST API: one row per
# order, customer, product (variations included), coupon and refund we have a row for.
VERSIONS_VIEW = pa.schema(
    [
        ("resource", pa.string()),  # order, customer, product, coupon, refund
        ("resource_id", pa.int64()),
        ("modified_at", TS),  # the stored payload's version (date_modified_gmt); null: trash only
        ("trashed", pa.bool_()),  # a *.deleted later than the stored payload
    ]
)

# One row per line item of an order (key: order_id, line_id; WooCommerce's line ids are
# unique in a shop, the order id keeps rows apart when a source reuses them). The order's
# columns are the orders view's; a line's refunds are the refund line items of the same
# product and variation (processors/projections/line_views.py says how they are shared).
ORDER_LINES_VIEW = pa.schema(
    [
        ("order_id", pa.int64()),
        ("line_id", pa.int64()),  # WooCommerce's line item id
        ("revenue_day", pa.date32()),  # the order's, shop timezone
        ("is_sale", pa.bool_()),  # the order's
        ("status", pa.string()),  # the order's effective status
        ("customer_key", pa.string()),  # the order's
        ("product_id", pa.int64()),  # a variation's line: its parent product
        ("variation_id", pa.int64()),  # 0 for a simple product
        ("parent_id", pa.int64()),  # the product the line rolls up to (= product_id)
        ("sku", pa.string()),  # as the order line has them
        ("name", pa.string()),
        ("quantity", pa.int64()),  # units ordered
        ("refunded_quantity", pa.int64()),  # units its refunds gave back (positive)
        ("net_quantity", pa.int64()),  # quantity - refunded_quantity
        ("unit_price", MONEY),  # subtotal / quantity (before discounts); null for 0 units
        ("revenue", MONEY),  # the line's total: after discounts, before tax
        ("refunded", MONEY),  # what its refunds gave back of it (positive, before tax)
        ("net_revenue", MONEY),  # revenue - refunded
        ("unit_cost", MONEY),  # product cost (a variation's, else its parent's); null: unknown
        ("net_cost", MONEY),  # unit_cost * net_quantity
    ]
)

# One row per coupon code an order used (key: order_id, code), with the order's columns as
# the orders view has them (processors/projections/coupon_views.py).
ORDER_COUPONS_VIEW = pa.schema(
    [
        ("order_id", pa.int64()),
        ("code", pa.string()),  # as the order's coupon line has it
        ("discount", MONEY),  # the coupon's discount on the order, before tax; null: unknown
        ("revenue_day", pa.date32()),  # the order's, shop timezone
        ("is_sale", pa.bool_()),  # the order's
        ("status", pa.string()),  # the order's effective status
        ("customer_key", pa.string()),  # the order's
        ("order_net", MONEY),  # the order's net revenue (total less its refunds)
    ]
)

# One row per product of the catalogue, variations included (key: product_id); a variable
# product's row rolls its variations' sales up (processors/projections/product_views.py).
PRODUCTS_VIEW = pa.schema(
    [
        ("product_id", pa.int64()),
        ("parent_id", pa.int64()),  # a variation's product; 0 otherwise
        ("type", pa.string()),  # simple, variable, variation, grouped, external
        ("name", pa.string()),
        ("sku", pa.string()),
        ("status", pa.string()),  # publish, draft, private, pending
        ("category", pa.string()),  # the first category
        ("categories", pa.string()),  # every category, comma-separated
        ("price", MONEY),
        ("regular_price", MONEY),
        ("sale_price", MONEY),
        ("cost", MONEY),  # cost of goods per unit; null when unknown
        ("stock_quantity", pa.int64()),
        ("manage_stock", pa.bool_()),
        ("stock_status", pa.string()),  # instock, outofstock, onbackorder; '' when unknown
        ("as_of", pa.date32()),  # the window's last day
        ("units", pa.float64()),  # net units sold in the window
        ("revenue", pa.float64()),  # net revenue in the window
        ("velocity", pa.float64()),  # net units per day over the window
        ("revenue_pct", pa.float64()),  # share of the shop's net revenue in the window
        ("margin_pct", pa.float64()),  # (price - cost) / price * 100, or the shop's default
        ("margin_assumed", pa.bool_()),  # no cost known: the default margin
        ("score", pa.int16()),  # 0..100; 0 without sales in the window
        ("grade", pa.string()),  # A+, B, C, D, F
        ("recommendation", pa.string()),  # PROMOTE, OPTIMIZE, MAINTAIN, DISCOUNT, DISCONTINUE
        ("score_reason", pa.string()),  # the percentile ranks, or why 0
        ("days_of_cover", pa.float64()),  # stock / velocity; null: stock not managed or no sales
        ("low_stock", pa.bool_()),  # cover under the lead time
        ("units_last_7", pa.float64()),
        ("units_previous_7", pa.float64()),
        ("trend_pct", pa.float64()),  # last 7 days against the 7 before; null: none before
        ("trending", pa.bool_()),
        ("elasticity", pa.float64()),  # log-log slope of daily units on price
        ("elasticity_se", pa.float64()),  # its standard error
        ("elasticity_r2", pa.float64()),
        ("elasticity_days", pa.int64()),  # days with sales the fit used
        ("optimal_price", pa.float64()),  # within 20% of the price; null: see price_reason
        ("price_reason", pa.string()),  # why there is no optimal price
    ]
)

# Each product's price history: one row per product payload whose prices changed, at its
# version time (key: product_id, changed_at).
PRODUCT_PRICES_VIEW = pa.schema(
    [
        ("product_id", pa.int64()),
        ("changed_at", TS),
        ("price", MONEY),
        ("regular_price", MONEY),
        ("sale_price", MONEY),
    ]
)

# One row per alert raised (key: alert_id), newest first in the API (schemas/alerts.py).
ALERTS_VIEW = pa.schema(
    [
        ("alert_id", pa.int64()),
        ("created_at", TS),
        ("type", pa.string()),  # schemas.alerts.ALERT_TYPES
        ("severity", pa.string()),  # critical, warning, info
        ("title", pa.string()),
        ("message", pa.string()),
        ("why", pa.string()),  # the measured value against the threshold, in words
        ("measured", pa.float64()),
        ("threshold", pa.float64()),
        ("unit", pa.string()),
        ("subject_kind", pa.string()),  # customer, product, order, shop
        ("subject_id", pa.string()),  # customer key, product id, order id; '' for the shop
        ("subject_label", pa.string()),
        ("dedup_key", pa.string()),  # what its cool-down counts per
        ("acknowledged", pa.bool_()),
        ("acknowledged_at", TS),
    ]
)

# One row per helpdesk ticket (key: ticket_id), SPEC §4 support metrics: what the
# ``fulfillment`` endpoint counts per period (processors/projections/ticket_views.py).
TICKETS_VIEW = pa.schema(
    [
        ("ticket_id", pa.string()),  # the helpdesk's id as text
        ("order_id", pa.int64()),
        ("category", pa.string()),  # trimmed, lower-cased; "" when none was sent
        ("created_at", TS),
        ("is_wismo", pa.bool_()),  # category in processors.analytics.tickets.WISMO_CATEGORIES
        ("created_day", pa.date32()),  # created_at as a day in the shop's timezone
    ]
)

VIEWS: dict[str, pa.Schema] = {
    "orders": ORDERS_VIEW,
    "customers": CUSTOMERS_VIEW,
    "versions": VERSIONS_VIEW,
    "segment_history": SEGMENT_HISTORY_VIEW,
    "clv": CLV_VIEW,
    "churn": CHURN_VIEW,
    "churn_timeline": CHURN_TIMELINE_VIEW,
    "prediction_models": PREDICTION_MODELS_VIEW,
    "backtests": BACKTESTS_VIEW,
    "order_lines": ORDER_LINES_VIEW,
    "order_coupons": ORDER_COUPONS_VIEW,
    "products": PRODUCTS_VIEW,
    "product_prices": PRODUCT_PRICES_VIEW,
    "alerts": ALERTS_VIEW,
    "tickets": TICKETS_VIEW,
}
# Each view's key: one row per key, files sorted by it (store/viewstore.py).
VIEW_KEYS: dict[str, tuple[str, ...]] = {
    "orders": ("order_id",),
    "customers": ("customer_key",),
    "versions": ("resource", "resource_id"),
    "segment_history": ("customer_key", "changed_on"),
    "clv": ("customer_key",),
    "churn": ("customer_key",),
    "churn_timeline": ("day", "churn_level"),
    "prediction_models": ("model",),
    "backtests": ("as_of",),
    "order_lines": ("order_id", "line_id"),
    "order_coupons": ("order_id", "code"),
    "products": ("product_id",),
    "product_prices": ("product_id", "changed_at"),
    "alerts": ("alert_id",),
    "tickets": ("ticket_id",),
}
# {"version": str, "published_at": iso, "files": {view: {"key", "base", "delta", "rows"}},
#  "scores_as_of": "YYYY-MM-DD"|null,
#  "rescored_at": iso|null (when the last job.rfm applied here was requested),
#  "predictions_as_of": "YYYY-MM-DD"|null (the day CLV and churn are predicted from)}
MANIFEST = "manifest.json"
FRESHNESS = "freshness.json"
# freshness.json: {"newest_event_at": iso|null, "last_applied_at": iso|null,
#                  "lag_seconds": float|null, "events_applied": int}
