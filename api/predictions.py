"""CLV and churn predictions (SPEC §4, issue 5): customers per churn level per day, the
shop's fitted models with their backtests, and a customer's CLV and churn for the Customer
360 (the CLV and churn lists are declared in api/lists/predictions.py).

Everything is as of the manifest's ``predictions_as_of`` (null before the first
prediction). A shop without predictions yet answers with empty lists and, for the model,
``fallback`` with no fits.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from api.context import RequestContext, envelope
from api.errors import InvalidParameter
from api.lists.predictions import CHURN, CLV
from api.params import FORMAT, ParamSpec
from api.period_params import FROM_BEFORE_TO
from api.queries import table_rows
from api.result import Result, row_objects
from processors.analytics.clv import CHURN_LEVELS
from schemas.prediction_views import BACKTESTS_VIEW, CHURN_TIMELINE_VIEW, PREDICTION_MODELS_VIEW
from store.arrow_results import arrow_of

TIME_UNIT = "days"  # of every fitted model's parameters
TIMELINE_COLUMNS = tuple(CHURN_TIMELINE_VIEW.names)
MODEL_COLUMNS = tuple(PREDICTION_MODELS_VIEW.names)
BACKTEST_COLUMNS = tuple(BACKTESTS_VIEW.names)
TIMELINE_PARAMS = (
    ParamSpec(
        "from",
        "date",
        "First day of the timeline (default: the first recorded), on or before `to`.",
    ),
    ParamSpec("to", "date", "Last day of the timeline (default: the last recorded)."),
    FORMAT,
)

# A day's level counts (levels other than the four are not counted; see _timeline_rows).
TIMELINE_SQL = """
SELECT day, churn_level, sum(customers) AS customers FROM churn_timeline
WHERE day BETWEEN $first AND $last GROUP BY day, churn_level ORDER BY day
"""
MODELS_SQL = (
    f"SELECT {', '.join(MODEL_COLUMNS)} FROM prediction_models "
    "ORDER BY model, fitted_at DESC NULLS LAST"
)
BACKTESTS_SQL = (
    f"SELECT {', '.join(BACKTEST_COLUMNS)} FROM backtests "
    "ORDER BY as_of DESC NULLS LAST, fitted_at DESC NULLS LAST"
)


def _predictions_meta(ctx: RequestContext) -> dict[str, Any]:
    return {"predictions_as_of": ctx.predictions_as_of}


def _timeline_rows(found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each recorded day with all four levels in CHURN_LEVELS order, zeros filled."""
    counts: dict[date, dict[str, int]] = {}
    for day, level, customers in found:
        counts.setdefault(day, {})[level] = int(customers)
    return [
        (day, level, levels.get(level, 0))
        for day, levels in counts.items()
        for level in CHURN_LEVELS
    ]


def churn_timeline_result(ctx: RequestContext) -> Result:
    """Customers per churn level per recorded day from ``from`` to ``to``, oldest first."""
    first, last = ctx.values.get("from"), ctx.values.get("to")
    if first and last and first > last:
        raise InvalidParameter(FROM_BEFORE_TO)
    params = {"first": first or date.min, "last": last or date.max}
    with ctx.views.connect("churn_timeline") as connection:
        found = connection.execute(TIMELINE_SQL, params).fetchall()
    meta = envelope(ctx) | _predictions_meta(ctx) | {"from": first, "to": last}
    meta |= {"levels": list(CHURN_LEVELS)}
    return Result(TIMELINE_COLUMNS, _timeline_rows(found), meta)


def parsed_params(text: str | None) -> dict[str, Any] | None:
    """A model's ``params`` JSON object as a dict; null when it recorded none (or garbage)."""
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return table_rows(arrow_of(connection, sql))


def current_model(models: list[dict[str, Any]]) -> str:
    """``bgnbd`` when the newest BG/NBD fit succeeded, else ``fallback``."""
    fits = [row for row in models if row["model"] == "bgnbd"]
    return "bgnbd" if fits and fits[0]["status"] == "fitted" else "fallback"


def clv_model_result(ctx: RequestContext) -> Result:
    """The fitted models (JSON: with parameters as objects), the model the CLV uses and the
    backtests, newest first; CSV: the prediction_models rows."""
    with ctx.views.connect("prediction_models", "backtests") as connection:
        models = _rows(connection, MODELS_SQL)
        if ctx.fmt == "csv":
            return Result(MODEL_COLUMNS, models)
        backtests = row_objects(BACKTEST_COLUMNS, _rows(connection, BACKTESTS_SQL))
    objects = row_objects(MODEL_COLUMNS, models)
    for row in objects:
        row["params"] = parsed_params(row["params"])
    meta = (
        envelope(ctx)
        | _predictions_meta(ctx)
        | {
            "model": current_model(objects),
            "time_unit": TIME_UNIT,
            "backtest": backtests[0] if backtests else None,
            "backtests": backtests,
        }
    )
    rows = [tuple(row.values()) for row in objects]
    return Result(MODEL_COLUMNS, rows, meta, key="models")


CUSTOMER_SKIP = ("customer_key", "email", "first_name", "last_name", "phone")  # the profile's
CUSTOMER_CLV_COLUMNS = tuple(name for name in CLV.columns if name not in CUSTOMER_SKIP)
CUSTOMER_CHURN_COLUMNS = tuple(name for name in CHURN.columns if name not in CUSTOMER_SKIP)
_BLOCKS = {"clv": CUSTOMER_CLV_COLUMNS, "churn": CUSTOMER_CHURN_COLUMNS}


def customer_predictions(
    ctx: RequestContext, connection: duckdb.DuckDBPyConnection, key: str
) -> dict[str, dict[str, Any] | None]:
    """The Customer 360's ``clv`` and ``churn``: the customer's row of each view without the
    profile's fields, plus ``predictions_as_of``; null without a row. ``connection`` has the
    clv and churn views."""
    blocks: dict[str, dict[str, Any] | None] = {}
    for view, columns in _BLOCKS.items():
        sql = f"SELECT {', '.join(columns)} FROM {view} WHERE customer_key = $key LIMIT 1"
        rows = table_rows(arrow_of(connection, sql, {"key": key}))
        blocks[view] = row_objects(columns, rows)[0] | _predictions_meta(ctx) if rows else None
    return blocks


def customer_prediction_schema(view: str) -> pa.Schema:
    """The columns a Customer 360 block carries (without predictions_as_of)."""
    schema = {"clv": CLV.schema, "churn": CHURN.schema}[view]
    return pa.schema([field for field in schema if field.name in _BLOCKS[view]])
