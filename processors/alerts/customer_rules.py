"""Customer alerts: a VIP's order (vip_activity) and a valuable customer slipping away
(churn_risk), from the refreshed orders, CLV and churn views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days, scope_sql
from processors.projections.sql import in_ids

RECENT = timedelta(hours=48)  # an order older than this is history, not activity
CHURN_BOUNDS = {"Low": 0.0, "Medium": 25.0, "High": 50.0, "Critical": 75.0}


def customer_name(row: dict[str, Any]) -> str:
    full = " ".join(part for part in (row.get("first_name"), row.get("last_name")) if part)
    return full or row.get("email") or str(row.get("customer_key", ""))


def vip_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not (run.settings.enabled("vip_activity") and scope.orders):
        return []
    rows = run.rows(
        f"""SELECT o.order_id, o.number, o.total, o.customer_key, c.email, c.first_name,
            c.last_name, c.predicted_clv_12m AS clv, c.value_segment
        FROM mv_orders o JOIN mv_clv c USING (customer_key)
        WHERE o.order_id IN {in_ids(sorted(scope.orders))} AND o.is_sale
            AND o.created_at >= $since AND list_contains($segments, c.value_segment)
        ORDER BY o.created_at, o.order_id""",
        {
            "since": run.now - RECENT,
            "segments": list(run.settings.names("vip_activity", "value_segments")),
        },
    )
    cooldown = timedelta(hours=run.settings.number("vip_activity", "cooldown_hours"))
    threshold = run.shop.predictions.high_value
    currency = " " + run.shop.currency
    return [
        run.candidate(
            "vip_activity",
            f"customer:{row['customer_key']}",
            cooldown,
            title=f"VIP order #{row['number']} from {customer_name(row)}",
            message=f"{customer_name(row)} ({row['value_segment']} value, predicted 12-month value "
            f"{float(row['clv'] or 0):,.2f}{currency}) placed an order of "
            f"{float(row['total']):,.2f}{currency}. A thank-you note keeps them close.",
            measured=float(row["clv"] or 0),
            threshold=float(threshold),
            unit=currency,
            subject_kind="customer",
            subject_id=row["customer_key"],
            subject_label=customer_name(row),
        )
        for row in rows
    ]


def churn_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("churn_risk"):
        return []
    customers = scope.customers
    if customers is not None:
        ids = in_ids(sorted(scope.orders))
        owners = run.rows(f"SELECT DISTINCT customer_key FROM mv_orders WHERE order_id IN {ids}")
        customers = tuple(sorted({*customers, *(r["customer_key"] for r in owners)}))
        if not customers:
            return []
    where, params = scope_sql("customer_key", customers, "c")
    levels = list(run.settings.names("churn_risk", "levels"))
    rows = run.rows(
        f"""SELECT customer_key, email, first_name, last_name, churn_probability, churn_level,
            value_segment FROM mv_churn
        WHERE {where} AND list_contains($levels, churn_level)
            AND list_contains($segments, value_segment) ORDER BY customer_key""",
        params
        | {"levels": levels, "segments": list(run.settings.names("churn_risk", "value_segments"))},
    )
    threshold = min(CHURN_BOUNDS[level] for level in levels)
    return [
        run.candidate(
            "churn_risk",
            f"customer:{row['customer_key']}",
            cooldown_days(run, "churn_risk"),
            title=f"{row['value_segment']}-value customer {customer_name(row)} at "
            f"{row['churn_level']} churn risk",
            message=f"{customer_name(row)} may have stopped buying: churn probability "
            f"{row['churn_probability'] * 100:.0f}%. Reach out with a win-back offer.",
            measured=round(float(row["churn_probability"]) * 100, 1),
            threshold=threshold,
            unit="%",
            subject_kind="customer",
            subject_id=row["customer_key"],
            subject_label=customer_name(row),
        )
        for row in rows
    ]
