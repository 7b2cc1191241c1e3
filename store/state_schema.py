"""Tables of a shop's DuckDB working state and the Arrow schemas of rows written into them.

Every resource table keeps the winning payload version (``v_at``, ``v_hash``) and, apart
from it, the latest trash time (``trash_at``): a resource is trashed when ``trash_at`` is
later than its payload version. ``order_refunds`` holds the refunds an order lists (what net
revenue is computed from); ``refunds`` and ``refund_items`` the refund resources themselves
(which products came back), never added to revenue a second time. ``product_prices`` is each
product's price history (store/state.py writes it with the product's payload).

A column added to a table after state files were made with it is listed in ADDED_COLUMNS:
``create_statements`` adds it to an existing table, and creates a new table without it and
then adds it too, so every state file has the same columns in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from schemas.prediction_views import (
    BACKTESTS_VIEW,
    CHURN_TIMELINE_VIEW,
    PREDICTION_MODELS_VIEW,
)
from schemas.views import ALERTS_VIEW

MONEY = pa.decimal128(18, 2)
TS = pa.timestamp("us", tz="UTC")
VERSION = [("v_at", TS), ("v_hash", pa.string())]


@dataclass(frozen=True)
class ResourceTable:
    name: str
    key: str
    schema: pa.Schema  # payload columns, key and version first


ORDERS = ResourceTable(
    "orders",
    "order_id",
    pa.schema(
        [("order_id", pa.int64()), *VERSION]
        + [(c, pa.string()) for c in ("number", "status", "currency")]
        + [("customer_id", pa.int64())]
        + [(c, pa.string()) for c in ("email", "first_name", "last_name", "phone", "country")]
        + [(c, TS) for c in ("created_at", "paid_at", "completed_at")]
        + [(c, MONEY) for c in ("total", "subtotal", "shipping", "tax", "discount", "refunds")]
        + [
            ("payment_method", pa.string()),
            ("items", pa.int64()),
            ("coupons", pa.list_(pa.string())),
            ("consents", pa.string()),
            ("coupon_discounts", pa.list_(MONEY)),  # per coupon, before tax
            ("tracking", pa.string()),  # JSON: the tracking numbers in meta, by key
        ]
    ),
)
CUSTOMERS = ResourceTable(
    "customers",
    "customer_id",
    pa.schema(
        [("customer_id", pa.int64()), *VERSION]
        + [(c, pa.string()) for c in ("email", "first_name", "last_name", "phone", "country")]
        + [("created_at", TS), ("role", pa.string()), ("consents", pa.string())]
    ),
)
PRODUCTS = ResourceTable(
    "products",
    "product_id",
    pa.schema(
        [("product_id", pa.int64()), *VERSION, ("parent_id", pa.int64())]
        + [(c, pa.string()) for c in ("type", "name", "sku", "status")]
        + [(c, MONEY) for c in ("price", "regular_price", "sale_price")]
        + [("stock_quantity", pa.int64()), ("manage_stock", pa.bool_()), ("cost", MONEY)]
        + [("categories", pa.list_(pa.string())), ("stock_status", pa.string())]
    ),
)
COUPONS = ResourceTable(
    "coupons",
    "coupon_id",
    pa.schema(
        [("coupon_id", pa.int64()), *VERSION]
        + [("code", pa.string()), ("discount_type", pa.string()), ("amount", MONEY)]
        + [("usage_count", pa.int64())]
    ),
)
REFUNDS = ResourceTable(
    "refunds",
    "refund_id",
    pa.schema(
        [("refund_id", pa.int64()), *VERSION, ("order_id", pa.int64()), ("amount", MONEY)]
        + [("reason", pa.string()), ("created_at", TS)]
    ),
)
# Helpdesk tickets (POST /webhooks/tickets/<shop>): keyed by ``ticket_key``, a BIGINT made
# from the helpdesk's id, which is kept as text in ``ticket_id`` (processors/normalise_tickets.py).
TICKETS = ResourceTable(
    "tickets",
    "ticket_key",
    pa.schema(
        [("ticket_key", pa.int64()), *VERSION, ("ticket_id", pa.string())]
        + [("order_id", pa.int64()), ("category", pa.string()), ("status", pa.string())]
        + [("created_at", TS)]
    ),
)
RESOURCE_TABLES = {
    "order": ORDERS,
    "customer": CUSTOMERS,
    "product": PRODUCTS,
    "coupon": COUPONS,
    "refund": REFUNDS,
    "ticket": TICKETS,
}

ORDER_ITEMS = pa.schema(
    [("order_id", pa.int64()), ("line_id", pa.int64()), ("product_id", pa.int64())]
    + [("variation_id", pa.int64()), ("name", pa.string()), ("sku", pa.string())]
    + [("quantity", pa.int64()), ("subtotal", MONEY), ("total", MONEY), ("price", MONEY)]
)
ORDER_REFUNDS = pa.schema(
    [
        ("order_id", pa.int64()),
        ("refund_id", pa.int64()),
        ("amount", MONEY),
        ("reason", pa.string()),
    ]
)
REFUND_ITEMS = pa.schema(
    [("refund_id", pa.int64()), ("product_id", pa.int64()), ("variation_id", pa.int64())]
    + [("quantity", pa.int64()), ("total", MONEY)]
)
# One row per winning product payload whose prices differ from the product's row before it,
# at the payload's version time (``changed_at``; not ``at``, a keyword in DuckDB); a first
# payload without prices adds none.
PRODUCT_PRICES = pa.schema(
    [("product_id", pa.int64()), ("changed_at", TS)]
    + [(c, MONEY) for c in ("price", "regular_price", "sale_price")]
)
PRICE_COLUMNS = ("price", "regular_price", "sale_price")
CHILD_TABLES = {
    "order_items": ORDER_ITEMS,
    "order_refunds": ORDER_REFUNDS,
    "refund_items": REFUND_ITEMS,
}
# Child tables of each resource table, keyed by the parent's key column: replaced as a
# whole when the parent's payload wins.
CHILDREN_OF: dict[str, tuple[str, ...]] = {
    "orders": ("order_items", "order_refunds"),
    "refunds": ("refund_items",),
}

# Columns added since the first state files: (table, column, SQL default for existing rows).
# (An order applied before ``coupon_discounts`` or ``tracking`` has a null there: a replay
# fills it.)
ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("products", "stock_status", "''"),
    ("orders", "coupon_discounts", "NULL"),
    ("orders", "tracking", "NULL"),
)

# What job.products fitted: each product's price elasticity as of the job's day (replaced by
# every job; the products view works the optimal price out of it).
PRODUCT_FITS = pa.schema(
    [
        ("product_id", pa.int64()),
        ("as_of", pa.date32()),
        ("elasticity", pa.float64()),
        ("standard_error", pa.float64()),
        ("r_squared", pa.float64()),
        ("n_days", pa.int64()),
        ("n_prices", pa.int64()),
        ("reason", pa.string()),
    ]
)

# The alerts raised (the alerts view's columns but the ones worked out at publish).
ALERTS = pa.schema([f for f in ALERTS_VIEW if f.name not in ("why", "acknowledged")])

_DUCK_TYPES = {
    pa.int64(): "BIGINT",
    pa.string(): "VARCHAR",
    pa.bool_(): "BOOLEAN",
    MONEY: "DECIMAL(18,2)",
    TS: "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
    pa.list_(MONEY): "DECIMAL(18,2)[]",
    pa.date32(): "DATE",
    pa.float64(): "DOUBLE",
}


PREDICTION_TABLES: dict[str, tuple[pa.Schema, str]] = {
    "prediction_models": (PREDICTION_MODELS_VIEW, "model"),
    "backtests": (BACKTESTS_VIEW, "as_of"),
    "churn_timeline": (CHURN_TIMELINE_VIEW, "day, churn_level"),
}


def _columns_sql(schema: pa.Schema, table: str = "") -> str:
    added = {column for name, column, _ in ADDED_COLUMNS if name == table}
    return ", ".join(f"{f.name} {_DUCK_TYPES[f.type]}" for f in schema if f.name not in added)


def _added_columns() -> list[str]:
    types = {t.name: t.schema for t in RESOURCE_TABLES.values()}
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} "
        f"{_DUCK_TYPES[types[table].field(column).type]} DEFAULT {default}"
        for table, column, default in ADDED_COLUMNS
    ]


def create_statements() -> list[str]:
    statements = [
        f"CREATE TABLE IF NOT EXISTS {t.name} ({_columns_sql(t.schema, t.name)}, "
        f"trash_at TIMESTAMPTZ, PRIMARY KEY ({t.key}))"
        for t in RESOURCE_TABLES.values()
    ]
    statements += _added_columns()
    statements += [
        f"CREATE TABLE IF NOT EXISTS {name} ({_columns_sql(schema)})"
        for name, schema in CHILD_TABLES.items()
    ]
    statements += [
        "CREATE TABLE IF NOT EXISTS deliveries_noted (kind VARCHAR, topic VARCHAR, code VARCHAR, "
        "noted_at TIMESTAMPTZ, PRIMARY KEY (kind, topic, code, noted_at))",
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        # a publish finds the guest orders an address change may move through this index
        "CREATE INDEX IF NOT EXISTS orders_by_email ON orders (email)",
        # ... and the registered owner of a guest order's address (not a scan of customers)
        "CREATE INDEX IF NOT EXISTS customers_by_email ON customers (email)",
        # a new payload replaces its child rows, found through these
        "CREATE INDEX IF NOT EXISTS order_items_by_order ON order_items (order_id)",
        "CREATE INDEX IF NOT EXISTS order_refunds_by_order ON order_refunds (order_id)",
        "CREATE INDEX IF NOT EXISTS refund_items_by_refund ON refund_items (refund_id)",
        f"CREATE TABLE IF NOT EXISTS product_prices ({_columns_sql(PRODUCT_PRICES)}, "
        "PRIMARY KEY (product_id, changed_at))",
        # Resources changed since the views were last published (written in the same
        # transaction as the change; the publish that includes them removes them).
        "CREATE TABLE IF NOT EXISTS pending_changes (resource VARCHAR, id BIGINT, "
        "PRIMARY KEY (resource, id))",
        # The published changes the alert rules have not checked yet (a live publish between
        # two alert checks keeps its orders, customers and products here for the next one).
        "CREATE TABLE IF NOT EXISTS alert_scope (resource VARCHAR, id BIGINT, "
        "PRIMARY KEY (resource, id))",
        # One row per customer and rescoring day on which their RFM segment changed
        # (previous_segment is null for their first scored segment).
        "CREATE TABLE IF NOT EXISTS segment_history (customer_key VARCHAR, changed_on DATE, "
        "segment VARCHAR, previous_segment VARCHAR, r BIGINT, f BIGINT, m BIGINT, "
        "PRIMARY KEY (customer_key, changed_on))",
        # GDPR erasure tombstones (hashes and ids only): later events of an erased customer
        # are scrubbed before they are logged or applied (see store/erasure.py).
        "CREATE TABLE IF NOT EXISTS erasures (erasure_id VARCHAR PRIMARY KEY, "
        "customer_key VARCHAR, customer_id BIGINT, email_sha256 VARCHAR[], order_ids BIGINT[], "
        "erased_at TIMESTAMPTZ)",
        f"CREATE TABLE IF NOT EXISTS product_fits ({_columns_sql(PRODUCT_FITS)}, "
        "PRIMARY KEY (product_id))",
        f"CREATE TABLE IF NOT EXISTS alerts ({_columns_sql(ALERTS)}, PRIMARY KEY (alert_id))",
    ]
    # What the prediction jobs record (job.clv, job.backtest, job.churn): the rows of the
    # views of the same names.
    statements += [
        f"CREATE TABLE IF NOT EXISTS {name} ({_columns_sql(schema)}, PRIMARY KEY ({key}))"
        for name, (schema, key) in PREDICTION_TABLES.items()
    ]
    return statements
