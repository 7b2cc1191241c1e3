"""Customer alerts: a VIP's order (vip_activity) and a valuable customer slipping away
(churn_risk), from the refreshed orders, CLV and churn views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days
from processors.projections.sql import in_ids, in_keys

RECENT = timedelta(hours=48)  # an order older than this is history, not activity
CHURN_BOUNDS = {"Low": 0.0, "Medium": 25.0, "High": 50.0, "Critical": 75.0}


def customer_name(row: dict[str, Any]) -> str:
    full = " ".join(part for part in (row.get("first_name"), row.get("last_name")) if part)
    return full or row.get("email") or str(row.get("customer_key", ""))


def vip_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not (run.settings.enabled("vip_activity") and scope.orders):
        return []
    rows = _recent_orders_of_segments(
        run, scope.orders, list(run.settings.names("vip_activity", "value_segments"))
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


def _recent_orders_of_segments(
    run: Run, orders: tuple[int, ...], segments: list[str]
) -> list[dict]:
    """The recent sale orders among ``orders`` whose customer's value segment is one of
    ``segments``, with the customer's clv row; oldest first. In two lookups by key (a join
    would read the whole clv table to build its hash table)."""
    placed = run.rows(
        f"""SELECT order_id, number, total, customer_key, created_at FROM mv_orders
        WHERE order_id IN {in_ids(sorted(orders))} AND is_sale AND created_at >= $since
        ORDER BY created_at, order_id""",
        {"since": run.now - RECENT},
    )
    if not placed:
        return []
    keys = in_keys(sorted({row["customer_key"] for row in placed}))
    # the key condition alone, so DuckDB looks the keys up by index (with the segment test
    # beside it, it scans the table: about 8 against 2 ms on 200,000 customers)
    customers = {
        row["customer_key"]: row
        for row in run.rows(
            f"""SELECT customer_key, email, first_name, last_name, predicted_clv_12m AS clv,
                value_segment FROM mv_clv WHERE customer_key IN {keys}"""
        )
        if row["value_segment"] in segments
    }
    return [
        row | customers[row["customer_key"]] for row in placed if row["customer_key"] in customers
    ]


def churn_alerts(run: Run, scope: Scope) -> list[Candidate]:
    """Checked when every customer's churn is predicted again against a rescoring's basis
    (a publish built whole after the churn or CLV job, a rescoring, new settings), not for
    each changed customer, nor at the whole builds before the first rescoring: an order
    only lowers its buyer's churn, while a history arriving by webhook shows its buyers
    half-way, long gone to all appearances."""
    if not run.settings.enabled("churn_risk") or not scope.churn_predicted:
        return []
    levels = list(run.settings.names("churn_risk", "levels"))
    rows = run.rows(
        """SELECT customer_key, email, first_name, last_name, churn_probability, churn_level,
            value_segment FROM mv_churn
        WHERE list_contains($levels, churn_level)
            AND list_contains($segments, value_segment) ORDER BY customer_key""",
        {"levels": levels, "segments": list(run.settings.names("churn_risk", "value_segments"))},
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
