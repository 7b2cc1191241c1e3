"""Synthetic read views of a big shop, written the way processors publish them.

Orders (``schemas.views.ORDERS_VIEW``) are built column by column with numpy: two years of
orders up to ``now``, every customer with at least one, a long tail of repeat buyers, a
quarter guests (``guest-`` keys), WooCommerce's statuses in shop-like shares and money
that adds up (net = total - refunds). Customers (``CUSTOMERS_VIEW``) are aggregated from
the orders in DuckDB and scored by the store's own code (RFM, status, consents), with the
segment history one rescoring leaves; the prediction views (clv, churn, prediction_models,
churn_timeline, backtests) come from ``bench/api_predictions.py``. All go through
``store.viewstore.write_views`` (zstd Parquet, atomic rename, manifest), so the API reads files
like the ones it reads in production.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from bench.api_predictions import prediction_tables
from processors.projections.customer_scores import with_customer_scores
from schemas.shop import DEFAULT_CONSENT_KEYS
from schemas.view_types import MONEY
from schemas.views import ORDERS_VIEW, SEGMENT_HISTORY_VIEW
from store.layout import shop_paths
from store.viewstore import write_freshness, write_views

STATUSES = ("completed", "processing", "on-hold", "refunded", "cancelled", "failed", "pending")
STATUS_SHARES = (0.62, 0.14, 0.03, 0.04, 0.07, 0.04, 0.06)
SALE = {"completed", "processing", "on-hold", "refunded"}
FIRST = ("anna", "jan", "maria", "piotr", "ewa", "john", "ada", "grace", "linus", "olga")
LAST = ("nowak", "kowalski", "smith", "lovelace", "hopper", "torvalds", "meyer", "dubois")
COUNTRIES = ("PL", "DE", "US", "GB", "FR", "CZ", "NL", "SE")
PAYMENTS = ("bacs", "stripe", "paypal", "cod")
DAYS = 730


def money_array(cents: np.ndarray) -> pa.Array:
    """decimal(18, 2) from int64 cents without Python objects (128-bit two's complement)."""
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])


def _timestamps(micros: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.array(micros, type=pa.int64(), mask=mask).cast(pa.timestamp("us", tz="UTC"))


def customer_keys(count: int) -> tuple[list[str], np.ndarray]:
    """Keys and ids of ``count`` customers; every fourth is a guest (id 0)."""
    ids = np.arange(1, count + 1, dtype=np.int64)
    ids[::4] = 0
    keys = [
        str(cid) if cid else "guest-" + hashlib.sha256(f"c{n}".encode()).hexdigest()[:16]
        for n, cid in enumerate(ids.tolist())
    ]
    return keys, ids


def _buyers(rng: np.random.Generator, orders: int, customers: int) -> np.ndarray:
    """A customer index per order: each customer once, the rest a long tail (Pareto)."""
    extra = orders - customers
    weights = rng.pareto(1.2, customers) + 0.05
    tail = rng.choice(customers, size=max(extra, 0), p=weights / weights.sum())
    buyers = np.concatenate([np.arange(customers), tail])[:orders]
    rng.shuffle(buyers)
    return buyers


def _money_columns(rng: np.random.Generator, status: np.ndarray) -> dict[str, pa.Array]:
    count = len(status)
    items = rng.integers(1, 7, count)
    goods = items * rng.choice(np.array([1299, 2450, 3999, 5900, 8900]), count)
    shipping = rng.choice(np.array([0, 999, 1500]), count)
    discount = np.where(rng.random(count) < 0.1, goods // 10, 0)
    total = goods - discount + shipping
    partial = (status == "completed") & (rng.random(count) < 0.03)
    refunds = np.where(status == "refunded", total, np.where(partial, total // 4, 0))
    return {
        "total": money_array(total),
        "refunds": money_array(refunds),
        "net": money_array(total - refunds),
        "shipping": money_array(shipping),
        "tax": money_array(total * 23 // 123),
        "discount": money_array(discount),
        "items": pa.array(items, type=pa.int64()),
    }


def _people(buyers: np.ndarray, customers: int) -> dict[str, pa.Array]:
    keys, ids = customer_keys(customers)
    index = pa.array(buyers)
    first = [FIRST[n % len(FIRST)] for n in range(customers)]
    emails = pa.array([f"{f}.{n}@example.com" for n, f in enumerate(first)])
    return {
        "customer_key": pa.array(keys).take(index),
        "customer_id": pa.array(ids).take(index),
        "email": emails.take(index),
        "country": pa.array([COUNTRIES[n % len(COUNTRIES)] for n in range(customers)]).take(index),
    }


def synthetic_orders(count: int, customers: int, now: datetime, seed: int = 11) -> pa.Table:
    rng = np.random.default_rng(seed)
    end = int(now.timestamp() * 1e6)
    created = np.sort(rng.integers(end - DAYS * 86_400_000_000, end, count))
    status = rng.choice(np.array(STATUSES), count, p=STATUS_SHARES)
    paid = np.isin(status, ["completed", "processing", "refunded"])
    completed = status == "completed"
    done_at = created + 3 * 86_400_000_000
    order_ids = np.arange(1000, 1000 + count, dtype=np.int64)
    columns: dict[str, pa.Array] = {
        "order_id": pa.array(order_ids),
        "number": pa.array(order_ids).cast(pa.string()),
        "status": pa.array(status.astype(object), type=pa.string()),
        "is_sale": pa.array(np.isin(status, list(SALE))),
        **_people(_buyers(rng, count, customers), customers),
        "currency": pa.array(["PLN"] * count),
        "created_at": _timestamps(created),
        "paid_at": _timestamps(created + 120_000_000, paid),
        "completed_at": _timestamps(done_at, completed),
        "modified_at": _timestamps(np.minimum(np.where(completed, done_at, created), end)),
        "revenue_at": _timestamps(created),
        "revenue_day": _timestamps(created).cast(pa.date32()),
        **_money_columns(rng, status),
        "payment_method": pa.array(
            rng.choice(np.array(PAYMENTS), count).astype(object), type=pa.string()
        ),
        "tracking_number": pa.array([""] * count),  # the bench shop ships without tracking
    }
    return pa.table(columns).select(ORDERS_VIEW.names).cast(ORDERS_VIEW)


CUSTOMERS_SQL = """
SELECT customer_key,
    max(customer_id) AS customer_id,
    arg_max(email, created_at) AS email,
    split_part(arg_max(email, created_at), '.', 1) AS first_name,
    $last[1 + (hash(customer_key) % 8)::INT] AS last_name,
    '+48 600 ' || lpad((hash(customer_key) % 1000000)::VARCHAR, 6, '0') AS phone,
    arg_max(country, created_at) AS country,
    max(customer_id) = 0 AS is_guest,
    CASE WHEN max(customer_id) > 0 THEN min(created_at) - INTERVAL 3 DAY END AS registered_at,
    count(*) FILTER (WHERE is_sale) AS orders,
    coalesce(sum(total) FILTER (WHERE is_sale), 0) AS gross,
    coalesce(sum(refunds) FILTER (WHERE is_sale), 0) AS refunds,
    coalesce(sum(net) FILTER (WHERE is_sale), 0) AS net_spent,
    CASE WHEN count(*) FILTER (WHERE is_sale) > 0
        THEN CAST(sum(net) FILTER (WHERE is_sale) / count(*) FILTER (WHERE is_sale)
                  AS DECIMAL(18, 2)) END AS aov,
    min(revenue_at) FILTER (WHERE is_sale) AS first_order_at,
    max(revenue_at) FILTER (WHERE is_sale) AS last_order_at,
    min(revenue_day) FILTER (WHERE is_sale) AS first_order_day,
    max(revenue_day) FILTER (WHERE is_sale) AS last_order_day,
    CASE WHEN hash(customer_key) % 10 < 6 THEN '{"marketing_consent_email":"yes"}'
        ELSE '' END AS consents
FROM orders GROUP BY customer_key ORDER BY customer_key
"""


def synthetic_customers(orders: pa.Table, as_of: date) -> pa.Table:
    """Customers aggregated from ``orders``, scored (RFM, status, consents) by the store's
    own code as of ``as_of``."""
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("orders", orders)
        table = con.sql(CUSTOMERS_SQL, params={"last": list(LAST)}).to_arrow_table()
    finally:
        con.close()
    return with_customer_scores(table, orders, as_of, DEFAULT_CONSENT_KEYS)


def first_segments(customers: pa.Table, as_of: date) -> pa.Table:
    """The segment history after one rescoring: every scored customer's first segment."""
    scored = customers.filter(pc.is_valid(customers["segment"]))
    rows = scored.num_rows
    return pa.table(
        {
            "customer_key": scored["customer_key"],
            "changed_on": pa.array([as_of] * rows, pa.date32()),
            "segment": scored["segment"],
            "previous_segment": pa.nulls(rows, pa.string()),
            "r": scored["r"],
            "f": scored["f"],
            "m": scored["m"],
        }
    ).cast(SEGMENT_HISTORY_VIEW)


def publish_big_shop(
    data_dir: Path, shop_id: str, orders: int, customers: int, now: datetime
) -> str:
    """Write the views (orders, customers, segment history and the five prediction views)
    and freshness for ``shop_id``; returns the views' version."""
    table = synthetic_orders(orders, customers, now)
    views_dir = shop_paths(data_dir, shop_id).views_dir
    as_of = now.date()
    people = synthetic_customers(table, as_of)
    views = {
        "orders": table,
        "customers": people,
        "segment_history": first_segments(people, as_of),
        **prediction_tables(table, people, as_of, now, shop_id),
    }
    extra = {"scores_as_of": as_of.isoformat(), "predictions_as_of": as_of.isoformat()}
    version = write_views(views_dir, views, now, extra)
    write_freshness(
        views_dir,
        {
            "newest_event_at": (now - timedelta(seconds=2)).isoformat(),
            "last_applied_at": now.isoformat(),
            "lag_seconds": 0.4,
            "events_applied": orders,
        },
    )
    return version
