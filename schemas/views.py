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

VIEWS: dict[str, pa.Schema] = {
    "orders": ORDERS_VIEW,
    "customers": CUSTOMERS_VIEW,
    "versions": VERSIONS_VIEW,
    "segment_history": SEGMENT_HISTORY_VIEW,
}
# {"version": str, "published_at": iso, "views": [names], "scores_as_of": "YYYY-MM-DD"|null,
#  "rescored_at": iso|null (when the last job.rfm applied here was requested)}
MANIFEST = "manifest.json"
FRESHNESS = "freshness.json"
# freshness.json: {"newest_event_at": iso|null, "last_applied_at": iso|null,
#                  "lag_seconds": float|null, "events_applied": int}
