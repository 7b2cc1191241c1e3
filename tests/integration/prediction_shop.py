"""CLV and churn predictions for the shop of tests/integration/customer_shop.py, written as
the five prediction views beside the views its real pipeline published.

The processors that compute predictions are not what these tests check: the rows below are
hand-written (values chosen so that every filter and sort has a distinct answer) and go
through the real writer (``store.viewstore.write_views``) with the contract schemas, as of
2024-04-10 (``predictions_as_of``). The manifest keeps the pipeline's ``scores_as_of``.

    CLV   12m     6m     value   band    model     churn  level     discount  next order
    P1    910.00  480.00 High    high    bgnbd     0.05   Low       0         2024-05-06
    P2     84.00   45.00 Medium  medium  bgnbd     0.30   Medium    5         2024-05-24
    P3     24.00   13.00 Low     low     bgnbd     0.40   Medium    5         -
    P4     24.00   14.00 Low     low     bgnbd     0.93   Critical  20        -
    P5     32.00   18.00 Medium  medium  bgnbd     0.62   High      10        -
    P7     36.00   20.00 Medium  low     bgnbd     0.20   Low       0         2024-05-03
    P8      5.00    3.00 Low     low     fallback  0.81   Critical  15        -   (fallback)

P6 has no sale order, so no prediction. P3 and P4 tie on the 12-month CLV (the
customer_key breaks it: ``guest-...`` sorts after ``4``).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from schemas.views import VIEWS
from store.layout import shop_paths
from store.viewstore import write_views
from tests.integration.customer_shop import NOW, P1, P2, P3, P4, P5, P7, P8, Person
from tests.integration.read_api_support import SHOP

AS_OF = date(2024, 4, 10)
PREDICTION_VIEWS = ("clv", "churn", "churn_timeline", "prediction_models", "backtests")
BGNBD_PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}

Row = dict[str, Any]


def _person(person: Person) -> Row:
    return {
        "customer_key": person.key,
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "phone": person.phone,
    }


def _money(*values: str | None) -> list[Decimal | None]:
    return [None if value is None else Decimal(value) for value in values]


# who, orders, purchase days, first day, last day, historical, expected purchases,
# expected order value, 6m, 12m, 12m low, 12m high, confidence, band, segment, model
CLV_ROWS: tuple[tuple[Any, ...], ...] = (
    (P1, 6, 6, "2023-11-05", "2024-04-05", "600.00", 9.5, "100.00", "480.00", "910.00",
     "700.00", "1100.00", 0.92, "high", "High", "bgnbd"),
    (P2, 2, 2, "2024-01-15", "2024-03-20", "80.00", 2.1, "40.00", "45.00", "84.00",
     "40.00", "130.00", 0.71, "medium", "Medium", "bgnbd"),
    (P3, 1, 1, "2024-04-09", "2024-04-09", "30.00", 0.8, "30.00", "13.00", "24.00",
     "5.00", "50.00", 0.45, "low", "Low", "bgnbd"),
    (P4, 1, 1, "2023-06-10", "2023-06-10", "200.00", 0.1, "200.00", "14.00", "24.00",
     "0.00", "60.00", 0.35, "low", "Low", "bgnbd"),
    (P5, 3, 2, "2024-02-10", "2024-03-01", "60.00", 1.6, "20.00", "18.00", "32.00",
     "10.00", "60.00", 0.6, "medium", "Medium", "bgnbd"),
    (P7, 1, 1, "2024-04-03", "2024-04-03", "40.00", 0.9, "40.00", "20.00", "36.00",
     "8.00", "70.00", 0.45, "low", "Medium", "bgnbd"),
    (P8, 1, 1, "2024-01-01", "2024-01-01", "25.00", 0.2, "25.00", "3.00", "5.00",
     "0.00", "15.00", 0.2, "low", "Low", "fallback"),
)  # fmt: skip


def clv_rows() -> list[Row]:
    rows = []
    for who, orders, days, first, last, historical, purchases, value, *rest in CLV_ROWS:
        six, twelve, low, high, confidence, band, segment, model = rest
        money = _money(historical, value, six, twelve, low, high)
        rows.append(
            _person(who)
            | {
                "orders": orders,
                "purchase_days": days,
                "first_order_day": date.fromisoformat(first),
                "last_order_day": date.fromisoformat(last),
                "historical_clv": money[0],
                "expected_purchases_12m": purchases,
                "expected_order_value": money[1],
                "predicted_clv_6m": money[2],
                "predicted_clv_12m": money[3],
                "clv_12m_low": money[4],
                "clv_12m_high": money[5],
                "confidence": confidence,
                "confidence_band": band,
                "value_segment": segment,
                "model": model,
            }
        )
    return rows


# who, probability, level, risk factors, days overdue, discount, expected next order, model
CHURN_ROWS: tuple[tuple[Any, ...], ...] = (
    (P1, 0.05, "Low", "", -26.0, 0, "2024-05-06", "mbgnbd"),
    (P2, 0.30, "Medium", "AOV -20%", -10.0, 5, "2024-05-24", "mbgnbd"),
    (P3, 0.40, "Medium", "one order only", None, 5, None, "mbgnbd"),
    (P4, 0.93, "Critical", "275 days overdue; one order only", 275.0, 20, None, "mbgnbd"),
    (P5, 0.62, "High", "20 days overdue; frequency -50%", 20.0, 10, None, "mbgnbd"),
    (P7, 0.20, "Low", "refunded or cancelled 50%", None, 0, "2024-05-03", "mbgnbd"),
    (P8, 0.81, "Critical", "100 days overdue", 100.0, 15, None, "fallback"),
)
_SEGMENTS = {row[0].key: row[14] for row in CLV_ROWS}
_LAST_DAYS = {row[0].key: row[4] for row in CLV_ROWS}


def churn_rows() -> list[Row]:
    rows = []
    for who, probability, level, factors, overdue, discount, next_order, model in CHURN_ROWS:
        rows.append(
            _person(who)
            | {
                "orders": 1,
                "last_order_day": date.fromisoformat(_LAST_DAYS[who.key]),
                "value_segment": _SEGMENTS[who.key],
                "churn_probability": probability,
                "churn_level": level,
                "risk_factors": factors,
                "days_overdue": overdue,
                "cycle_days": 30.0,
                "orders_last_180d": 1,
                "orders_prior_180d": 0,
                "frequency_change_pct": None,
                "aov_last_180d": Decimal("40.00"),
                "aov_prior_180d": None,
                "aov_change_pct": None,
                "refunded_cancelled_share": 0.0,
                "winback_discount_pct": discount,
                "expected_next_order": next_order and date.fromisoformat(next_order),
                "model": model,
            }
        )
    return rows


# Out of order on purpose; 03-31 has no High row and 04-03 only Medium (zeros to fill).
TIMELINE_ROWS: tuple[tuple[str, str, int], ...] = (
    ("2024-04-10", "Critical", 2),
    ("2024-03-31", "Low", 3),
    ("2024-04-10", "Low", 2),
    ("2024-04-03", "Medium", 6),
    ("2024-03-31", "Critical", 1),
    ("2024-04-10", "High", 1),
    ("2024-03-31", "Medium", 1),
    ("2024-04-10", "Medium", 2),
)


def timeline_rows() -> list[Row]:
    return [
        {"day": date.fromisoformat(day), "churn_level": level, "customers": customers}
        for day, level, customers in TIMELINE_ROWS
    ]


def model_row(model: str, status: str, params: dict[str, float] | None, **fields: Any) -> Row:
    return {
        "model": model,
        "as_of": AS_OF,
        "fitted_at": NOW,
        "status": status,
        "method": "L-BFGS-B",
        "converged": status == "fitted",
        "iterations": 40,
        "customers": 7,
        "log_likelihood": -55.25 if status == "fitted" else None,
        "params": json.dumps(params) if params is not None else "",
        "message": "" if status == "fitted" else "did not converge",
    } | fields


def model_rows() -> list[Row]:
    return [
        model_row("mbgnbd", "failed", None),
        model_row("bgnbd", "fitted", BGNBD_PARAMS, iterations=42),
        model_row("gamma_gamma", "fitted", GAMMA_GAMMA_PARAMS, customers=3),
    ]


def backtest_row(as_of: str, predicted: float, actual: int) -> Row:
    day = date.fromisoformat(as_of)
    return {
        "as_of": day,
        "cutoff": date.fromordinal(day.toordinal() - 90),
        "horizon_days": 90,
        "fitted_at": NOW,
        "model": "bgnbd",
        "customers": 6,
        "predicted_purchases": predicted,
        "actual_purchases": actual,
        "purchases_error_pct": (predicted - actual) / actual * 100,
        "predicted_revenue": predicted * 50,
        "actual_revenue": actual * 50.0,
        "revenue_error_pct": (predicted - actual) / actual * 100,
        "correlation": 0.61,
        "interval_coverage": 0.8,
        "message": "",
    }


def backtest_rows() -> list[Row]:
    return [backtest_row("2024-03-10", 7.5, 6), backtest_row("2024-04-10", 9.0, 10)]


def prediction_tables(**rows: list[Row]) -> dict[str, pa.Table]:
    """The five views from ``rows`` by view name (the hand-written ones by default)."""
    defaults = {
        "clv": clv_rows,
        "churn": churn_rows,
        "churn_timeline": timeline_rows,
        "prediction_models": model_rows,
        "backtests": backtest_rows,
    }
    return {
        name: pa.Table.from_pylist(rows.get(name, defaults[name]()), schema=VIEWS[name])
        for name in PREDICTION_VIEWS
    }


def publish_predictions(
    data_dir: Path, tables: dict[str, pa.Table], as_of: date | None = AS_OF
) -> str:
    """Write ``tables`` with the real writer beside the shop's other views; the manifest
    keeps what it said (scores_as_of) and gains ``predictions_as_of``."""
    views_dir = shop_paths(data_dir, SHOP.shop_id).views_dir
    manifest_path = views_dir / "manifest.json"
    before = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    extra = {k: v for k, v in before.items() if k not in ("version", "published_at")}
    extra["views"] = sorted(set(extra.get("views", [])) | set(tables))
    extra["predictions_as_of"] = as_of and as_of.isoformat()
    return write_views(views_dir, tables, NOW, extra)
