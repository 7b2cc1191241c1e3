"""Published read views: the Parquet files processors write and the read API reads.

Each view lives at ``<data_dir>/shops/<shop_id>/views/<name>.parquet`` and is replaced by
atomic rename. ``manifest.json`` beside them carries a version that changes on every
publish (the API's ETag), and ``freshness.json`` the processing lag. Money columns are
decimal(18, 2) in the shop currency; timestamps are UTC microseconds; ``*_day`` columns
are dates in the shop's timezone (the types are in schemas/view_types.py).

``VIEWS`` and ``VIEW_KEYS`` here name every view with its schema and key. The schemas of
the prediction views are in schemas/prediction_views.py, those of the products and their
prices in schemas/product_views.py; the others are here.
"""

from __future__ import annotations

import pyarrow as pa

from schemas.prediction_views import (
    BACKTESTS_VIEW,
    CHURN_TIMELINE_VIEW,
    CHURN_VIEW,
    CLV_VIEW,
    PREDICTION_MODELS_VIEW,
)
from schemas.product_views import PRODUCT_PRICES_VIEW, PRODUCTS_VIEW
from schemas.view_types import MONEY, TS

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
