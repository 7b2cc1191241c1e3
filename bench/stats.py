"""Percentiles of latency samples (nearest-rank, no numpy needed)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(samples: Sequence[float], pct: float) -> float:
    """The nearest-rank ``pct`` percentile (0 < pct <= 100) of non-empty ``samples``."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of samples in seconds, as milliseconds rounded to 0.1."""
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 50) * 1000, 1),
        "p95_ms": round(percentile(samples, 95) * 1000, 1),
        "p99_ms": round(percentile(samples, 99) * 1000, 1),
        "max_ms": round(max(samples) * 1000, 1),
    }


def describe_ms(summary: dict[str, float]) -> str:
    if not summary.get("n"):
        return "no samples"
    return (
        f"p50 {summary['p50_ms']:.1f} ms  p95 {summary['p95_ms']:.1f} ms  "
        f"p99 {summary['p99_ms']:.1f} ms  max {summary['max_ms']:.1f} ms  (n={summary['n']})"
    )
