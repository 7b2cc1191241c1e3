"""The published views of the catalogue: one row per product (variations included) with
what it sold, its score, stock cover, trend and optimal price, and each product's price
history.

processors/projections/product_views.py and product_scores.py make the products view,
small_views.py the price history; schemas/views.py registers them with their keys in
``VIEWS`` and ``VIEW_KEYS``.
"""

from __future__ import annotations

import pyarrow as pa

from schemas.view_types import MONEY, TS

# One row per product of the catalogue, variations included (key: product_id); a variable
# product's row rolls its variations' sales up (processors/projections/product_views.py).
PRODUCTS_VIEW = pa.schema(
    [
        ("product_id", pa.int64()),
        ("parent_id", pa.int64()),  # a variation's product; 0 otherwise
        ("type", pa.string()),  # simple, variable, variation, grouped, external
        ("name", pa.string()),
        ("sku", pa.string()),
        ("status", pa.string()),  # publish, draft, private, pending
        ("category", pa.string()),  # the first category
        ("categories", pa.string()),  # every category, comma-separated
        ("price", MONEY),
        ("regular_price", MONEY),
        ("sale_price", MONEY),
        ("cost", MONEY),  # cost of goods per unit; null when unknown
        ("stock_quantity", pa.int64()),
        ("manage_stock", pa.bool_()),
        ("stock_status", pa.string()),  # instock, outofstock, onbackorder; '' when unknown
        ("as_of", pa.date32()),  # the window's last day
        ("units", pa.float64()),  # net units sold in the window
        ("revenue", pa.float64()),  # net revenue in the window
        ("velocity", pa.float64()),  # net units per day over the window
        ("revenue_pct", pa.float64()),  # share of the shop's net revenue in the window
        ("margin_pct", pa.float64()),  # (price - cost) / price * 100, or the shop's default
        ("margin_assumed", pa.bool_()),  # no cost known: the default margin
        ("score", pa.int16()),  # 0..100; 0 without sales in the window
        ("grade", pa.string()),  # A+, B, C, D, F
        ("recommendation", pa.string()),  # PROMOTE, OPTIMIZE, MAINTAIN, DISCOUNT, DISCONTINUE
        ("score_reason", pa.string()),  # the percentile ranks, or why 0
        ("days_of_cover", pa.float64()),  # stock / velocity; null: stock not managed or no sales
        ("low_stock", pa.bool_()),  # cover under the lead time
        ("units_last_7", pa.float64()),
        ("units_previous_7", pa.float64()),
        ("trend_pct", pa.float64()),  # last 7 days against the 7 before; null: none before
        ("trending", pa.bool_()),
        ("elasticity", pa.float64()),  # log-log slope of daily units on price
        ("elasticity_se", pa.float64()),  # its standard error
        ("elasticity_r2", pa.float64()),
        ("elasticity_days", pa.int64()),  # days with sales the fit used
        ("optimal_price", pa.float64()),  # within 20% of the price; null: see price_reason
        ("price_reason", pa.string()),  # why there is no optimal price
    ]
)

# Each product's price history: one row per product payload whose prices changed, at its
# version time (key: product_id, changed_at).
PRODUCT_PRICES_VIEW = pa.schema(
    [
        ("product_id", pa.int64()),
        ("changed_at", TS),
        ("price", MONEY),
        ("regular_price", MONEY),
        ("sale_price", MONEY),
    ]
)
