"""What ``wcpulse jobs run clv|churn|backtest`` prints once the views include the job."""

from __future__ import annotations

import json
from pathlib import Path

from processors.analytics.clv import CHURN_LEVELS
from schemas.jobs import BACKTEST, CHURN
from schemas.views import MANIFEST
from store.viewstore import read_view


def job_summary(views_dir: Path, job: str) -> str:
    manifest = json.loads((views_dir / MANIFEST).read_text())
    if job == CHURN:
        return _churn(views_dir, manifest.get("predictions_as_of"))
    if job == BACKTEST:
        return _backtest(views_dir)
    return _models(views_dir)


def _rows(views_dir: Path, name: str) -> list[dict]:
    table = read_view(views_dir, name)
    return table.to_pylist() if table is not None else []


def _models(views_dir: Path) -> str:
    rows = _rows(views_dir, "prediction_models")
    lines = []
    for row in rows:
        if row["status"] == "fitted":
            params = ", ".join(f"{k} {v:.4g}" for k, v in json.loads(row["params"]).items())
            lines.append(
                f"{row['model']:<12} fitted on {row['customers']} customers as of "
                f"{row['as_of']}: {params}; log-likelihood {row['log_likelihood']:.1f}"
            )
        else:
            lines.append(f"{row['model']:<12} not fitted: {row['message']}")
    return "\n".join(lines) or "no model fitted"


def _churn(views_dir: Path, as_of: str | None) -> str:
    values = [row["churn_level"] for row in _rows(views_dir, "churn")]
    lines = [f"churn risk of {len(values)} customers as of {as_of}"]
    lines += [f"  {level:<9} {values.count(level)}" for level in CHURN_LEVELS]
    return "\n".join(lines)


def _backtest(views_dir: Path) -> str:
    rows = _rows(views_dir, "backtests")
    if not rows:
        return "no backtest recorded"
    row = max(rows, key=lambda r: r["fitted_at"])
    if row["message"] and row["customers"] == 0:
        return f"backtest as of {row['as_of']}: {row['message']}"
    return (
        f"backtest as of {row['as_of']} ({row['model']}, fitted up to {row['cutoff']}, "
        f"{row['customers']} customers): predicted {row['predicted_purchases']} purchases, "
        f"actual {row['actual_purchases']} (error {row['purchases_error_pct']}%); revenue "
        f"error {row['revenue_error_pct']}%; correlation {row['correlation']}; "
        f"80% interval coverage {row['interval_coverage']}"
    )
