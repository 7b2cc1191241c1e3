"""Order alerts: paid orders not completed within the SLA, or without a tracking number
after ``tracking_hours`` when the shop uses shipment tracking (fulfillment_delayed), and
the shop's sales falling on the week before (sales_drop), from the refreshed orders view.

An order alerts fulfillment_delayed once, for whichever condition it meets first (both
share the de-duplication key ``order:<id>``); when it meets both at once, the SLA's. A shop
uses shipment tracking when one of its orders has a tracking number (``tracking_number``
of the orders view, from the shop's ``tracking_meta_keys``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days
from processors.analytics.alerts import sales_drop
from processors.projections.sql import in_ids

FOREVER = timedelta(days=36500)  # an order alerts once
OPEN_ORDERS_SQL = """SELECT order_id, number, email, paid_at, status FROM mv_orders
WHERE {where} AND is_sale AND completed_at IS NULL AND status IN ('processing', 'on-hold')
    AND paid_at IS NOT NULL AND paid_at <= $due AND paid_at > $since {untracked}
ORDER BY paid_at, order_id"""
USES_TRACKING_SQL = "SELECT EXISTS (SELECT 1 FROM mv_orders WHERE tracking_number <> '')"
SLA, TRACKING = "sla_hours", "tracking_hours"
# the setting of each condition: the title's and the message's ends, the unit of ``why``
CONDITIONS = {
    SLA: (
        "not shipped after {hours:.0f} hours",
        "is still {status}: over the {limit:g}-hour SLA.",
        " hours not completed",
    ),
    TRACKING: (
        "has no tracking number after {hours:.0f} hours",
        "is still {status} without a tracking number, due within {limit:g} hours of payment.",
        " hours without a tracking number",
    ),
}


def overdue_alerts(run: Run, scope: Scope | None) -> list[Candidate]:
    """Paid orders not completed within the SLA, then those without a tracking number after
    ``tracking_hours`` (``scope`` None: every order paid within the look-back; else the
    changed orders)."""
    if not run.settings.enabled("fulfillment_delayed"):
        return []
    if scope is not None and not scope.orders:
        return []
    where = "TRUE" if scope is None else f"order_id IN {in_ids(sorted(scope.orders))}"
    late = [_candidate(run, row, SLA) for row in _open_orders(run, where, SLA)]
    untracked = _open_orders(run, where, TRACKING)
    if untracked and run.con.execute(USES_TRACKING_SQL).fetchall()[0][0]:
        late += [_candidate(run, row, TRACKING) for row in untracked]
    return late


def _open_orders(run: Run, where: str, setting: str) -> list[dict[str, Any]]:
    """The open paid orders ``where`` selects paid more than the setting's hours ago and
    within the look-back (for ``TRACKING``: only those without a tracking number)."""
    due = run.now - timedelta(hours=run.settings.number("fulfillment_delayed", setting))
    lookback = timedelta(days=run.settings.number("fulfillment_delayed", "lookback_days"))
    untracked = "AND tracking_number = ''" if setting == TRACKING else ""
    sql = OPEN_ORDERS_SQL.format(where=where, untracked=untracked)
    return run.rows(sql, {"due": due, "since": due - lookback})


def _candidate(run: Run, row: dict[str, Any], setting: str) -> Candidate:
    """The alert of an order that meets the condition of ``setting`` (CONDITIONS)."""
    title, state, unit = CONDITIONS[setting]
    limit, hours = run.settings.number("fulfillment_delayed", setting), _hours(run, row)
    words = {"hours": hours, "limit": limit, "status": row["status"]}
    return run.candidate(
        "fulfillment_delayed",
        f"order:{row['order_id']}",
        FOREVER,
        title=f"Order #{row['number']} " + title.format(**words),
        message=f"Order #{row['number']} ({row['email'] or 'no e-mail'}) was paid "
        f"{hours:.0f} hours ago and " + state.format(**words),
        measured=round(hours, 1),
        threshold=limit,
        unit=unit,
        subject_kind="order",
        subject_id=str(row["order_id"]),
        subject_label=f"#{row['number']}",
    )


def _hours(run: Run, row: dict[str, Any]) -> float:
    return (run.now - row["paid_at"]).total_seconds() / 3600.0


def sales_drop_alerts(run: Run, today: date) -> list[Candidate]:
    """Net revenue of the 7 full days before ``today`` against the 7 before them."""
    if not run.settings.enabled("sales_drop"):
        return []
    first = today - timedelta(days=14)
    ((last_7, previous_7),) = run.con.execute(
        """SELECT coalesce(sum(net) FILTER (WHERE revenue_day >= $mid), 0),
            coalesce(sum(net) FILTER (WHERE revenue_day < $mid), 0)
        FROM mv_orders WHERE is_sale AND revenue_day >= $first AND revenue_day < $today""",
        {"first": first, "mid": today - timedelta(days=7), "today": today},
    ).fetchall()
    drop = run.settings.number("sales_drop", "drop_pct")
    check = sales_drop(
        float(last_7), float(previous_7), drop, run.settings.number("sales_drop", "min_previous")
    )
    if not check.fires:
        return []
    currency = run.shop.currency
    return [
        run.candidate(
            "sales_drop",
            "shop",
            cooldown_days(run, "sales_drop"),
            title=f"Sales down {check.measured:.0f}% on the week before",
            message=f"Net revenue of the last 7 full days ({today - timedelta(days=7)} to "
            f"{today - timedelta(days=1)}) was {float(last_7):,.2f} {currency} against "
            f"{float(previous_7):,.2f} {currency} the 7 days before. Check traffic, stock, "
            "prices and the checkout.",
            measured=check.measured,
            threshold=drop,
            unit="%",
            subject_kind="shop",
            subject_id="",
            subject_label=run.shop.name,
        )
    ]
