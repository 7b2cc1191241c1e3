"""The clv and churn views (SPEC §4): every customer with a sale order, predicted as of the
prediction day with the shop's newest fits (``store/prediction_models.py``), so an order
moves its customer's prediction at the next publish with the current parameters.

The prediction day is the later of the last ``job.clv``/``job.churn`` day and the scoring
day of the customers view (itself at least the last sale day).
"""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.clv import (
    History,
    ShopModels,
    churn_levels,
    confidence_bands,
    predict_churn,
    predict_clv,
    value_segments,
    winback_discount,
)
from processors.projections.customer_scores import orders_of_group
from processors.projections.prediction_models import load_models, purchase_histories
from schemas.prediction_views import CHURN_VIEW, CLV_VIEW
from schemas.shop import ShopConfig
from schemas.view_types import MONEY
from store.arrow_results import arrow_of

PREDICTED_AS_OF = "predictions_as_of"  # state meta: the day of the last job.clv / job.churn
WINDOW_DAYS = 180
MONEY_LIMIT = 1e16  # decimal(18, 2) holds less

# Per customer with a sale order up to $as_of (the same rows as HISTORY_SQL): the churn
# risk factors' measurements.
FACTORS_SQL = """
SELECT customer_key,
    count(*) FILTER (WHERE is_sale AND revenue_day > $as_of::DATE - 180) AS orders_last,
    count(*) FILTER (WHERE is_sale AND revenue_day <= $as_of::DATE - 180
        AND revenue_day > $as_of::DATE - 360) AS orders_prior,
    sum(net) FILTER (WHERE is_sale AND revenue_day > $as_of::DATE - 180)::DOUBLE AS net_last,
    sum(net) FILTER (WHERE is_sale AND revenue_day <= $as_of::DATE - 180
        AND revenue_day > $as_of::DATE - 360)::DOUBLE AS net_prior,
    count(*) FILTER (WHERE status IN ('refunded', 'cancelled') OR (is_sale AND refunds > 0))
        AS troubled,
    count(*) FILTER (WHERE is_sale OR status = 'cancelled') AS counted
FROM ov WHERE revenue_day <= $as_of
GROUP BY customer_key HAVING count(*) FILTER (WHERE is_sale) > 0
ORDER BY customer_key
"""
PROFILE = ("customer_key", "email", "first_name", "last_name", "phone", "orders")


def predictions_day(stored: str | None, scores_as_of: date | None) -> date | None:
    days = [day for day in (date.fromisoformat(stored) if stored else None, scores_as_of) if day]
    return max(days) if days else None


def prediction_views(
    con: duckdb.DuckDBPyConnection,
    orders: pa.Table,
    customers: pa.Table,
    as_of: date | None,
    shop: ShopConfig,
) -> dict[str, pa.Table]:
    """The clv and churn views as of ``as_of`` (empty before the first sale)."""
    history = purchase_histories(con, orders, as_of) if as_of is not None else {}
    if as_of is None or len(history["customer_key"]) == 0:
        return {"clv": CLV_VIEW.empty_table(), "churn": CHURN_VIEW.empty_table()}
    keys = pa.array(history["customer_key"], pa.string())
    rows = pc.index_in(keys, value_set=customers["customer_key"])
    known = customers.take(rows)
    cycle = pc.fill_null(known["cycle_days"], 30.0).to_numpy(zero_copy_only=False)
    inputs = History(
        *(np.asarray(history[k], dtype=np.float64) for k in ("x", "t_x", "T", "m", "day_value")),
        cycle=np.asarray(cycle, dtype=np.float64),
    )
    models = load_models(con)
    clv = _clv_table(known, history, inputs, models, shop)
    factors = _factors(con, orders, as_of)
    churn = _churn_table(known, inputs, models, factors, clv["value_segment"], (as_of, shop))
    return {"clv": clv, "churn": churn}


def predicted_by_day(
    con: duckdb.DuckDBPyConnection,
    orders: pa.Table,
    customers: pa.Table,
    days: pa.Array,
    shop: ShopConfig,
) -> dict[str, pa.Table]:
    """The clv and churn views of ``customers``, each predicted as of their own day in
    ``days`` (customers sharing a day are predicted together), sorted by customer key."""
    parts: dict[str, list[pa.Table]] = {"clv": [], "churn": []}
    for day in pc.unique(days).to_pylist():
        group = customers.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        mine = orders_of_group(orders, group)
        for name, table in prediction_views(con, mine, group, day, shop).items():
            parts[name].append(table)
    empty = {"clv": CLV_VIEW.empty_table(), "churn": CHURN_VIEW.empty_table()}
    return {
        name: pa.concat_tables(tables).sort_by("customer_key") if tables else empty[name]
        for name, tables in parts.items()
    }


def _finite(values: np.ndarray, decimals: int | None = None) -> np.ndarray:
    """Float ``values`` (rounded to ``decimals``) with nan for the infinite ones."""
    values = np.asarray(values, dtype=np.float64)
    rounded = values if decimals is None else np.round(values, decimals)
    return np.where(np.isfinite(rounded), rounded, np.nan)


def _floats(values: np.ndarray, decimals: int | None = None) -> pa.Array:
    """A float column whose numbers are all finite: nan and infinities are null."""
    return pa.array(_finite(values, decimals), from_pandas=True)


def _money(values: np.ndarray) -> pa.Array:
    """Money as decimal(18, 2); a value it cannot hold (nan, infinite, 1e16 or more) is null."""
    rounded = _finite(values, 2)
    with np.errstate(invalid="ignore"):
        rounded = np.where(np.abs(rounded) < MONEY_LIMIT, rounded, np.nan)
    return pa.array(rounded, from_pandas=True).cast(MONEY, safe=False)


def _clv_table(
    known: pa.Table,
    history: dict[str, np.ndarray],
    inputs: History,
    models: ShopModels,
    shop: ShopConfig,
) -> pa.Table:
    settings = shop.predictions
    clv = predict_clv(inputs, models, settings.discount_rate)
    columns = {name: known[name] for name in PROFILE}
    columns |= {
        "purchase_days": pa.array(inputs.x.astype(np.int64) + 1),
        "first_order_day": known["first_order_day"],
        "last_order_day": pa.array(history["last_day"], pa.date32()),
        "historical_clv": known["net_spent"],
        "expected_purchases_12m": _floats(clv.expected_purchases_12m, 4),
        "expected_order_value": _money(clv.spend),
        "predicted_clv_6m": _money(clv.clv_6m),
        "predicted_clv_12m": _money(clv.clv_12m),
        "clv_12m_low": _money(clv.low_12m),
        "clv_12m_high": _money(clv.high_12m),
        "confidence": _floats(clv.confidence),
        "confidence_band": pa.array(confidence_bands(clv.confidence).tolist(), pa.string()),
        "value_segment": pa.array(
            value_segments(
                np.round(clv.clv_12m, 2), settings.high_value, settings.medium_value
            ).tolist(),
            pa.string(),
        ),
        "model": pa.array(["fallback" if clv.fallback else "bgnbd"] * known.num_rows, pa.string()),
    }
    return pa.table(columns).cast(CLV_VIEW)


def _factors(con: duckdb.DuckDBPyConnection, orders: pa.Table, as_of: date) -> pa.Table:
    con.register("ov", orders)
    try:
        return arrow_of(con, FACTORS_SQL, {"as_of": as_of})
    finally:
        con.unregister("ov")


def _change_pct(now: np.ndarray, before: np.ndarray) -> np.ndarray:
    """Percent change (null when there was nothing before, or nothing now to compare)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where((before > 0) & np.isfinite(now), (now - before) / before * 100.0, np.nan)
    return np.round(change, 1)


def _measured(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(pc.fill_null(table[name], 0).to_numpy(zero_copy_only=False), np.float64)


def _churn_table(
    known: pa.Table,
    inputs: History,
    models: ShopModels,
    factors: pa.Table,
    value_segment: pa.ChunkedArray,
    day: tuple[date, ShopConfig],
) -> pa.Table:
    as_of, shop = day
    churn = predict_churn(inputs, models)
    probability = _finite(churn.probability, 4)
    orders_last, orders_prior = (
        _measured(factors, "orders_last"),
        _measured(factors, "orders_prior"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        aov_last = np.where(orders_last > 0, _measured(factors, "net_last") / orders_last, np.nan)
        aov_prior = np.where(
            orders_prior > 0, _measured(factors, "net_prior") / orders_prior, np.nan
        )
        share = _measured(factors, "troubled") / np.maximum(_measured(factors, "counted"), 1.0)
    overdue = _floats(inputs.T - inputs.t_x - inputs.cycle, 1)
    expected = np.isfinite(churn.next_order_days)  # within the horizon (predict_churn)
    next_days = np.where(expected, np.ceil(churn.next_order_days), 0)
    next_order = np.datetime64(as_of, "D") + next_days.astype("timedelta64[D]")
    measured = {
        "days_overdue": overdue,
        "cycle_days": _floats(inputs.cycle, 1),
        "orders_last_180d": pa.array(orders_last.astype(np.int64)),
        "orders_prior_180d": pa.array(orders_prior.astype(np.int64)),
        "frequency_change_pct": pa.array(_change_pct(orders_last, orders_prior), from_pandas=True),
        "aov_last_180d": _money(aov_last),
        "aov_prior_180d": _money(aov_prior),
        "aov_change_pct": pa.array(_change_pct(aov_last, aov_prior), from_pandas=True),
        "refunded_cancelled_share": _floats(share, 4),
    }
    columns = {name: known[name] for name in PROFILE}
    columns |= {
        "last_order_day": known["last_order_day"],
        "value_segment": value_segment,
        "churn_probability": pa.array(probability, from_pandas=True),
        "churn_level": pa.array(churn_levels(probability).tolist(), pa.string()),
        "risk_factors": risk_factor_texts(measured),
        **measured,
        "winback_discount_pct": pa.array(winback_discount(probability, shop.predictions.margin)),
        "expected_next_order": pa.array(next_order, pa.date32(), mask=~expected),
        "model": pa.array(["fallback" if churn.fallback else "mbgnbd"] * known.num_rows),
    }
    return pa.table(columns).cast(CHURN_VIEW)


def _text(values: pa.Array, decimals: int = 0) -> pa.Array:
    return pc.cast(pc.round(values, decimals), pa.string())


def risk_factor_texts(measured: dict[str, pa.Array]) -> pa.Array:
    """The factors that push a customer towards churn, with their values, "; "-joined
    (empty when none does): overdue against the own cycle, fewer orders and lower order
    value in the last 180 days than in the 180 before, refunded or cancelled orders."""
    overdue, cycle = measured["days_overdue"], measured["cycle_days"]
    frequency, aov = measured["frequency_change_pct"], measured["aov_change_pct"]
    share = measured["refunded_cancelled_share"]
    parts = [
        (
            pc.greater(overdue, 0),
            pc.binary_join_element_wise(
                _text(overdue), " days overdue (cycle ", _text(cycle), " days)", ""
            ),
        ),
        (
            pc.less(frequency, 0),
            pc.binary_join_element_wise(
                "orders ",
                _text(frequency),
                "% (",
                pc.cast(measured["orders_last_180d"], pa.string()),
                " vs ",
                pc.cast(measured["orders_prior_180d"], pa.string()),
                " in the 180 days before)",
                "",
            ),
        ),
        (pc.less(aov, 0), pc.binary_join_element_wise("order value ", _text(aov), "%", "")),
        (
            pc.greater(share, 0),
            pc.binary_join_element_wise(
                _text(pc.multiply(share, 100.0)), "% of orders refunded or cancelled", ""
            ),
        ),
    ]
    # each chosen factor ends with "; " (the last one is trimmed); null_handling="skip"
    # would be simpler, but pyarrow 26 drops the rows where every part is null
    chosen = [
        pc.if_else(pc.fill_null(when, False), pc.binary_join_element_wise(text, "; ", ""), "")
        for when, text in parts
    ]
    return pc.utf8_rtrim(pc.binary_join_element_wise(*chosen, ""), characters="; ")
