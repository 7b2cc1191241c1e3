"""Product alerts: low stock on a best seller (stock_low), a product selling faster
(trending_product) and a price its elasticity says to move (pricing_opportunity), from the
refreshed products view."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days, scope_sql
from processors.analytics.alerts import Check, price_gap, trending

Row = dict[str, Any]


def _product_rows(run: Run, scope: Scope, keep: Callable[[Row], bool]) -> list[Row]:
    """The products in ``scope`` with their revenue rank among the products that sold (read
    once per run: the three product rules share it), those ``keep`` accepts."""
    if scope.products is not None and not scope.products:
        return []
    memo = ("products", scope.products)
    if memo not in run.memo:
        where, _ = scope_sql("product_id", scope.products, "p")
        run.memo[memo] = run.rows(
            f"""WITH ranked AS (
                SELECT product_id, rank() OVER (ORDER BY revenue DESC) AS revenue_rank,
                    count(*) OVER () AS sold
                FROM mv_products WHERE type <> 'variable' AND units > 0
            )
            SELECT p.*, r.revenue_rank, r.sold FROM mv_products p
            LEFT JOIN ranked r USING (product_id)
            WHERE {where.replace("product_id", "p.product_id")}
            ORDER BY p.product_id"""
        )
    return [row for row in run.memo[memo] if keep(row)]


def _top_rank(row: Row, top_pct: float) -> int:
    """The lowest revenue rank in the top ``top_pct`` % of the products that sold (at least 1)."""
    return max(1, math.ceil(row["sold"] * top_pct / 100))


def _product_label(row: Row) -> str:
    return row["name"] or f"product {row['product_id']}"


def _product_candidate(run: Run, alert_type: str, row: Row, **fields: Any) -> Candidate:
    """``alert_type``'s candidate about the product of ``row``, keyed and labelled by it."""
    return run.candidate(
        alert_type,
        f"product:{row['product_id']}",
        cooldown_days(run, alert_type),
        subject_kind="product",
        subject_id=str(row["product_id"]),
        subject_label=_product_label(row),
        **fields,
    )


def _percent_alerts(
    run: Run,
    alert_type: str,
    rows: list[Row],
    check: Callable[[Row], Check],
    wording: Callable[[Row, Check], tuple[str, str]],
    threshold: float,
) -> list[Candidate]:
    """A candidate for each row whose ``check`` fires, ``wording`` its title and message."""
    found = []
    for row in rows:
        checked = check(row)
        if checked.fires:
            title, message = wording(row, checked)
            fields = {"measured": checked.measured, "threshold": threshold, "unit": "%"}
            found.append(
                _product_candidate(run, alert_type, row, title=title, message=message, **fields)
            )
    return found


def stock_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("stock_low"):
        return []
    top = run.settings.number("stock_low", "top_pct")

    def top_and_low(row: Row) -> bool:
        ranked = row["revenue_rank"] is not None
        return bool(row["low_stock"]) and ranked and row["revenue_rank"] <= _top_rank(row, top)

    rows = _product_rows(run, scope, top_and_low)
    lead = run.shop.products.lead_time_days
    return [
        _product_candidate(
            run,
            "stock_low",
            row,
            title=f"Low stock: {_product_label(row)} ({row['days_of_cover']:.1f} days left)",
            message=f"{_product_label(row)} is in your top {top:g}% by revenue and has "
            f"{row['stock_quantity']} in stock: {row['days_of_cover']:.1f} days at "
            f"{row['velocity']:.2f} a day, under the {lead:g}-day lead time. Restock now.",
            measured=round(float(row["days_of_cover"]), 2),
            threshold=float(lead),
            unit=" days",
        )
        for row in rows
    ]


def trending_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("trending_product"):
        return []
    rise = run.settings.number("trending_product", "rise_pct")
    minimum = run.settings.number("trending_product", "min_units")
    rows = _product_rows(
        run,
        scope,
        lambda row: (
            row["type"] not in (None, "variation")
            and row["units_last_7"] is not None
            and row["units_last_7"] >= minimum
        ),
    )

    def check(row: Row) -> Check:
        return trending(row["units_last_7"], row["units_previous_7"], rise, minimum)

    def wording(row: Row, checked: Check) -> tuple[str, str]:
        change = "new" if checked.measured is None else f"up {checked.measured:.0f}%"
        return (
            f"Trending: {_product_label(row)} ({change} in 7 days)",
            f"{_product_label(row)} sold {row['units_last_7']:g} units in the last 7 "
            f"days against {row['units_previous_7']:g} the 7 before. Promote it more.",
        )

    return _percent_alerts(run, "trending_product", rows, check, wording, rise)


def pricing_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("pricing_opportunity"):
        return []
    gap_pct = run.settings.number("pricing_opportunity", "min_gap_pct")
    rows = _product_rows(
        run, scope, lambda row: row["optimal_price"] is not None and (row["price"] or 0) > 0
    )

    def check(row: Row) -> Check:
        return price_gap(row["optimal_price"], float(row["price"]), gap_pct)

    def wording(row: Row, checked: Check) -> tuple[str, str]:
        price = float(row["price"])
        return (
            f"Price {_product_label(row)} at {row['optimal_price']:.2f} (now {price:.2f})",
            f"Its price elasticity ({row['elasticity']:.2f} ± "
            f"{row['elasticity_se']:.2f}) suggests {row['optimal_price']:.2f} "
            f"{run.shop.currency}, {checked.measured:.0f}% from the price of {price:.2f}.",
        )

    return _percent_alerts(run, "pricing_opportunity", rows, check, wording, gap_pct)
