"""The CLV and churn lists (SPEC §4, seed 000): their filters and sort keys over the "clv"
and "churn" views, as ListSpecs (the SQL is api/listing.py's).

The names a filter accepts are the ones schemas/views.py documents for each column; they
match in any case (``critical`` is ``Critical``) and an unknown one is a 400.
"""

from __future__ import annotations

from api.listing import SEARCH, Filter, ListSpec
from api.params import ParamSpec
from processors.analytics.clv import CHURN_LEVELS, CONFIDENCE_BANDS, VALUE_SEGMENTS
from schemas.views import CHURN_VIEW, CLV_VIEW

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

CLV = ListSpec(
    view="clv",
    schema=CLV_VIEW,
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
    tiebreak="customer_key",
)

CHURN = ListSpec(
    view="churn",
    schema=CHURN_VIEW,
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
    tiebreak="customer_key",
)
