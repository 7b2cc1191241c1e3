"""Whole-shop work over the views' rows: the rescoring job, and the views built whole.

``job.rfm`` rescores every customer as of its day against the shop's distribution, records
who changed segment and keeps the scoring basis that customers are scored against until
the next rescoring (``processors/projections/customer_scores.py``).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from processors.projections.customer_scores import (
    basis_of,
    effective_as_of,
    record_segment_history,
    with_customer_scores,
)
from processors.projections.engine import ViewEngine
from processors.projections.sql import (
    ALL_GUEST_EMAILS,
    CUSTOMERS_SQL,
    ORDERS_SQL,
    WHOLE,
    order_params,
)
from schemas.control_events import ScoresRequested
from schemas.shop import ShopConfig
from store.arrow_results import arrow_of


def whole_orders(con: duckdb.DuckDBPyConnection, shop: ShopConfig) -> pa.Table:
    """Every order as the orders view computes it (with the customer columns it needs)."""
    return arrow_of(
        con, ORDERS_SQL.format(scope=WHOLE, emails=ALL_GUEST_EMAILS), order_params(shop)
    )


def rescore_customers(
    con: duckdb.DuckDBPyConnection, shop: ShopConfig, job: ScoresRequested
) -> int:
    """``job.rfm``: score every customer as of the job's day (or the last sale day, when
    later), record who changed segment and keep the scoring basis; returns how many moved."""
    ov = whole_orders(con, shop)
    as_of = effective_as_of(job.as_of.isoformat(), ov)
    customers = scored_customers(con, ov, as_of, shop)
    basis = basis_of(customers, ov, as_of) if as_of is not None else None
    return record_segment_history(con, customers, job, basis)


def scored_customers(
    con: duckdb.DuckDBPyConnection, orders: pa.Table, as_of: date | None, shop: ShopConfig
) -> pa.Table:
    """Every customer of ``orders`` and the registered ones, scored against the shop's own
    distribution as of ``as_of``."""
    con.register("ov", orders)
    try:
        customers = arrow_of(con, CUSTOMERS_SQL.format(scope=WHOLE))
    finally:
        con.unregister("ov")
    return with_customer_scores(customers, orders, as_of, shop.consent_keys)


def build_views(con: duckdb.DuckDBPyConnection, shop: ShopConfig) -> dict[str, pa.Table]:
    """Every view of the shop built whole from its state."""
    return ViewEngine(con, shop).full_tables()
