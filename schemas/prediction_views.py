"""The published views of the predictions (SPEC §4, seed 000): each customer's CLV and churn
risk, the customers per churn level per day, the shop's fitted models and its backtests.

``job.clv``, ``job.churn`` and ``job.backtest`` make them (processors/projections/
predictions.py, churn_timeline.py, prediction_models.py, prediction_jobs.py); schemas/views.py
registers them with their keys in ``VIEWS`` and ``VIEW_KEYS``.
"""

from __future__ import annotations

import pyarrow as pa

from schemas.view_types import MONEY, TS

# Predicted customer value (SPEC §4, seed 000): one row per customer with a sale order, as
# of the manifest's ``predictions_as_of``. model "bgnbd" (BG/NBD + Gamma-Gamma, the shop's
# last fit) or "fallback" (the shop could not be fitted; low confidence).
CLV_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("phone", pa.string()),
        ("orders", pa.int64()),  # sale orders
        ("purchase_days", pa.int64()),  # distinct days with a sale order (same-day merged)
        ("first_order_day", pa.date32()),
        ("last_order_day", pa.date32()),
        ("historical_clv", MONEY),  # net spent so far
        ("expected_purchases_12m", pa.float64()),
        ("expected_order_value", MONEY),  # Gamma-Gamma expected spend per purchase day
        ("predicted_clv_6m", MONEY),  # discounted monthly
        ("predicted_clv_12m", MONEY),
        ("clv_12m_low", MONEY),  # 80% interval of the 12-month value (10th..90th percentile)
        ("clv_12m_high", MONEY),
        ("confidence", pa.float64()),  # 0..1
        ("confidence_band", pa.string()),  # high (>= 0.8), medium (0.5..0.8), low (< 0.5)
        ("value_segment", pa.string()),  # High, Medium, Low by predicted_clv_12m
        ("model", pa.string()),  # bgnbd or fallback
    ]
)

# Churn risk (SPEC §4): one row per customer with a sale order, as of ``predictions_as_of``.
CHURN_VIEW = pa.schema(
    [
        ("customer_key", pa.string()),
        ("email", pa.string()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("phone", pa.string()),
        ("orders", pa.int64()),
        ("last_order_day", pa.date32()),
        ("value_segment", pa.string()),
        ("churn_probability", pa.float64()),  # 1 - P(alive) under MBG/NBD (or the fallback)
        ("churn_level", pa.string()),  # Low < 0.25 <= Medium < 0.5 <= High < 0.75 <= Critical
        ("risk_factors", pa.string()),  # the adverse factors with their values, "; "-joined
        ("days_overdue", pa.float64()),  # days since the last order minus the return cycle
        ("cycle_days", pa.float64()),
        ("orders_last_180d", pa.int64()),  # sale orders in the 180 days to predictions_as_of
        ("orders_prior_180d", pa.int64()),  # ... in the 180 days before those
        ("frequency_change_pct", pa.float64()),  # null when there were none before
        ("aov_last_180d", MONEY),
        ("aov_prior_180d", MONEY),
        ("aov_change_pct", pa.float64()),
        ("refunded_cancelled_share", pa.float64()),  # of all the customer's orders, 0..1
        ("winback_discount_pct", pa.int64()),  # 0 for Low; capped by the margin
        ("expected_next_order", pa.date32()),  # null when another order is not likely (< 50%)
        ("model", pa.string()),  # mbgnbd or fallback
    ]
)

# Customers per churn level per day (each job.churn records its day; a second run of the
# same day replaces that day's rows).
CHURN_TIMELINE_VIEW = pa.schema(
    [
        ("day", pa.date32()),
        ("churn_level", pa.string()),
        ("customers", pa.int64()),
    ]
)

# The shop's fitted models (job.clv): one row per model, the newest fit of each.
PREDICTION_MODELS_VIEW = pa.schema(
    [
        ("model", pa.string()),  # bgnbd, gamma_gamma, mbgnbd
        ("as_of", pa.date32()),  # the last day of the data fitted
        ("fitted_at", TS),  # when the job was requested
        ("status", pa.string()),  # fitted, failed
        ("method", pa.string()),  # the optimiser
        ("converged", pa.bool_()),
        ("iterations", pa.int64()),
        ("customers", pa.int64()),  # customers in the fit
        ("log_likelihood", pa.float64()),
        ("params", pa.string()),  # JSON object of the parameters (time unit: days)
        ("message", pa.string()),  # why a fit failed; empty otherwise
    ]
)

# Backtests (job.backtest): fit on history up to ``cutoff`` (as_of - horizon), predict the
# horizon, compare with what happened. One row per as_of day.
BACKTESTS_VIEW = pa.schema(
    [
        ("as_of", pa.date32()),
        ("cutoff", pa.date32()),
        ("horizon_days", pa.int64()),
        ("fitted_at", TS),
        ("model", pa.string()),  # bgnbd or fallback
        ("customers", pa.int64()),  # customers with a sale order by the cutoff
        ("predicted_purchases", pa.float64()),
        ("actual_purchases", pa.int64()),  # their purchase days in the horizon
        ("purchases_error_pct", pa.float64()),  # (predicted - actual) / actual * 100
        ("predicted_revenue", pa.float64()),
        ("actual_revenue", pa.float64()),
        ("revenue_error_pct", pa.float64()),
        ("correlation", pa.float64()),  # Pearson, predicted vs actual purchases per customer
        ("interval_coverage", pa.float64()),  # share of customers inside their 80% interval
        ("message", pa.string()),
    ]
)
