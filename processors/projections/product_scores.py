"""The products view's rows: each product's sales scored 0-100 with its grade, stock cover,
trend, price elasticity and the price it suggests (``processors/projections/product_views.py``
reads the catalogue, ``product_sales.py`` the sales; this module is pure, on the tables it
is given).

Scores (``processors/analytics/products.py``) are weighted percentile ranks of velocity,
revenue and margin among the products that sold, or against a ``ProductBasis``: what the
last ``job.products`` ranked against. Variable parents are not in the distribution (their
variations are): they are scored against it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from processors.analytics.elasticity import ElasticityFit, optimal_price
from processors.analytics.products import (
    ProductSales,
    ProductScores,
    ScoreDistribution,
    ScoringSettings,
    Weights,
    score_against,
    score_distribution,
    stock_cover,
    trend,
)
from schemas.product_views import PRODUCTS_VIEW
from schemas.shop import ProductSettings, ShopConfig


@dataclass(frozen=True)
class ProductBasis:
    """What a products job ranked the shop's products against (see the module doc of
    ``product_views``)."""

    as_of: date
    window_days: int
    shop_revenue: float
    distribution: ScoreDistribution

    def as_json(self) -> str:
        data = {
            "as_of": self.as_of.isoformat(),
            "window_days": self.window_days,
            "shop_revenue": self.shop_revenue,
            "distribution": self.distribution.as_json(),
        }
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ProductBasis:
        data = json.loads(text)
        return cls(
            date.fromisoformat(data["as_of"]),
            int(data["window_days"]),
            float(data["shop_revenue"]),
            ScoreDistribution.from_json(data["distribution"]),
        )


def scoring_settings(shop: ShopConfig) -> ScoringSettings:
    """The shop's window and weights; products without a cost assume the shop's margin."""
    own = shop.products
    weights = Weights(own.weight_velocity, own.weight_revenue, own.weight_margin)
    return ScoringSettings(own.window_days, shop.predictions.margin, weights)


def _columns(state: pa.Table, sales: pa.Table) -> dict[str, Any]:
    """Per product of ``state``: its sales row and its metrics' inputs as arrays."""
    products = state.to_pylist()
    by_id = {row["product_id"]: row for row in sales.to_pylist()}
    sold = [by_id.get(p["product_id"], {}) for p in products]
    return {
        "products": products,
        "sold": sold,
        "ids": [p["product_id"] for p in products],
        "units": np.array([s.get("units", 0.0) for s in sold], dtype=np.float64),
        "revenue": np.array([s.get("revenue", 0.0) for s in sold], dtype=np.float64),
        "cost": np.array([_float(p["cost"]) for p in products], dtype=np.float64),
        "price": np.array([_float(p["price"]) for p in products], dtype=np.float64),
        # variable parents roll their variations up: not ranked (their variations are)
        "ranked": np.array([p["type"] != "variable" for p in products], dtype=bool),
    }


def ranked_sales(state: pa.Table, sales: pa.Table) -> tuple[ProductSales, float]:
    """The sales of the products that are ranked (all but variable parents), and the shop's
    revenue over the window: theirs, so that their revenue shares add up to 100."""
    return _ranked(_columns(state, sales))


def _ranked(c: dict[str, Any]) -> tuple[ProductSales, float]:
    mask = c["ranked"]
    shop_revenue = float(c["revenue"][mask].sum())
    chosen = [pid for pid, keep in zip(c["ids"], mask, strict=True) if keep]
    columns = (c["units"][mask], c["revenue"][mask], c["cost"][mask], c["price"][mask])
    return ProductSales(chosen, *columns, shop_revenue), shop_revenue


def product_rows(
    state: pa.Table,
    sales: pa.Table,
    fits: dict[int, dict[str, Any]],
    basis: ProductBasis | None,
    as_of: date | None,
    settings: tuple[ScoringSettings, ProductSettings],
) -> pa.Table:
    """The view's rows: each product of ``state`` with its ``sales`` (the rows of
    ``product_sales.SALES_SQL``), scored against ``basis`` (None: against the products of
    ``state`` that sold)."""
    scoring, own = settings
    c = _columns(state, sales)
    if basis is None:
        ranked, shop_revenue = _ranked(c)
        kept = score_distribution(ranked, scoring)
    else:
        shop_revenue, kept = basis.shop_revenue, basis.distribution
    columns = (c["units"], c["revenue"], c["cost"], c["price"])
    scores = score_against(ProductSales(c["ids"], *columns, shop_revenue), kept, scoring)
    rows = [
        _row(product, c["sold"][index], (scores, index), fits.get(product["product_id"]), own)
        | {"as_of": c["sold"][index].get("as_of", as_of)}
        for index, product in enumerate(c["products"])
    ]
    return pa.Table.from_pylist(rows, schema=PRODUCTS_VIEW) if rows else PRODUCTS_VIEW.empty_table()


def _row(
    product: dict[str, Any],
    sold: dict[str, Any],
    scored: tuple[ProductScores, int],
    fit: dict[str, Any] | None,
    own: ProductSettings,
) -> dict[str, Any]:
    scores, index = scored
    velocity = float(scores.velocity[index])
    stock = product["stock_quantity"] if product["manage_stock"] else None
    cover = stock_cover(stock, velocity, own.lead_time_days)
    last_7, previous_7 = sold.get("last_7", 0.0), sold.get("previous_7", 0.0)
    moving = trend(last_7, previous_7, own.trend_min_units, own.trend_rise_pct)
    elasticity = _elasticity(fit)
    unit_cost = _float(product["cost"])
    suggestion = optimal_price(
        elasticity,
        _float(product["price"]),
        own.price_objective,
        unit_cost if math.isfinite(unit_cost) else None,
    )
    categories = list(product["categories"] or [])
    return {
        "product_id": product["product_id"],
        "parent_id": product["parent_id"],
        "type": product["type"],
        "name": product["name"],
        "sku": product["sku"],
        "status": product["status"],
        "category": categories[0] if categories else "",
        "categories": ", ".join(categories),
        "price": product["price"],
        "regular_price": product["regular_price"],
        "sale_price": product["sale_price"],
        "cost": product["cost"],
        "stock_quantity": product["stock_quantity"],
        "manage_stock": product["manage_stock"],
        "stock_status": product["stock_status"] or "",
        "as_of": None,
        "units": sold.get("units", 0.0),
        "revenue": round(sold.get("revenue", 0.0), 2),
        "velocity": round(velocity, 4),
        "revenue_pct": round(float(scores.revenue_pct[index]), 4),
        "margin_pct": round(float(scores.margin_pct[index]), 4),
        "margin_assumed": bool(scores.margin_assumed[index]),
        "score": int(scores.score[index]),
        "grade": str(scores.grade[index]),
        "recommendation": str(scores.recommendation[index]),
        "score_reason": str(scores.reason[index]),
        "days_of_cover": None if cover.days_of_cover is None else round(cover.days_of_cover, 2),
        "low_stock": cover.low_stock,
        "units_last_7": last_7,
        "units_previous_7": previous_7,
        "trend_pct": None if moving.change_pct is None else round(moving.change_pct, 2),
        "trending": moving.trending,
        "elasticity": _rounded(elasticity.elasticity, 4),
        "elasticity_se": _rounded(elasticity.standard_error, 4),
        "elasticity_r2": _rounded(elasticity.r_squared, 4),
        "elasticity_days": elasticity.n_days,
        "optimal_price": _rounded(suggestion.optimal_price, 2),
        "price_reason": suggestion.reason or "",
    }


def _elasticity(fit: dict[str, Any] | None) -> ElasticityFit:
    if fit is None:
        return ElasticityFit(None, None, None, 0, 0, "no products job yet")
    return ElasticityFit(
        fit["elasticity"],
        fit["standard_error"],
        fit["r_squared"],
        int(fit["n_days"]),
        int(fit["n_prices"]),
        fit["reason"] or None,
    )


def _float(value: Any) -> float:
    return math.nan if value is None else float(value)


def _rounded(value: float | None, digits: int) -> float | None:
    return None if value is None or not math.isfinite(value) else round(value, digits)
