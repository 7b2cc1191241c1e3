"""OpenAPI component schemas of the prediction views: the churn timeline, the fitted models
with their backtests, and the Customer 360's clv and churn (the CLV and churn lists' come
from their declarations, api/lists/predictions.py)."""

from __future__ import annotations

from api.context import PREDICTIONS_AS_OF
from api.json_shapes import DAY, Schema, nullable, obj, ref, row_schema, strings
from api.lists.predictions import CLV_MODELS
from api.predictions import TIME_UNIT, customer_prediction_schema
from processors.analytics.clv import CHURN_LEVELS
from schemas.prediction_views import (
    BACKTESTS_VIEW,
    CHURN_TIMELINE_VIEW,
    PREDICTION_MODELS_VIEW,
)

_SHOP: dict[str, Schema] = {"shop_id": {"type": "string"}, "currency": {"type": "string"}}


def _list_of(row: str) -> Schema:
    return {"type": "array", "items": ref(row)}


def or_null(name: str) -> Schema:
    """A component, or null."""
    return {"oneOf": [ref(name), {"type": "null"}]}


def _timeline() -> Schema:
    return obj(
        _SHOP
        | {
            "predictions_as_of": PREDICTIONS_AS_OF.schema,
            "from": nullable(DAY),
            "to": nullable(DAY),
            "levels": {"type": "array", "items": {"type": "string", "enum": list(CHURN_LEVELS)}},
            "columns": strings(),
            "data": _list_of("ChurnTimelineRow"),
        }
    )


def _model_row() -> Schema:
    row = row_schema(PREDICTION_MODELS_VIEW)
    row["properties"]["params"] = {
        "type": ["object", "null"],
        "description": "the fitted parameters by name (time unit: days); null when none",
        "additionalProperties": True,
    }
    return row


def _clv_model() -> Schema:
    return obj(
        _SHOP
        | {
            "predictions_as_of": PREDICTIONS_AS_OF.schema,
            "model": {
                "type": "string",
                "enum": list(CLV_MODELS),
                "description": "bgnbd when the newest BG/NBD fit succeeded, else fallback",
            },
            "time_unit": {"type": "string", "const": TIME_UNIT},
            "backtest": or_null("Backtest") | {"description": "the newest backtest"},
            "backtests": _list_of("Backtest") | {"description": "newest first"},
            "columns": strings(),
            "models": _list_of("PredictionModel"),
        }
    )


def _customer_block(view: str) -> Schema:
    block = row_schema(customer_prediction_schema(view))
    block["properties"]["predictions_as_of"] = PREDICTIONS_AS_OF.schema
    block["required"].append("predictions_as_of")
    return block


def prediction_component_schemas() -> dict[str, Schema]:
    return {
        "ChurnTimelineRow": row_schema(CHURN_TIMELINE_VIEW),
        "ChurnTimeline": _timeline(),
        "PredictionModel": _model_row(),
        "Backtest": row_schema(BACKTESTS_VIEW),
        "ClvModel": _clv_model(),
        "CustomerClv": _customer_block("clv"),
        "CustomerChurn": _customer_block("churn"),
    }
