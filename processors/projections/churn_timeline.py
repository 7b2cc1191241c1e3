"""The churn timeline's rows: the customers per churn level, one day at a time.

The recorded days are the ``job.churn`` runs (``prediction_jobs.py`` writes their counts);
the prediction day's counts are those of the churn view as published now, so the current
day moves with every order. Every level has a row on each day, zeros included.
"""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.clv import CHURN_LEVELS
from schemas.prediction_views import CHURN_TIMELINE_VIEW


def churn_counts(churn: pa.Table) -> dict[str, int]:
    """Customers per churn level (every level, zeros included)."""
    counts = dict.fromkeys(CHURN_LEVELS, 0)
    for found in pc.value_counts(churn["churn_level"]).to_pylist():
        counts[found["values"]] = found["counts"]
    return counts


def counts_table(day: date, counts: dict[str, int]) -> pa.Table:
    """Rows of the churn timeline: one day's customers per level."""
    return pa.table(
        {
            "day": pa.array([day] * len(counts), pa.date32()),
            "churn_level": pa.array(list(counts), pa.string()),
            "customers": pa.array(list(counts.values()), pa.int64()),
        },
        schema=CHURN_TIMELINE_VIEW,
    )


def with_current_day(timeline: pa.Table, churn: pa.Table, day: date | None) -> pa.Table:
    """``with_current_counts`` with the counts of ``churn``."""
    return with_current_counts(timeline, churn_counts(churn), day)


def with_current_counts(timeline: pa.Table, counts: dict[str, int], day: date | None) -> pa.Table:
    """The recorded timeline with the prediction day's counts taken from the churn view as
    published now (the recorded days are the ``job.churn`` runs; the current day moves with
    every order)."""
    if day is None:
        return timeline
    kept = timeline.filter(pc.not_equal(timeline["day"], pa.scalar(day, pa.date32())))
    today = counts_table(day, dict.fromkeys(CHURN_LEVELS, 0) | counts)
    return pa.concat_tables([kept, today]).sort_by(
        [("day", "ascending"), ("churn_level", "ascending")]
    )
