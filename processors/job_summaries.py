"""What ``wcpulse jobs run JOB`` prints once the views include the job (from the views)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from processors.analytics.clv import CHURN_LEVELS
from processors.analytics.rfm import SEGMENTS
from schemas.views import MANIFEST
from store.view_files import read_view


def _manifest(views_dir: Path) -> dict[str, Any]:
    return json.loads((views_dir / MANIFEST).read_text())


def _rows(views_dir: Path, name: str) -> list[dict]:
    table = read_view(views_dir, name)
    return table.to_pylist() if table is not None else []


def segments_summary(views_dir: Path) -> str:
    """``job.rfm``: the customers per segment."""
    counts = Counter(row["segment"] for row in _rows(views_dir, "customers") if row["segment"])
    as_of = _manifest(views_dir).get("scores_as_of")
    lines = [f"rescored {sum(counts.values())} customers as of {as_of}"]
    lines += [f"  {name:<20} {counts.get(name, 0)}" for name in SEGMENTS]
    return "\n".join(lines)


def models_summary(views_dir: Path) -> str:
    """``job.clv``: each model's fit, or why it failed."""
    lines = []
    for row in _rows(views_dir, "prediction_models"):
        if row["status"] == "fitted":
            params = ", ".join(f"{k} {v:.4g}" for k, v in json.loads(row["params"]).items())
            lines.append(
                f"{row['model']:<12} fitted on {row['customers']} customers as of "
                f"{row['as_of']}: {params}; log-likelihood {row['log_likelihood']:.1f}"
            )
        else:
            lines.append(f"{row['model']:<12} not fitted: {row['message']}")
    return "\n".join(lines) or "no model fitted"


def churn_summary(views_dir: Path) -> str:
    """``job.churn``: the customers per churn level."""
    values = [row["churn_level"] for row in _rows(views_dir, "churn")]
    as_of = _manifest(views_dir).get("predictions_as_of")
    lines = [f"churn risk of {len(values)} customers as of {as_of}"]
    lines += [f"  {level:<9} {values.count(level)}" for level in CHURN_LEVELS]
    return "\n".join(lines)


def backtest_summary(views_dir: Path) -> str:
    """``job.backtest``: the newest backtest's errors, correlation and coverage."""
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


def products_summary(views_dir: Path) -> str:
    """``job.products``: the products per grade, and how many have an elasticity."""
    rows = _rows(views_dir, "products")
    grades = Counter(row["grade"] for row in rows)
    as_of = _manifest(views_dir).get("products_as_of")
    fitted = sum(1 for row in rows if row["elasticity"] is not None)
    lines = [f"scored {len(rows)} products as of {as_of}; {fitted} with a price elasticity"]
    lines += [f"  {grade:<3} {grades.get(grade, 0)}" for grade in ("A+", "B", "C", "D", "F")]
    return "\n".join(lines)


def retention_summary(views_dir: Path) -> str:
    """``job.retention``: what the raw log purge dropped (``processors/retention.py``)."""
    done = _manifest(views_dir).get("raw_retention") or {"days": None}
    if done["days"] is None:
        return "no raw event retention set: every event is kept (wcpulse shop set-retention)"
    return "\n".join(
        [
            f"raw log purged: {done['dropped']:,} of {done['envelopes']:,} envelopes dropped "
            f"(superseded, received before {done['cutoff']}; retention {done['days']} days) "
            f"in {done['seconds']} s",
            f"rejected envelopes received before the cutoff, dropped: {done['rejected_dropped']:,}",
        ]
    )


def alerts_summary(views_dir: Path) -> str:
    """``job.alerts``: the alerts open (not acknowledged) per severity, the newest first."""
    rows = [row for row in _rows(views_dir, "alerts") if not row["acknowledged"]]
    rows.sort(key=lambda row: row["created_at"], reverse=True)
    severities = Counter(row["severity"] for row in rows)
    counts = ", ".join(f"{severities.get(s, 0)} {s}" for s in ("critical", "warning", "info"))
    lines = [f"{len(rows)} open alerts ({counts})"]
    lines += [f"  {row['severity']:<8} {row['title']}" for row in rows[:10]]
    return "\n".join(lines)


def fulfillment_summary(views_dir: Path) -> str:
    """``job.fulfillment``: the orders alerted as not completed within the SLA, still open."""
    rows = [
        row
        for row in _rows(views_dir, "alerts")
        if row["type"] == "fulfillment_delayed" and not row["acknowledged"]
    ]
    rows.sort(key=lambda row: row["measured"] or 0, reverse=True)
    lines = [f"{len(rows)} paid orders alerted as not completed within the SLA (open alerts)"]
    lines += [f"  {row['title']}" for row in rows[:10]]
    return "\n".join(lines)


def digests_summary(views_dir: Path) -> str:
    """``job.digests``: the warnings and info alerts the digests are made of (open ones)."""
    rows = [row for row in _rows(views_dir, "alerts") if not row["acknowledged"]]
    counts = Counter(row["severity"] for row in rows)
    return (
        f"sent the digests now: {counts.get('warning', 0)} open warnings, "
        f"{counts.get('info', 0)} open info alerts (each alert goes to each recipient once)"
    )
