"""Order alerts: paid orders not completed within the SLA (fulfillment_delayed) and the
shop's sales falling on the week before (sales_drop), from the refreshed orders view."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days
from processors.analytics.alerts import sales_drop
from processors.projections.sql import in_ids


def overdue_alerts(run: Run, scope: Scope | None) -> list[Candidate]:
    """Paid orders not completed within the SLA (``scope`` None: every order paid within
    the look-back; else the changed orders)."""
    if not run.settings.enabled("fulfillment_delayed"):
        return []
    if scope is not None and not scope.orders:
        return []
    sla = run.settings.number("fulfillment_delayed", "sla_hours")
    lookback = timedelta(days=run.settings.number("fulfillment_delayed", "lookback_days"))
    where = "TRUE" if scope is None else f"order_id IN {in_ids(sorted(scope.orders))}"
    rows = run.rows(
        f"""SELECT order_id, number, email, paid_at, status FROM mv_orders
        WHERE {where} AND is_sale AND completed_at IS NULL AND status IN ('processing', 'on-hold')
            AND paid_at IS NOT NULL AND paid_at <= $due AND paid_at > $since
        ORDER BY paid_at, order_id""",
        {"due": run.now - timedelta(hours=sla), "since": run.now - timedelta(hours=sla) - lookback},
    )
    forever = timedelta(days=36500)  # an order alerts once
    return [
        run.candidate(
            "fulfillment_delayed",
            f"order:{row['order_id']}",
            forever,
            title=f"Order #{row['number']} not shipped after {_hours(run, row):.0f} hours",
            message=f"Order #{row['number']} ({row['email'] or 'no e-mail'}) was paid "
            f"{_hours(run, row):.0f} hours ago and is still {row['status']}: over the "
            f"{sla:g}-hour SLA.",
            measured=round(_hours(run, row), 1),
            threshold=sla,
            unit=" hours",
            subject_kind="order",
            subject_id=str(row["order_id"]),
            subject_label=f"#{row['number']}",
        )
        for row in rows
    ]


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
