"""The order-based views: orders, customers (with RFM, status, consents), clv, churn and the
churn timeline's current day.

Whole: every order (``ORDERS_SQL``), every customer aggregated, scored and predicted. A
refresh builds again only the orders the pending changes reach — the changed orders, the
orders that belonged to a changed customer, and the guest orders whose owner an address
change may move (an address a changed registered or owned order or a changed customer has
now, or had when last published; a guest order owns no other) — into ``mv_orders``; then
the customers those orders belonged to before and after, and the changed customers, into
``mv_customers``, ``mv_clv`` and ``mv_churn``:
aggregated from their orders, scored against the last rescoring's basis, predicted with the
current fits. Every lookup is a literal key list (``sql.in_ids``, ``sql.in_keys``) with the
key alone in its condition, so DuckDB finds the rows through the tables' indexes.

The churn timeline's current day needs the customers per churn level and the shop's last
sale day. ``mv_churn_now`` keeps both, so a refresh moves them by what it replaced (the
churn levels of the customers it swapped, the sale days of the orders it rebuilt) in one
statement instead of counting ``mv_churn`` and scanning ``mv_orders`` (about 7 ms at 200,000
customers and a million orders); the last sale day is looked up again only when a refresh
removed a sale on a day no new sale reaches.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.clv import CHURN_LEVELS
from processors.projections.churn_timeline import churn_counts, with_current_counts
from processors.projections.customer_scores import (
    SCORES_AS_OF,
    ScoringBasis,
    effective_as_of,
    last_sale_day,
    scored_against,
    scoring_days,
    with_customer_scores,
)
from processors.projections.predictions import (
    PREDICTED_AS_OF,
    predicted_by_day,
    prediction_views,
    predictions_day,
)
from processors.projections.projection import Context
from processors.projections.sql import (
    ALL_GUEST_EMAILS,
    CUSTOMERS_SQL,
    ORDERS_SQL,
    WHOLE,
    in_ids,
    in_keys,
    in_params,
    order_params,
)
from schemas.views import ORDERS_VIEW, VIEWS
from store.viewstore import Whole, Write

# one row per churn level: its customers in ``mv_churn``, and the last sale day in
# ``mv_orders`` (the same on every row)
CHURN_NOW = "mv_churn_now"
INDEXES = {
    "mv_orders": ("order_id", "customer_key"),
    "mv_customers": ("customer_key",),
    "mv_clv": ("customer_key",),
    "mv_churn": ("customer_key",),
    CHURN_NOW: (),
}
TABLE_OF = {"customers": "mv_customers", "clv": "mv_clv", "churn": "mv_churn"}
# what the customers, clv and churn rows need of a customer's orders
CUSTOMER_ORDER_COLUMNS = (
    "order_id, customer_key, customer_id, status, is_sale, email, country, created_at, "
    "revenue_at, revenue_day, total, refunds, net, first_name, last_name, phone, consents"
)
TIMELINE_SQL = "SELECT * FROM churn_timeline ORDER BY day, churn_level"
CHURN_NOW_SQL = """
UPDATE mv_churn_now SET customers = customers + d.delta, last_sale_day = {last_sale}
FROM (SELECT unnest($levels) AS churn_level, unnest($deltas) AS delta) d
WHERE mv_churn_now.churn_level = d.churn_level
RETURNING mv_churn_now.churn_level, customers, last_sale_day
"""
LAST_SALE_SQL = "SELECT max(revenue_day) FROM mv_orders WHERE is_sale"


class CustomerViews:
    views = ("orders", "customers", "clv", "churn", "churn_timeline")
    tables = tuple(INDEXES)

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        ov = ctx.sql(
            ORDERS_SQL.format(scope=WHOLE, emails=ALL_GUEST_EMAILS), order_params(ctx.shop)
        )
        ctx.shared["order_rows"] = ov  # the order lines take their order's columns
        customers, clv, churn = _customers(ctx, ov, _aggregates(ctx, ov, WHOLE))
        counts, last_sale = churn_counts(churn), last_sale_day(ov)
        if materialise:
            ctx.materialise("mv_orders", ov, INDEXES["mv_orders"])
            for view, rows in (("customers", customers), ("clv", clv), ("churn", churn)):
                ctx.materialise(TABLE_OF[view], rows, INDEXES[TABLE_OF[view]])
            ctx.materialise(CHURN_NOW, _churn_now_rows(counts, last_sale))
        return {
            "orders": ov.select(ORDERS_VIEW.names).cast(ORDERS_VIEW),
            "customers": customers,
            "clv": clv,
            "churn": churn,
            "churn_timeline": _timeline(ctx, counts, last_sale),
        }

    def changes(self, ctx: Context) -> dict[str, Write]:
        changed_customers = ctx.pending.get("customer", [])
        if not changed_customers and not ctx.pending.get("order"):
            return {}  # nothing these views are made of changed (e.g. only alerts raised)
        orders = _affected_orders(ctx, ctx.pending.get("order", []), changed_customers)
        new_orders = _orders_of(ctx, orders)
        # the order lines rebuild these orders' lines from these rows
        ctx.shared["affected_orders"], ctx.shared["order_rows"] = orders, new_orders
        # what the customers and the churn timeline need of the rows replaced
        needed = "customer_key, is_sale, revenue_day"
        replaced = ctx.replace("mv_orders", f"order_id IN {in_ids(orders)}", new_orders, needed)
        before = set(replaced["customer_key"].to_pylist())
        keys = sorted(
            before
            | set(new_orders["customer_key"].to_pylist())
            | {str(cid) for cid in changed_customers}
        )
        ov = ctx.sql(
            f"SELECT {CUSTOMER_ORDER_COLUMNS} FROM mv_orders WHERE customer_key IN {in_keys(keys)}"
        )
        registered = [int(key) for key in keys if key.isdigit()]
        rows = _customers(ctx, ov, _aggregates(ctx, ov, f"customer_id IN {in_ids(registered)}"))
        writes: dict[str, Write] = {
            "orders": ctx.changed("orders", "mv_orders", orders, new_orders, replaced.num_rows)
        }
        scope = f"customer_key IN {in_keys(keys)}"
        customers, clv, churn = rows
        for view, table in (("customers", customers), ("clv", clv)):
            gone = ctx.swap(TABLE_OF[view], scope, table)
            writes[view] = ctx.changed(view, TABLE_OF[view], keys, table, gone)
        levels = ctx.replace("mv_churn", scope, churn, "churn_level")["churn_level"].to_pylist()
        writes["churn"] = ctx.changed("churn", "mv_churn", keys, churn, len(levels))
        moved = Counter(churn["churn_level"].to_pylist())
        moved.subtract(levels)
        counts, last_sale = _churn_now(ctx, moved, replaced, new_orders)
        writes["churn_timeline"] = Whole(_timeline(ctx, counts, last_sale))
        return writes


def _affected_orders(ctx: Context, changed: list[int], customers: list[int]) -> list[int]:
    """The orders a change reaches (see the module doc). A guest order owns no other order:
    only the addresses of registered (or owned) orders and of customers can move an owner,
    so only those bring in the guest orders that share them."""
    keys = in_keys(str(cid) for cid in customers)
    ids = in_ids(changed)
    placed = ctx.con.execute(
        f"SELECT email, customer_id FROM orders WHERE order_id IN {ids} "
        f"UNION ALL SELECT email, customer_id FROM mv_orders WHERE order_id IN {ids}"
    ).fetchall()
    emails = {email for email, customer_id in placed if email and customer_id}
    emails |= set(
        ctx.column(
            f"SELECT email FROM customers WHERE customer_id IN {in_ids(customers)} "
            f"UNION SELECT email FROM mv_customers WHERE customer_key IN {keys}"
        )
    )
    addresses, params = in_params(sorted(e for e in emails if e), "e")
    found = set(changed) | set(
        ctx.column(f"SELECT order_id FROM mv_orders WHERE customer_key IN {keys}")
    )
    guests = ctx.con.execute(
        f"SELECT order_id, customer_id FROM orders WHERE email IN {addresses}", params
    ).fetchall()
    found |= {order_id for order_id, customer_id in guests if customer_id == 0}
    return sorted(found)


def _orders_of(ctx: Context, orders: list[int]) -> pa.Table:
    """The rows of ``orders`` as the orders view computes them now."""
    rows = ctx.con.execute(
        f"SELECT email, customer_id FROM orders WHERE order_id IN {in_ids(orders)}"
    ).fetchall()
    emails = {email for email, customer_id in rows if customer_id == 0 and email}
    addresses, params = in_params(sorted(emails), "g")
    sql = ORDERS_SQL.format(scope=f"order_id IN {in_ids(orders)}", emails=addresses[1:-1])
    return ctx.sql(sql, order_params(ctx.shop) | params)


def _aggregates(ctx: Context, ov: pa.Table, scope: str) -> pa.Table:
    ctx.con.register("ov", ov)
    try:
        return ctx.sql(CUSTOMERS_SQL.format(scope=scope))
    finally:
        ctx.con.unregister("ov")


def _customers(
    ctx: Context, ov: pa.Table, aggregates: pa.Table
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """The customers, clv and churn rows of ``aggregates``' customers: against the last
    rescoring's basis, each as of their own day; before any, all as of the last sale day."""
    keys, basis = ctx.shop.consent_keys, ctx.basis
    predicted = ctx.meta(PREDICTED_AS_OF)
    if basis is None:
        as_of = effective_as_of(ctx.meta(SCORES_AS_OF), ov)
        customers = with_customer_scores(aggregates, ov, as_of, keys)
        day = predictions_day(predicted, as_of)
        views = prediction_views(ctx.con, ov, customers, day, ctx.shop)
        return customers, views["clv"], views["churn"]
    customers = scored_against(aggregates, ov, basis, keys)
    days = _later_days(scoring_days(customers, basis), predicted)
    views = predicted_by_day(ctx.con, ov, customers, days, ctx.shop)
    return customers, views["clv"], views["churn"]


def _timeline(ctx: Context, counts: dict[str, int], last_sale: date | None) -> pa.Table:
    """The recorded churn days, and today's counts under the latest prediction day of any
    customer (the later of the last rescoring, the last prediction job and the last sale)."""
    basis: ScoringBasis | None = ctx.basis
    days = [basis.as_of if basis else None, _day(ctx.meta(PREDICTED_AS_OF)), last_sale]
    known = [day for day in days if day]
    recorded = ctx.sql(TIMELINE_SQL).cast(VIEWS["churn_timeline"])
    return with_current_counts(recorded, counts, max(known) if known else None)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _churn_now_rows(counts: dict[str, int], last_sale: date | None) -> pa.Table:
    """``mv_churn_now`` of ``counts`` (``churn_counts``: every level, zeros included)."""
    return pa.table(
        {
            "churn_level": pa.array(list(counts), pa.string()),
            "customers": pa.array(list(counts.values()), pa.int64()),
            "last_sale_day": pa.array([last_sale] * len(counts), pa.date32()),
        }
    )


def _churn_now(
    ctx: Context, moved: Counter[str], replaced: pa.Table, rebuilt: pa.Table
) -> tuple[dict[str, int], date | None]:
    """The customers per churn level and the last sale day after this refresh: ``moved``
    (the levels it added less those it removed) added to ``mv_churn_now``; the last sale
    day moved to the latest sale of the ``rebuilt`` orders, or looked up again when the
    orders it ``replaced`` had a later sale than any of them (that sale may be gone)."""
    unknown = set(moved) - set(CHURN_LEVELS)
    if unknown:  # churn_levels() gives only these: a new level needs a whole build
        raise ValueError(f"churn levels the refresh does not count: {sorted(unknown)}")
    latest, removed = last_sale_day(rebuilt), last_sale_day(replaced)
    if removed is not None and (latest is None or latest < removed):
        last_sale, day = "CAST($day AS DATE)", ctx.value(LAST_SALE_SQL)
    else:
        last_sale, day = "greatest(last_sale_day, CAST($day AS DATE))", latest
    params = {"levels": list(CHURN_LEVELS), "deltas": [moved[level] for level in CHURN_LEVELS]}
    found = ctx.con.execute(CHURN_NOW_SQL.format(last_sale=last_sale), params | {"day": day})
    rows = found.fetchall()
    return {level: count for level, count, _ in rows}, rows[0][2] if rows else None


def _later_days(days: pa.Array, predicted: str | None) -> pa.Array:
    """Each day, or the last prediction job's day when that is later."""
    if not predicted:
        return days
    return pc.max_element_wise(days, pa.scalar(date.fromisoformat(predicted), pa.date32()))
