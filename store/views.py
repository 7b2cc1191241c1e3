"""Publish a shop's read views from its DuckDB state as Parquet (temp file, then atomic rename).

The views are a pure function of the state and the shop's settings: rows are sorted by key,
so rebuilding the state from the raw log (``replay``) reproduces them byte for byte.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.events import ScoresRequested
from schemas.jobs import PREDICTION_JOBS
from schemas.shop import ShopConfig
from schemas.views import (
    FRESHNESS,
    MANIFEST,
    ORDERS_VIEW,
    SEGMENT_HISTORY_VIEW,
    VERSIONS_VIEW,
    VIEWS,
)
from store.customer_scores import (
    RESCORED_AT,
    SCORES_AS_OF,
    effective_as_of,
    record_segment_history,
    with_customer_scores,
)
from store.prediction_models import MODELS_SQL
from store.predictions import (
    PREDICTED_AS_OF,
    prediction_views,
    predictions_day,
    with_current_day,
)
from store.state_schema import RESOURCE_TABLES

ORDERS_SQL = """
WITH live_customers AS (
    SELECT * FROM customers
    WHERE v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at)
), owners AS (
    SELECT email, min(customer_id) AS owner FROM (
        SELECT email, customer_id FROM live_customers WHERE email <> ''
        UNION ALL
        SELECT email, customer_id FROM orders
        WHERE customer_id > 0 AND email <> '' AND v_at IS NOT NULL
    ) GROUP BY email
), o AS (
    SELECT *,
        CASE WHEN trash_at IS NOT NULL AND trash_at > v_at THEN 'trash' ELSE status END AS eff,
        CASE $basis WHEN 'paid' THEN coalesce(paid_at, created_at)
            WHEN 'completed' THEN coalesce(completed_at, paid_at, created_at)
            ELSE created_at END AS rev_at
    FROM orders WHERE v_at IS NOT NULL
)
SELECT o.order_id, o.number, o.eff AS status,
    list_contains($paid, o.eff) OR o.eff = 'refunded' AS is_sale,
    CASE WHEN o.customer_id > 0 THEN o.customer_id::VARCHAR
        WHEN w.owner IS NOT NULL THEN w.owner::VARCHAR
        WHEN o.email <> '' THEN 'guest-' || left(sha256(o.email), 16)
        ELSE 'guest-order-' || o.order_id::VARCHAR END AS customer_key,
    CASE WHEN o.customer_id > 0 THEN o.customer_id ELSE coalesce(w.owner, 0) END AS customer_id,
    o.email, o.country, o.currency, o.created_at, o.paid_at, o.completed_at,
    o.v_at AS modified_at, o.rev_at AS revenue_at,
    (o.rev_at AT TIME ZONE $tz)::DATE AS revenue_day,
    o.total, o.refunds, CAST(o.total - o.refunds AS DECIMAL(18, 2)) AS net,
    o.shipping, o.tax, o.discount, o.items, o.payment_method,
    o.first_name, o.last_name, o.phone, o.consents
FROM o LEFT JOIN owners w ON o.customer_id = 0 AND o.email = w.email
ORDER BY o.order_id
"""

CUSTOMERS_SQL = """
WITH agg AS (
    SELECT customer_key,
        count(*) FILTER (WHERE is_sale) AS orders,
        coalesce(sum(total) FILTER (WHERE is_sale), 0) AS gross,
        coalesce(sum(refunds) FILTER (WHERE is_sale), 0) AS refunds,
        coalesce(sum(net) FILTER (WHERE is_sale), 0) AS net_spent,
        min(revenue_at) FILTER (WHERE is_sale) AS first_order_at,
        max(revenue_at) FILTER (WHERE is_sale) AS last_order_at,
        min(revenue_day) FILTER (WHERE is_sale) AS first_order_day,
        max(revenue_day) FILTER (WHERE is_sale) AS last_order_day,
        max(customer_id) AS customer_id,
        arg_max(email, (created_at, order_id)) AS email,
        arg_max(first_name, (created_at, order_id)) AS first_name,
        arg_max(last_name, (created_at, order_id)) AS last_name,
        arg_max(phone, (created_at, order_id)) AS phone,
        arg_max(country, (created_at, order_id)) AS country,
        arg_max(consents, (created_at, order_id)) FILTER (WHERE consents <> '') AS consents
    FROM ov GROUP BY customer_key
), reg AS (
    SELECT customer_id::VARCHAR AS customer_key, * FROM customers
    WHERE v_at IS NOT NULL AND (trash_at IS NULL OR trash_at <= v_at)
)
SELECT coalesce(r.customer_key, a.customer_key) AS customer_key,
    coalesce(r.customer_id, a.customer_id, 0) AS customer_id,
    coalesce(nullif(r.email, ''), a.email, '') AS email,
    coalesce(nullif(r.first_name, ''), a.first_name, '') AS first_name,
    coalesce(nullif(r.last_name, ''), a.last_name, '') AS last_name,
    coalesce(nullif(r.phone, ''), a.phone, '') AS phone,
    coalesce(nullif(r.country, ''), a.country, '') AS country,
    coalesce(r.customer_id, a.customer_id, 0) = 0 AS is_guest,
    r.created_at AS registered_at,
    coalesce(a.orders, 0) AS orders,
    CAST(coalesce(a.gross, 0) AS DECIMAL(18, 2)) AS gross,
    CAST(coalesce(a.refunds, 0) AS DECIMAL(18, 2)) AS refunds,
    CAST(coalesce(a.net_spent, 0) AS DECIMAL(18, 2)) AS net_spent,
    CASE WHEN a.orders > 0 THEN CAST(a.net_spent / a.orders AS DECIMAL(18, 2)) END AS aov,
    a.first_order_at, a.last_order_at, a.first_order_day, a.last_order_day,
    coalesce(nullif(r.consents, ''), a.consents, '') AS consents
FROM reg r FULL OUTER JOIN agg a ON r.customer_key = a.customer_key
ORDER BY customer_key
"""

# A resource is trashed when its trash time is later than its payload version (or it has
# only a trash time). Resource names are literals of RESOURCE_TABLES, not input.
VERSIONS_SQL = (
    " UNION ALL ".join(
        f"SELECT '{resource}' AS resource, {table.key} AS resource_id, v_at AS modified_at, "
        f"coalesce(trash_at > v_at, trash_at IS NOT NULL) AS trashed FROM {table.name}"
        for resource, table in RESOURCE_TABLES.items()
    )
    # An erased customer is held as trashed at the erasure, so a sync does not fetch
    # them again (only a later change in WooCommerce does, and the tombstone scrubs it).
    + " UNION ALL SELECT 'customer', customer_id, max(erased_at), true FROM erasures"
    " WHERE customer_id > 0 AND customer_id NOT IN (SELECT customer_id FROM customers)"
    " GROUP BY customer_id"
    " ORDER BY resource, resource_id"
)


ROW_GROUP_ROWS = 65536


SEGMENT_HISTORY_SQL = "SELECT * FROM segment_history ORDER BY customer_key, changed_on"
PREDICTION_TABLE_SQL = {
    "prediction_models": MODELS_SQL,
    "backtests": "SELECT * FROM backtests ORDER BY as_of",
    "churn_timeline": "SELECT * FROM churn_timeline ORDER BY day, churn_level",  # + today
}


def build_views(con: duckdb.DuckDBPyConnection, shop: ShopConfig) -> dict[str, pa.Table]:
    """The read views of a shop as Arrow tables (pure of the state and the settings)."""
    return build_view_set(con, shop)[0]


def build_view_set(
    con: duckdb.DuckDBPyConnection, shop: ShopConfig
) -> tuple[dict[str, pa.Table], dict[str, Any]]:
    """The read views, and what the manifest says about them (the scoring day)."""
    ov = con.sql(ORDERS_SQL, params=order_params(shop)).to_arrow_table()
    as_of = effective_as_of(read_meta(con, SCORES_AS_OF), ov)
    customers = scored_customers(con, ov, as_of, shop)
    predicted = predictions_day(read_meta(con, PREDICTED_AS_OF), as_of)
    tables = {
        "orders": ov.select(ORDERS_VIEW.names).cast(ORDERS_VIEW),
        "customers": customers,
        "versions": con.sql(VERSIONS_SQL).to_arrow_table().cast(VERSIONS_VIEW),
        "segment_history": con.sql(SEGMENT_HISTORY_SQL).to_arrow_table().cast(SEGMENT_HISTORY_VIEW),
        **prediction_views(con, ov, customers, predicted, shop),
    }
    for name, sql in PREDICTION_TABLE_SQL.items():
        tables[name] = con.sql(sql).to_arrow_table().cast(VIEWS[name])
    tables["churn_timeline"] = with_current_day(
        tables["churn_timeline"], tables["churn"], predicted
    )
    extra = {
        SCORES_AS_OF: as_of.isoformat() if as_of else None,
        RESCORED_AT: read_meta(con, RESCORED_AT),
        PREDICTED_AS_OF: predicted.isoformat() if predicted else None,
        "jobs_applied": {job: read_meta(con, f"job_{job}_at") for job in PREDICTION_JOBS},
    }
    return tables, extra


def rescore_customers(
    con: duckdb.DuckDBPyConnection, shop: ShopConfig, job: ScoresRequested
) -> int:
    """``job.rfm``: make the job's day the scoring day, score every customer as of it and
    record who changed segment; returns how many did."""
    ov = con.sql(ORDERS_SQL, params=order_params(shop)).to_arrow_table()
    customers = scored_customers(con, ov, effective_as_of(job.as_of.isoformat(), ov), shop)
    return record_segment_history(con, customers, job)


def scored_customers(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, as_of: date | None, shop: ShopConfig
) -> pa.Table:
    """The customers view: aggregates of ``orders`` and the registered customers, with
    their RFM, status and consent columns as of ``as_of``."""
    con.register("ov", orders)
    try:
        customers = con.sql(CUSTOMERS_SQL).to_arrow_table()
    finally:
        con.unregister("ov")
    return with_customer_scores(customers, orders, as_of, shop.consent_keys)


def order_params(shop: ShopConfig) -> dict[str, Any]:
    """The named parameters of ORDERS_SQL for ``shop``."""
    return {"basis": shop.revenue_date, "paid": list(shop.paid_statuses), "tz": shop.timezone}


def read_meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def write_views(
    views_dir: Path,
    tables: dict[str, pa.Table],
    now: datetime,
    extra: dict[str, Any] | None = None,
) -> str:
    """Replace each view file atomically, then the manifest; returns the views' version."""
    views_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for name in sorted(tables):
        path = views_dir / f"{name}.parquet"
        _atomic_write_table(tables[name], path)
        digest.update(name.encode() + path.read_bytes())
    version = digest.hexdigest()[:20]
    manifest = {"version": version, "published_at": now.isoformat(), "views": sorted(tables)}
    manifest.update(extra or {})
    atomic_write_json(views_dir / MANIFEST, manifest)
    return version


def write_freshness(views_dir: Path, freshness: dict[str, Any]) -> None:
    views_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(views_dir / FRESHNESS, freshness)


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # Row groups of 64k rows let readers skip and parallelise (one group of 1M rows cannot).
    pq.write_table(table, tmp, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    os.replace(tmp, path)


def atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)
