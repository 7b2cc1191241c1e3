"""Raising alerts at a live publish: what the publish changed (its pending changes) is
checked against the alert rules on the views just refreshed, and a due ``job.alerts`` adds
the scheduled rules. The alerts raised travel as one ``job.alerts_raised`` envelope through
the shop's own apply (raw log first, then the state), so they are facts of the stream: a
replay restores them and raises none of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime

import duckdb
import structlog

from processors.alerts.alert_jobs import raised_envelope
from processors.alerts.candidates import Scope
from processors.alerts.rules import raised_alerts
from processors.projections.customer_scores import SCORING_BASIS
from processors.projections.engine import Refresh
from processors.projections.sql import in_ids
from processors.shop_unit import ShopUnit
from schemas.alerts import Alert
from schemas.control_events import AlertsRaised
from store.state_alerts import (
    ALERTS_DONE_AT,
    ALERTS_DUE,
    HEALTH_NOTED,
    HEALTH_SEEN,
    REJECTED_UNSEEN,
    forget_unchecked,
    merge_meta,
    set_alerts_meta,
)
from store.viewstore import Whole, Write

log = structlog.get_logger(__name__)
# the views the rules read, by the materialised table they read them from
MATERIALISED = {
    "orders": "mv_orders",
    "clv": "mv_clv",
    "churn": "mv_churn",
    "products": "mv_products",
    "order_lines": "mv_order_lines",
}


def raise_alerts(
    unit: ShopUnit, pending: Mapping[str, Sequence[int]], refresh: Refresh, now: datetime
) -> list[Alert]:
    """Raise (log and keep) the alerts of this publish (``refresh``: what it wrote; when
    every view was built whole, a job ran: every customer and product is checked)."""
    con = unit.state.connection
    due = _due(unit)
    health = _health(unit)
    with _tables_of(con, refresh.writes):
        scored = bool(refresh.extra.get(SCORING_BASIS))  # False: no rescoring yet
        scope = _scope(unit, pending, refresh.whole, scored)
        scheduled = (due[0], due[2]) if due else None
        alerts = raised_alerts(con, unit.shop, scope, now, scheduled, health)
    seen = tuple(sorted((cause, note["at"]) for cause, note in health[2].items()))
    if alerts:
        raised = AlertsRaised(tuple(alerts), now, seen)
        envelope = raised_envelope(unit.shop.shop_id, raised)
        _, failures = unit.apply([envelope], now)
        if failures:
            log.warning("alerts_not_kept", shop_id=unit.shop.shop_id, reason=failures[0])
            return []
        log.info("alerts_raised", shop_id=unit.shop.shop_id, alerts=len(alerts))
    with unit.state.transaction() as tx:
        forget_unchecked(tx)
        if due:
            set_alerts_meta(tx, ALERTS_DONE_AT, due[1])
        if health[1]:
            set_alerts_meta(tx, REJECTED_UNSEEN, "0")
        if seen and not alerts:  # checked, nothing raised (a cool-down): no need to log it
            merge_meta(tx, HEALTH_SEEN, dict(seen))
    return alerts


def _health(unit: ShopUnit) -> tuple[float, int, dict[str, dict]]:
    """The last batch's lag (seconds), the events rejected since the last publish, and the
    notes of other processes not checked yet."""
    metas = unit.state.get_metas(["lag_seconds", REJECTED_UNSEEN, HEALTH_NOTED, HEALTH_SEEN])
    noted = json.loads(metas[HEALTH_NOTED] or "{}")
    seen = json.loads(metas[HEALTH_SEEN] or "{}")
    fresh_notes = {c: n for c, n in noted.items() if n["at"] > seen.get(c, "")}
    lag = float(metas["lag_seconds"] or 0.0)
    return lag, int(metas[REJECTED_UNSEEN] or 0), fresh_notes


@contextmanager
def _tables_of(con: duckdb.DuckDBPyConnection, writes: Mapping[str, Write]) -> Iterator[None]:
    """The rules read the materialised tables; before the first rescoring there are none,
    and the views this publish built whole stand in for them."""
    made = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    standing_in = []
    for view, table in MATERIALISED.items():
        write = writes.get(view)
        if table not in made and isinstance(write, Whole):
            con.register(table, write.table)
            standing_in.append(table)
    try:
        yield
    finally:
        for table in standing_in:
            con.unregister(table)


def scheduled_check_due(unit: ShopUnit) -> bool:
    """A ``job.alerts`` or ``job.fulfillment`` waits for its checks."""
    return _due(unit) is not None


def _due(unit: ShopUnit) -> tuple[date, str, str | None] | None:
    """The day, time and scope (None: every scheduled check; "fulfillment": the overdue
    orders) of a ``job.alerts`` or ``job.fulfillment`` not evaluated yet."""
    metas = unit.state.get_metas([ALERTS_DUE, ALERTS_DONE_AT])
    if not metas[ALERTS_DUE]:
        return None
    due = json.loads(metas[ALERTS_DUE])
    if metas[ALERTS_DONE_AT] and metas[ALERTS_DONE_AT] >= due["at"]:
        return None
    return date.fromisoformat(due["as_of"]), due["at"], due.get("only")


def _scope(
    unit: ShopUnit, pending: Mapping[str, Sequence[int]], whole: bool, scored: bool
) -> Scope:
    orders = tuple(pending.get("order", ()))
    if whole:
        return Scope(orders, None, None, churn_predicted=scored)
    products = set(pending.get("product", ()))
    if orders:
        rows = unit.state.connection.execute(
            "SELECT DISTINCT product_id, variation_id FROM mv_order_lines "
            f"WHERE order_id IN {in_ids(sorted(orders))}"
        ).fetchall()
        products |= {i for pair in rows for i in pair if i}
    customers = tuple(str(c) for c in pending.get("customer", ()))
    return Scope(orders, customers, tuple(sorted(products)))
