"""The CLV and churn lists (SPEC §4, seed 000), as of the manifest's ``predictions_as_of``.

The names a filter accepts are the ones schemas/prediction_views.py documents for each
column; they match in any case (``critical`` is ``Critical``) and an unknown one is a 400.
"""

from __future__ import annotations

from api.context import PREDICTIONS_AS_OF
from api.listing import Filter, ListView
from api.lists.customers import SEARCH
from api.params import ParamSpec
from processors.analytics.clv import (
    CHURN_LEVELS,
    CONFIDENCE_BANDS,
    NEXT_ORDER_HORIZON_DAYS,
    VALUE_SEGMENTS,
)

CLV_MODELS = ("bgnbd", "fallback")
CHURN_MODELS = ("mbgnbd", "fallback")

VALUE_SEGMENT = Filter(
    ParamSpec(
        "value_segment",
        "list",
        "Value segments by predicted 12-month CLV, comma-separated; any case.",
        VALUE_SEGMENTS,
        loose=True,
    ),
    "list_contains($value, value_segment)",
)

CLV = ListView(
    view="clv",
    path="/clv",
    summary="Predicted customer lifetime value, filtered, sorted and paginated.",
    row="Clv",
    filters=(
        SEARCH,
        VALUE_SEGMENT,
        Filter(
            ParamSpec(
                "confidence_band",
                "list",
                "Confidence bands (high >= 0.8, medium 0.5..0.8, low < 0.5), comma-separated; "
                "any case.",
                CONFIDENCE_BANDS,
                loose=True,
            ),
            "list_contains($value, confidence_band)",
        ),
        Filter(
            ParamSpec(
                "model",
                "enum",
                "bgnbd (BG/NBD + Gamma-Gamma) or fallback (the shop could not be fitted).",
                CLV_MODELS,
                loose=True,
            ),
            "model = $value",
        ),
        Filter(
            ParamSpec("min_clv_12m", "decimal", "Smallest predicted 12-month CLV."),
            "predicted_clv_12m >= $value",
        ),
        Filter(
            ParamSpec("max_clv_12m", "decimal", "Largest predicted 12-month CLV."),
            "predicted_clv_12m <= $value",
        ),
    ),
    sorts=(
        "predicted_clv_12m",
        "predicted_clv_6m",
        "historical_clv",
        "confidence",
        "expected_purchases_12m",
        "last_order_day",
        "customer_key",
    ),
    default_sort="-predicted_clv_12m",
    description="One row per customer with a sale order, as of `predictions_as_of` "
    "(seed 000): historical CLV (net spent), expected purchases and order value, the "
    "predicted 6- and 12-month value (discounted monthly) with the 80% interval of the "
    "12-month value, confidence (0..1) and its band, value segment (High, Medium, Low "
    "by predicted 12-month value) and the model: bgnbd (BG/NBD + Gamma-Gamma) or "
    "fallback (the shop could not be fitted; low confidence). Sorting keeps nulls last. "
    "CSV has the same columns (e-mail, contact, historical and predicted CLV, "
    "confidence, value segment among them).",
    envelope=(PREDICTIONS_AS_OF,),
)

CHURN = ListView(
    view="churn",
    path="/churn",
    summary="Churn risk per customer, filtered, sorted and paginated (highest risk first).",
    row="Churn",
    filters=(
        SEARCH,
        Filter(
            ParamSpec(
                "churn_level",
                "list",
                "Churn levels (Low < 0.25 <= Medium < 0.5 <= High < 0.75 <= Critical), "
                "comma-separated; any case.",
                CHURN_LEVELS,
                loose=True,
            ),
            "list_contains($value, churn_level)",
        ),
        VALUE_SEGMENT,
        Filter(
            ParamSpec(
                "model",
                "enum",
                "mbgnbd (MBG/NBD) or fallback (the shop could not be fitted).",
                CHURN_MODELS,
                loose=True,
            ),
            "model = $value",
        ),
        Filter(
            ParamSpec(
                "min_probability",
                "number",
                "Smallest churn probability, a number from 0 to 1.",
                minimum=0,
                maximum=1,
            ),
            "churn_probability >= $value",
        ),
    ),
    sorts=(
        "churn_probability",
        "days_overdue",
        "winback_discount_pct",
        "last_order_day",
        "expected_next_order",
        "customer_key",
    ),
    default_sort="-churn_probability",
    description="One row per customer with a sale order, as of `predictions_as_of`: "
    "churn probability (1 - P(alive) under MBG/NBD, or the fallback), level ("
    + ", ".join(CHURN_LEVELS)
    + " at 0.25, 0.5 and 0.75), the adverse risk factors with their values "
    "(`; `-joined), days overdue against the return cycle, order frequency and AOV of "
    "the last 180 days against the 180 before, the refunded or cancelled share of "
    "orders, the win-back discount (0 for Low) and the expected next order (null when "
    "another order is not likely, or not within "
    f"{NEXT_ORDER_HORIZON_DAYS} days: 10 years). Sorting keeps nulls last. CSV has the "
    "same columns.",
    envelope=(PREDICTIONS_AS_OF,),
)
