"""The views engine: a publish refreshes the rows its pending changes reach.

Applying a batch records the resources it changed (``pending_changes`` in the shop state,
in the same transaction). A publish then either

- **refreshes the change**: the orders the changes reach (the changed orders, those of a
  changed customer, and the guest orders whose owner an address change may move) are built
  again into ``mv_orders``; the customers those orders belonged to before and after, and the
  changed customers, are aggregated, scored against the last rescoring's basis and
  predicted with the current fits into ``mv_customers``, ``mv_clv`` and ``mv_churn``; the
  view store writes those rows as deltas. The cost follows the change, not the shop.
- or **builds the shop whole**: before the first rescoring (scores are then measured on the
  whole shop at every publish), when what the views are computed with changed (a job ran,
  the shop's settings changed: ``params``), or when the materialised tables are missing (a
  replay, an erasure, a new version of this code).

Both give the same rows for the same state: the whole build scores and predicts every
customer exactly as a refresh would (a property test holds them equal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from processors.projections.customer_scores import (
    RESCORED_AT,
    SCORES_AS_OF,
    ScoringBasis,
    effective_as_of,
    load_basis,
    scored_against,
    scoring_days,
    with_customer_scores,
)
from processors.projections.prediction_models import MODELS_SQL
from processors.projections.predictions import (
    PREDICTED_AS_OF,
    churn_counts,
    predicted_by_day,
    prediction_views,
    predictions_day,
    with_current_counts,
)
from processors.projections.sql import (
    ALL_GUEST_EMAILS,
    CUSTOMERS_SQL,
    ORDERS_SQL,
    VERSIONS_COUNT_SQL,
    WHOLE,
    in_ids,
    in_keys,
    in_params,
    order_params,
    versions_sql,
)
from schemas.jobs import PREDICTION_JOBS
from schemas.shop import ShopConfig
from schemas.views import (
    ORDERS_VIEW,
    SEGMENT_HISTORY_VIEW,
    VERSIONS_VIEW,
    VIEWS,
)
from store.state import JOBS_RUN, VIEW_PARAMS
from store.viewstore import Changed, Whole, Write

ENGINE_VERSION = "2"  # raise when the materialised tables change shape
MATERIALISED = {
    "orders": "mv_orders",
    "customers": "mv_customers",
    "clv": "mv_clv",
    "churn": "mv_churn",
}
SEGMENT_HISTORY_SQL = "SELECT * FROM segment_history ORDER BY customer_key, changed_on"
MATERIALISED_INDEXES = {
    "mv_orders": ("order_id", "customer_key"),
    "mv_customers": ("customer_key",),
    "mv_clv": ("customer_key",),
    "mv_churn": ("customer_key",),
}
# what the customers, clv and churn rows need of a customer's orders
CUSTOMER_ORDER_COLUMNS = (
    "order_id, customer_key, customer_id, status, is_sale, email, country, created_at, "
    "revenue_at, revenue_day, total, refunds, net, first_name, last_name, phone, consents"
)
JOB_TABLE_SQL = {
    "prediction_models": MODELS_SQL,
    "backtests": "SELECT * FROM backtests ORDER BY as_of",
}
TIMELINE_SQL = "SELECT * FROM churn_timeline ORDER BY day, churn_level"


@dataclass(frozen=True)
class Refresh:
    writes: dict[str, Write]
    extra: dict[str, Any]  # what the manifest says beside the files
    params: str  # what these views were computed with (kept after the publish)


class ViewEngine:
    """One publish's work on a shop's state connection (the shop's writer only)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, shop: ShopConfig) -> None:
        self._con = con
        self._shop = shop

    def refresh(self) -> Refresh:
        """The writes of this publish (materialised tables updated in one transaction)."""
        basis = load_basis(self._con)
        params = self._params(basis)
        whole = basis is None or params != _meta(self._con, VIEW_PARAMS) or not self._built()
        self._con.execute("BEGIN TRANSACTION")
        try:
            writes, extra = self._whole(basis) if whole else self._changes(basis)
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        return Refresh(writes, extra, params)

    def full_tables(self) -> dict[str, pa.Table]:
        """Every view built whole (tests compare refreshed views with this)."""
        writes = self._whole_writes(load_basis(self._con), materialise=False)
        return {name: write.table for name, write in writes.items()}

    # -- whole ----------------------------------------------------------------------------

    def _whole(self, basis: ScoringBasis | None) -> tuple[dict[str, Write], dict[str, Any]]:
        writes = self._whole_writes(basis, materialise=basis is not None)
        if basis is not None:  # changes can be refreshed from here on (mv_orders is done)
            for view in ("customers", "clv", "churn"):
                self._materialise(MATERIALISED[view], writes[view].table)
        return dict(writes), self._extra(basis)

    def _whole_writes(self, basis: ScoringBasis | None, materialise: bool) -> dict[str, Whole]:
        ov = self._sql(
            ORDERS_SQL.format(scope=WHOLE, emails=ALL_GUEST_EMAILS), order_params(self._shop)
        )
        customers, clv, churn = self._customers(ov, self._aggregates(ov, WHOLE), basis)
        if materialise:
            self._materialise("mv_orders", ov)
        tables = {
            "orders": ov.select(ORDERS_VIEW.names).cast(ORDERS_VIEW),
            "customers": customers,
            "clv": clv,
            "churn": churn,
            "versions": self._sql(versions_sql(None)).cast(VERSIONS_VIEW),
            "segment_history": self._sql(SEGMENT_HISTORY_SQL).cast(SEGMENT_HISTORY_VIEW),
            "churn_timeline": self._timeline(churn_counts(churn), _last_sale_day(ov)),
        }
        tables |= {name: self._sql(sql).cast(VIEWS[name]) for name, sql in JOB_TABLE_SQL.items()}
        return {name: Whole(table) for name, table in tables.items()}

    # -- changes --------------------------------------------------------------------------

    def _changes(self, basis: ScoringBasis) -> tuple[dict[str, Write], dict[str, Any]]:
        pending = self._pending()
        orders = self._affected_orders(pending.get("order", []), pending.get("customer", []))
        before = self._keys_of(orders)
        new_orders = self._orders_of(orders)
        self._replace("mv_orders", f"order_id IN {in_ids(orders)}", new_orders)
        registered = [str(cid) for cid in pending.get("customer", [])]
        keys = sorted(before | set(new_orders["customer_key"].to_pylist()) | set(registered))
        ov = self._sql(
            f"SELECT {CUSTOMER_ORDER_COLUMNS} FROM mv_orders WHERE customer_key IN {in_keys(keys)}"
        )
        aggregates = self._aggregates(ov, f"customer_id IN {in_ids(_registered_ids(keys))}")
        customers, clv, churn = self._customers(ov, aggregates, basis)
        for name, table in (("customers", customers), ("clv", clv), ("churn", churn)):
            self._replace(MATERIALISED[name], f"customer_key IN {in_keys(keys)}", table)
        writes: dict[str, Write] = {
            "orders": self._changed("orders", "order_id", orders, new_orders),
            "customers": self._changed("customers", "customer_key", keys, customers),
            "clv": self._changed("clv", "customer_key", keys, clv),
            "churn": self._changed("churn", "customer_key", keys, churn),
            "versions": self._changed_versions(),
        }
        last_sale = self._con.execute(
            "SELECT max(revenue_day) FROM mv_orders WHERE is_sale"
        ).fetchall()[0][0]
        counts = dict(
            self._con.execute("SELECT churn_level, count(*) FROM mv_churn GROUP BY 1").fetchall()
        )
        writes["churn_timeline"] = Whole(self._timeline(counts, last_sale))
        return writes, self._extra(basis)

    def _pending(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for resource, rid in self._con.execute(
            "SELECT resource, id FROM pending_changes"
        ).fetchall():
            found.setdefault(resource, []).append(rid)
        return found

    def _affected_orders(self, changed: list[int], customers: list[int]) -> list[int]:
        """The orders a change reaches: the changed orders; those that belonged to a changed
        customer; the guest orders whose owner may have changed (an address a changed
        order or customer has now, or had when last published)."""
        keys = in_keys(str(cid) for cid in customers)
        emails = self._column(
            f"SELECT email FROM orders WHERE order_id IN {in_ids(changed)} "
            f"UNION SELECT email FROM mv_orders WHERE order_id IN {in_ids(changed)} "
            f"UNION SELECT email FROM customers WHERE customer_id IN {in_ids(customers)} "
            f"UNION SELECT email FROM mv_customers WHERE customer_key IN {keys}"
        )
        addresses, params = in_params(sorted(e for e in emails if e), "e")
        found = set(changed) | set(
            self._column(f"SELECT order_id FROM mv_orders WHERE customer_key IN {keys}")
        )
        guests = self._con.execute(  # the key alone in the condition: looked up by index
            f"SELECT order_id, customer_id FROM orders WHERE email IN {addresses}", params
        ).fetchall()
        found |= {order_id for order_id, customer_id in guests if customer_id == 0}
        return sorted(found)

    def _keys_of(self, orders: list[int]) -> set[str]:
        sql = f"SELECT DISTINCT customer_key FROM mv_orders WHERE order_id IN {in_ids(orders)}"
        return set(self._column(sql))

    def _orders_of(self, orders: list[int]) -> pa.Table:
        """The rows of ``orders`` as the orders view computes them now."""
        rows = self._con.execute(
            f"SELECT email, customer_id FROM orders WHERE order_id IN {in_ids(orders)}"
        ).fetchall()
        emails = {email for email, customer_id in rows if customer_id == 0 and email}
        addresses, params = in_params(sorted(emails), "g")
        sql = ORDERS_SQL.format(scope=f"order_id IN {in_ids(orders)}", emails=addresses[1:-1])
        return self._sql(sql, order_params(self._shop) | params)

    def _changed(self, view: str, key: str, keys: list[Any], rows: pa.Table) -> Changed:
        """The view's rows of ``keys`` (``rows``), the keys that have no row any more, the
        view's row count and how to read it whole (for a compaction)."""
        schema, table = VIEWS[view], MATERIALISED[view]
        gone = sorted(set(keys) - set(rows[key].to_pylist()))
        deleted = pa.table({key: pa.array(gone, schema.field(key).type)})
        count = self._con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
        whole = self._reader(
            f"SELECT {', '.join(schema.names)} FROM {table} ORDER BY {key}", schema
        )
        return Changed(rows.select(schema.names).cast(schema), deleted, count, whole)

    def _changed_versions(self) -> Changed:
        upserts = self._sql(versions_sql(self._pending())).cast(VERSIONS_VIEW)
        rows = self._con.execute(VERSIONS_COUNT_SQL).fetchall()[0][0]
        keys = VERSIONS_VIEW.empty_table().select(["resource", "resource_id"])
        return Changed(upserts, keys, rows, self._reader(versions_sql(None), VERSIONS_VIEW))

    # -- shared ---------------------------------------------------------------------------

    def _aggregates(self, ov: pa.Table, scope: str) -> pa.Table:
        self._con.register("ov", ov)
        try:
            return self._sql(CUSTOMERS_SQL.format(scope=scope))
        finally:
            self._con.unregister("ov")

    def _customers(
        self, ov: pa.Table, aggregates: pa.Table, basis: ScoringBasis | None
    ) -> tuple[pa.Table, pa.Table, pa.Table]:
        """The customers, clv and churn rows of ``aggregates``' customers."""
        keys = self._shop.consent_keys
        predicted = _meta(self._con, PREDICTED_AS_OF)
        if basis is None:  # no rescoring yet: everyone as of the last sale day
            as_of = effective_as_of(_meta(self._con, SCORES_AS_OF), ov)
            customers = with_customer_scores(aggregates, ov, as_of, keys)
            views = prediction_views(
                self._con, ov, customers, predictions_day(predicted, as_of), self._shop
            )
            return customers, views["clv"], views["churn"]
        customers = scored_against(aggregates, ov, basis, keys)
        days = _later_days(scoring_days(customers, basis), predicted)
        views = predicted_by_day(self._con, ov, customers, days, self._shop)
        return customers, views["clv"], views["churn"]

    def _timeline(self, counts: dict[str, int], last_sale: date | None) -> pa.Table:
        """The recorded churn days, and today's counts under the latest prediction day of
        any customer (the later of the last rescoring, the last prediction job and the last
        sale day)."""
        basis = load_basis(self._con)
        days = [basis.as_of if basis else None, _day(_meta(self._con, PREDICTED_AS_OF)), last_sale]
        known = [day for day in days if day]
        recorded = self._sql(TIMELINE_SQL).cast(VIEWS["churn_timeline"])
        return with_current_counts(recorded, counts, max(known) if known else None)

    def _extra(self, basis: ScoringBasis | None) -> dict[str, Any]:
        scores_as_of = basis.as_of if basis else _day(_meta(self._con, SCORES_AS_OF))
        return {
            SCORES_AS_OF: scores_as_of.isoformat() if scores_as_of else None,
            RESCORED_AT: _meta(self._con, RESCORED_AT),
            PREDICTED_AS_OF: _meta(self._con, PREDICTED_AS_OF),
            "jobs_applied": {job: _meta(self._con, f"job_{job}_at") for job in PREDICTION_JOBS},
        }

    def _params(self, basis: ScoringBasis | None) -> str:
        """What the materialised rows depend on besides the changed resources."""
        keys = [JOBS_RUN, SCORES_AS_OF, PREDICTED_AS_OF]
        data = {
            "engine": ENGINE_VERSION,
            "basis": basis.as_json() if basis else None,
            "meta": {key: _meta(self._con, key) for key in keys},
            "shop": repr(
                (
                    self._shop.timezone,
                    self._shop.revenue_date,
                    self._shop.paid_statuses,
                    self._shop.consent_keys,
                    self._shop.predictions,
                )
            ),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def _built(self) -> bool:
        names = {row[0] for row in self._con.execute("SHOW TABLES").fetchall()}
        return set(MATERIALISED.values()) <= names

    def _materialise(self, table: str, rows: pa.Table) -> None:
        """``table`` made anew from ``rows``, with the indexes a refresh looks keys up by."""
        self._con.register("incoming", rows)
        try:
            self._con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM incoming")
        finally:
            self._con.unregister("incoming")
        for column in MATERIALISED_INDEXES[table]:
            self._con.execute(f"CREATE INDEX {table}_by_{column} ON {table} ({column})")

    def _replace(self, table: str, where: str, rows: pa.Table) -> None:
        """Replace the rows of ``table`` that ``where`` selects with ``rows``."""
        self._con.execute(f"DELETE FROM {table} WHERE {where}")
        self._con.register("incoming", rows)
        try:
            self._con.execute(f"INSERT INTO {table} SELECT * FROM incoming")
        finally:
            self._con.unregister("incoming")

    def _column(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        return [row[0] for row in self._con.execute(sql, params or {}).fetchall()]

    def _sql(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return self._con.sql(sql, params=params).to_arrow_table()

    def _reader(self, sql: str, schema: pa.Schema) -> Callable[[], pa.Table]:
        return lambda: self._sql(sql).cast(schema)


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _registered_ids(keys: list[str]) -> list[int]:
    return [int(key) for key in keys if key.isdigit()]


def _last_sale_day(ov: pa.Table) -> date | None:
    sales = ov.filter(pc.field("is_sale"))
    return pc.max(sales["revenue_day"]).as_py() if sales.num_rows else None


def _later_days(days: pa.Array, predicted: str | None) -> pa.Array:
    """Each day, or the last prediction job's day when that is later."""
    if not predicted:
        return days
    return pc.max_element_wise(days, pa.scalar(date.fromisoformat(predicted), pa.date32()))
