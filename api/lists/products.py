"""The products list: every product and variation with its sales, score and grade, stock
cover, trend and price elasticity (processors/projections/product_views.py)."""

from __future__ import annotations

from api.listing import Filter, ListView
from api.params import ParamSpec

GRADES = ("A+", "B", "C", "D", "F")

PRODUCTS = ListView(
    view="products",
    path="/products",
    summary="Products: score 0-100 and grade, sales, stock cover, trend, price elasticity.",
    row="Product",
    filters=(
        Filter(
            ParamSpec(
                "grade", "list", "Grades, comma-separated (A+, B, C, D, F).", GRADES, loose=True
            ),
            "list_contains($value, grade)",
        ),
        Filter(
            ParamSpec("category", "string", "A category name (exact)."),
            "list_contains(string_split(categories, ', '), $value)",
        ),
        Filter(ParamSpec("status", "string", "Product status, e.g. publish."), "status = $value"),
        Filter(
            ParamSpec("type", "string", "Product type: simple, variable, variation, ..."),
            "type = $value",
        ),
        Filter(
            ParamSpec("stock_status", "string", "instock, outofstock or onbackorder."),
            "stock_status = $value",
        ),
        Filter(
            ParamSpec("low_stock", "boolean", "Fewer days of cover than the lead time."),
            "low_stock = $value",
        ),
        Filter(ParamSpec("trending", "boolean", "Trending products only."), "trending = $value"),
        Filter(
            ParamSpec("q", "string", "Search name or SKU (any case)."),
            "(contains(lower(name), $value) OR contains(lower(sku), $value))",
            str.lower,
        ),
    ),
    sorts=(
        "score",
        "revenue",
        "units",
        "velocity",
        "revenue_pct",
        "margin_pct",
        "days_of_cover",
        "trend_pct",
        "price",
        "name",
        "product_id",
    ),
    default_sort="-score",
    description="One row per product of the catalogue, variations included; a variable "
    "product's row adds up its variations' sales. Sales are net units and revenue of order "
    "lines on paid orders (after each line's refunds) over the window ending `as_of` "
    "(30 days). `score` weighs the percentile ranks of velocity (40), revenue (40) and "
    "margin (20) among the products that sold; a product without sales scores 0 and "
    "`score_reason` says so. `margin_assumed`: no cost known, the shop's default margin. "
    "`elasticity` (with `elasticity_se`) is the log-log slope of daily units on price, "
    "fitted by the daily products job when the price took at least 3 values; "
    "`optimal_price` stays within 20% of the price, `price_reason` says why there is none.",
)
