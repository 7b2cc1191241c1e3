"""Product alerts: low stock on a best seller (stock_low), a product selling faster
(trending_product) and a price its elasticity says to move (pricing_opportunity), from the
refreshed products view."""

from __future__ import annotations

from typing import Any

from processors.alerts.candidates import Candidate, Run, Scope, cooldown_days, scope_sql
from processors.analytics.alerts import price_gap, trending


def _product_rows(run: Run, scope: Scope, condition: str, params: dict | None = None) -> list[dict]:
    if scope.products is not None and not scope.products:
        return []
    where, _ = scope_sql("product_id", scope.products, "p")
    return run.rows(
        f"""WITH ranked AS (
            SELECT *, rank() OVER (ORDER BY revenue DESC) AS revenue_rank,
                count(*) OVER () AS sold
            FROM mv_products WHERE type <> 'variable' AND units > 0
        )
        SELECT p.*, r.revenue_rank, r.sold FROM mv_products p
        LEFT JOIN ranked r USING (product_id)
        WHERE {where.replace("product_id", "p.product_id")} AND {condition}
        ORDER BY p.product_id""",
        params,
    )


def _product_label(row: dict[str, Any]) -> str:
    return row["name"] or f"product {row['product_id']}"


def stock_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("stock_low"):
        return []
    top = run.settings.number("stock_low", "top_pct")
    rows = _product_rows(
        run,
        scope,
        "p.low_stock AND r.revenue_rank <= greatest(1, ceil(r.sold * $top / 100))",
        {"top": top},
    )
    lead = run.shop.products.lead_time_days
    return [
        run.candidate(
            "stock_low",
            f"product:{row['product_id']}",
            cooldown_days(run, "stock_low"),
            title=f"Low stock: {_product_label(row)} ({row['days_of_cover']:.1f} days left)",
            message=f"{_product_label(row)} is in your top {top:g}% by revenue and has "
            f"{row['stock_quantity']} in stock: {row['days_of_cover']:.1f} days at "
            f"{row['velocity']:.2f} a day, under the {lead:g}-day lead time. Restock now.",
            measured=round(float(row["days_of_cover"]), 2),
            threshold=float(lead),
            unit=" days",
            subject_kind="product",
            subject_id=str(row["product_id"]),
            subject_label=_product_label(row),
        )
        for row in rows
    ]


def trending_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("trending_product"):
        return []
    rise = run.settings.number("trending_product", "rise_pct")
    minimum = run.settings.number("trending_product", "min_units")
    found = []
    for row in _product_rows(
        run, scope, "p.type <> 'variation' AND p.units_last_7 >= $m", {"m": minimum}
    ):
        check = trending(row["units_last_7"], row["units_previous_7"], rise, minimum)
        if not check.fires:
            continue
        change = "new" if check.measured is None else f"up {check.measured:.0f}%"
        found.append(
            run.candidate(
                "trending_product",
                f"product:{row['product_id']}",
                cooldown_days(run, "trending_product"),
                title=f"Trending: {_product_label(row)} ({change} in 7 days)",
                message=f"{_product_label(row)} sold {row['units_last_7']:g} units in the last 7 "
                f"days against {row['units_previous_7']:g} the 7 before. Promote it more.",
                measured=check.measured,
                threshold=rise,
                unit="%",
                subject_kind="product",
                subject_id=str(row["product_id"]),
                subject_label=_product_label(row),
            )
        )
    return found


def pricing_alerts(run: Run, scope: Scope) -> list[Candidate]:
    if not run.settings.enabled("pricing_opportunity"):
        return []
    gap_pct = run.settings.number("pricing_opportunity", "min_gap_pct")
    found = []
    for row in _product_rows(run, scope, "p.optimal_price IS NOT NULL AND p.price > 0"):
        price = float(row["price"])
        check = price_gap(row["optimal_price"], price, gap_pct)
        if not check.fires:
            continue
        found.append(
            run.candidate(
                "pricing_opportunity",
                f"product:{row['product_id']}",
                cooldown_days(run, "pricing_opportunity"),
                title=f"Price {_product_label(row)} at {row['optimal_price']:.2f} "
                f"(now {price:.2f})",
                message=f"Its price elasticity ({row['elasticity']:.2f} ± "
                f"{row['elasticity_se']:.2f}) suggests {row['optimal_price']:.2f} "
                f"{run.shop.currency}, {check.measured:.0f}% from the price of {price:.2f}.",
                measured=check.measured,
                threshold=gap_pct,
                unit="%",
                subject_kind="product",
                subject_id=str(row["product_id"]),
                subject_label=_product_label(row),
            )
        )
    return found
