"""Which alerts a publish raises: the conditions of SPEC §4 evaluated on the materialised
views right after they were refreshed, for what the publish changed (``Scope``), and, when a
``job.alerts`` asked for it, the scheduled ones over the shop (``scheduled_alerts``).

Each candidate has a de-duplication key (the customer, product, order or the shop) and a
cool-down from the shop's settings: a key that alerted within its cool-down does not alert
again (``fresh``), and a publish raises one alert per key however many of its events meet
the condition. An order only raises a VIP alert while it is recent (48 hours), so imported
history raises none.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from processors.alerts.candidates import Candidate, Run, Scope, fresh
from processors.alerts.customer_rules import churn_alerts, vip_alerts
from processors.alerts.health_rules import health_alerts, noted_alerts
from processors.alerts.order_rules import overdue_alerts, sales_drop_alerts
from processors.alerts.product_rules import pricing_alerts, stock_alerts, trending_alerts
from schemas.alerts import Alert
from schemas.shop import ShopConfig

EVENT_RULES = (
    vip_alerts,
    churn_alerts,
    stock_alerts,
    trending_alerts,
    pricing_alerts,
    overdue_alerts,
)


def raised_alerts(
    con: duckdb.DuckDBPyConnection,
    shop: ShopConfig,
    scope: Scope,
    now: datetime,
    scheduled: tuple[date, str | None] | None = None,
    health: tuple[float, int, dict[str, dict]] = (0.0, 0, {}),
) -> list[Alert]:
    """The alerts the changes in ``scope`` raise at ``now``, and with ``scheduled`` (a
    ``job.alerts`` is due: its day, and "fulfillment" when only the overdue orders are to be
    checked) the scheduled ones as of that day, and the pipeline's own
    (``health``: the last batch's lag in seconds, events rejected since the last look; one
    per type and key, after the cool-downs; ``health``'s third part: the notes of other
    processes not checked yet, by cause)."""
    run = Run(con, shop, shop.alerts, now)
    lag, rejected, notes = health
    found: list[Candidate] = health_alerts(run, lag, rejected) + noted_alerts(run, notes)
    for rule in EVENT_RULES:
        found += rule(run, scope)
    if scheduled is not None:
        day, only = scheduled
        drop = sales_drop_alerts(run, day) if only is None else []
        found += drop + overdue_alerts(run, None)
    return fresh(con, found, now)
