"""Product scores, grades, stock cover and trends (SPEC §4, seed 000). Pure numpy.

The caller sums each product's net units and net revenue over the window (refunds taken
off) and passes the shop's net revenue over it, so a subset can be scored against the shop.

Metrics: velocity = net units / window days; revenue % = net revenue / shop net revenue
* 100 (0 when the shop's is not positive); margin % = (price - cost) / price * 100 when the
cost is known (finite, >= 0) and the price positive (rounded to 6 decimals, so equal
ratios tie), else the shop's default margin, flagged ``margin_assumed``.

Percentile rank (``percentile_ranks``), the mid-rank share of a distribution below v:
``rank(v) = 100 * (lower + equal / 2) / n`` with ``lower`` the values strictly below v,
``equal`` the values equal to v (v itself when it belongs) and n the size. So (all tested):

- equal values rank equal; the rank only looks at the value (order-independent);
- n distinct values rank from 50 / n (lowest) to 100 - 50 / n (highest);
- all-equal values rank 50, as does a single product: no information is the middle. A
  metric where all tie (every margin assumed in a shop without costs) adds the same points
  to every score; rfm.py's strictly-lower rule would add 0 and cap every score near 80.

Score = sum(weight * rank) / sum(weight), rounded half up to an integer 0..100. Revenue is
ranked by net revenue: one denominator, so the same order as the share, and comparable
between runs while the shop total moves. The distribution is the products that sold in the
window (net units > 0); one without sales is left out and scores 0 (F, "no sales in the
last N days"), else a catalogue of never-sold items would lift every seller into A+.

Between full runs a changed product is scored against the ``ScoreDistribution`` kept from
the last run (sorted values per metric): a value of it ranks, and so scores, exactly as in
the full run; a new value ranks by its place among them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# (lowest score, grade, recommendation), SPEC §4; the grade runs up to the next row's bound.
GRADES: tuple[tuple[int, str, str], ...] = (
    (0, "F", "DISCONTINUE"),
    (20, "D", "DISCOUNT"),
    (40, "C", "MAINTAIN"),
    (60, "B", "OPTIMIZE"),
    (80, "A+", "PROMOTE"),
)
_BOUNDS = np.array([bound for bound, _, _ in GRADES])
_GRADE_NAMES = np.array([grade for _, grade, _ in GRADES], dtype=object)
_RECOMMENDATIONS = np.array([action for _, _, action in GRADES], dtype=object)


@dataclass(frozen=True)
class Weights:
    """Weights of the three percentile ranks; only their ratios matter."""

    velocity: float = 40.0
    revenue: float = 40.0
    margin: float = 20.0

    def __post_init__(self) -> None:
        for name in ("velocity", "revenue", "margin"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"weight {name} must be a finite number >= 0")
        if self.total <= 0:
            raise ValueError("the weights must not all be 0")

    @property
    def total(self) -> float:
        return self.velocity + self.revenue + self.margin


@dataclass(frozen=True)
class ScoringSettings:
    window_days: int = 30
    default_margin: float = 0.30  # a fraction, like WCPULSE_DEFAULT_MARGIN
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if not (math.isfinite(self.default_margin) and self.default_margin < 1):
            raise ValueError("default_margin must be a finite fraction below 1")


@dataclass(frozen=True)
class ProductSales:
    """One window's sales of some products (one entry each) and the shop's net revenue."""

    product_id: npt.ArrayLike
    units: npt.ArrayLike  # net units in the window
    revenue: npt.ArrayLike  # net revenue in the window
    cost: npt.ArrayLike  # cost per unit, NaN when unknown
    price: npt.ArrayLike  # current price, NaN when unknown
    shop_revenue: float  # the shop's net revenue in the window (all products)


@dataclass(frozen=True)
class ProductScores:
    """Per product, in the order of the input. Ranks are NaN for products without sales."""

    product_id: npt.NDArray[np.object_]
    velocity: FloatArray
    revenue_pct: FloatArray
    margin_pct: FloatArray
    margin_assumed: npt.NDArray[np.bool_]
    velocity_rank: FloatArray
    revenue_rank: FloatArray
    margin_rank: FloatArray
    score: npt.NDArray[np.int16]
    grade: npt.NDArray[np.object_]
    recommendation: npt.NDArray[np.object_]
    reason: npt.NDArray[np.object_]


@dataclass(frozen=True)
class ScoreDistribution:
    """What a full scoring keeps: each metric's sorted values over the products that sold."""

    velocity: tuple[float, ...]
    revenue: tuple[float, ...]
    margin_pct: tuple[float, ...]

    def as_json(self) -> dict[str, list[float]]:
        return {name: list(getattr(self, name)) for name in ("velocity", "revenue", "margin_pct")}

    @classmethod
    def from_json(cls, data: dict[str, list[float]]) -> ScoreDistribution:
        return cls(
            *(tuple(float(v) for v in data[n]) for n in ("velocity", "revenue", "margin_pct"))
        )


@dataclass(frozen=True)
class _Metrics:
    velocity: FloatArray
    revenue: FloatArray
    revenue_pct: FloatArray
    margin_pct: FloatArray
    margin_assumed: npt.NDArray[np.bool_]
    sold: npt.NDArray[np.bool_]


def percentile_ranks(
    values: npt.ArrayLike, distribution: npt.ArrayLike | None = None
) -> FloatArray:
    """Mid-rank percentile 0..100 of each value in ``distribution`` (sorted; default: the
    values themselves), module doc; an empty one ranks all 50, as one value ranks in itself."""
    arr = np.asarray(values, dtype=np.float64)
    if np.isnan(arr).any():
        raise ValueError("values must not contain NaN")
    ref = np.sort(arr) if distribution is None else np.asarray(distribution, dtype=np.float64)
    if ref.size == 0:
        return np.full(arr.shape, 50.0)
    lower = np.searchsorted(ref, arr, side="left")
    upper = np.searchsorted(ref, arr, side="right")
    return 100.0 * (lower + upper) / (2 * ref.size)


def grades_for(scores: npt.ArrayLike) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.object_]]:
    """Grade and recommendation of each integer score 0..100 (SPEC §4 bounds)."""
    arr = np.asarray(scores)
    if arr.size and (arr.min() < 0 or arr.max() > 100):
        raise ValueError("scores must be from 0 to 100")
    row = np.searchsorted(_BOUNDS, arr, side="right") - 1
    return _GRADE_NAMES[row], _RECOMMENDATIONS[row]


def grade_for(score: int) -> tuple[str, str]:
    """``(grade, recommendation)`` of one score, e.g. 80 -> ("A+", "PROMOTE")."""
    grade, recommendation = grades_for(np.array([score]))
    return str(grade[0]), str(recommendation[0])


def _finite(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or not np.isfinite(arr).all():
        raise ValueError(f"{name} must be a one-dimensional array of finite numbers")
    return arr


def _metrics(sales: ProductSales, settings: ScoringSettings) -> _Metrics:
    units, revenue = _finite(sales.units, "units"), _finite(sales.revenue, "revenue")
    cost = np.asarray(sales.cost, dtype=np.float64)
    price = np.asarray(sales.price, dtype=np.float64)
    if not units.shape == revenue.shape == cost.shape == price.shape:
        raise ValueError("units, revenue, cost and price must have the same length")
    total = sales.shop_revenue
    if not math.isfinite(total):
        raise ValueError("shop_revenue must be a finite number")
    share = revenue * (100.0 / total) if total > 0 else np.zeros_like(revenue)
    known = np.isfinite(cost) & (cost >= 0) & np.isfinite(price) & (price > 0)
    safe_price = np.where(known, price, 1.0)
    from_cost = np.round((safe_price - np.where(known, cost, 0.0)) / safe_price * 100.0, 6)
    margin = np.where(known, from_cost, settings.default_margin * 100.0)
    velocity = units / settings.window_days
    return _Metrics(velocity, revenue, share, margin, ~known, units > 0)


def _distribution(metrics: _Metrics) -> ScoreDistribution:
    columns = (metrics.velocity, metrics.revenue, metrics.margin_pct)
    return ScoreDistribution(*(tuple(np.sort(c[metrics.sold]).tolist()) for c in columns))


def _reasons(ranks: list[FloatArray], metrics: _Metrics, window_days: int) -> list[str]:
    unsold = f"no sales in the last {window_days} days"
    return [
        f"percentile ranks: velocity {v:.0f}, revenue {r:.0f}, margin {m:.0f}"
        + (" (margin assumed)" if assumed else "")
        if sold
        else unsold
        for v, r, m, assumed, sold in zip(*ranks, metrics.margin_assumed, metrics.sold, strict=True)
    ]


def _score(
    ids: npt.ArrayLike, metrics: _Metrics, kept: ScoreDistribution, settings: ScoringSettings
) -> ProductScores:
    w = settings.weights
    ranks = [
        percentile_ranks(metrics.velocity, kept.velocity),
        percentile_ranks(metrics.revenue, kept.revenue),
        percentile_ranks(metrics.margin_pct, kept.margin_pct),
    ]
    weighted = (w.velocity * ranks[0] + w.revenue * ranks[1] + w.margin * ranks[2]) / w.total
    rounded = np.clip(np.floor(weighted + 0.5), 0, 100)
    score = np.where(metrics.sold, rounded, 0).astype(np.int16)
    grade, recommendation = grades_for(score)
    shown = [np.where(metrics.sold, rank, np.nan) for rank in ranks]
    reasons = np.array(_reasons(shown, metrics, settings.window_days), dtype=object)
    columns = (metrics.velocity, metrics.revenue_pct, metrics.margin_pct, metrics.margin_assumed)
    ids_out = np.asarray(ids, dtype=object)
    if ids_out.shape != score.shape:
        raise ValueError("product_id must have one entry per product")
    return ProductScores(ids_out, *columns, *shown, score, grade, recommendation, reasons)


def score_products(sales: ProductSales, settings: ScoringSettings | None = None) -> ProductScores:
    """Score every product of ``sales`` against the others that sold (the full run)."""
    settings = settings or ScoringSettings()
    metrics = _metrics(sales, settings)
    return _score(sales.product_id, metrics, _distribution(metrics), settings)


def score_distribution(
    sales: ProductSales, settings: ScoringSettings | None = None
) -> ScoreDistribution:
    """What ``score_products`` ranked against, to keep until the next full run."""
    return _distribution(_metrics(sales, settings or ScoringSettings()))


def score_against(
    sales: ProductSales, kept: ScoreDistribution, settings: ScoringSettings | None = None
) -> ProductScores:
    """Score changed products against the distribution kept from the last full run."""
    settings = settings or ScoringSettings()
    return _score(sales.product_id, _metrics(sales, settings), kept, settings)


@dataclass(frozen=True)
class StockCover:
    days_of_cover: float | None  # None: stock not managed, or no sales to cover
    low_stock: bool


def stock_cover(
    stock_quantity: float | None, velocity: float, lead_time_days: float = 7.0
) -> StockCover:
    """Days of cover = stock / velocity; low stock when that is under the lead time. Stock
    None (not managed) or velocity <= 0 (no net sales, so not running out): no figure, never
    low. Negative stock (backorders) counts as 0: cover 0, low."""
    if stock_quantity is None or not velocity > 0:
        return StockCover(None, False)
    cover = max(float(stock_quantity), 0.0) / velocity
    return StockCover(cover, cover < lead_time_days)


@dataclass(frozen=True)
class Trend:
    change_pct: float | None  # None when the previous 7 days had no net units
    trending: bool


def trend(
    last_7: float, previous_7: float, min_units: float = 5.0, min_rise_pct: float = 50.0
) -> Trend:
    """Net units of the last 7 days (``last_7``) against the 7 before (``previous_7``).

    Trending: at least ``min_units`` in the last 7 days and a rise of ``min_rise_pct`` or
    more; a product that sold nothing the 7 days before has no change figure, and trends as
    soon as it reaches the minimum volume.
    """
    if previous_7 <= 0:
        return Trend(None, last_7 >= min_units)
    change = (last_7 - previous_7) / previous_7 * 100.0
    return Trend(change, last_7 >= min_units and change >= min_rise_pct)
