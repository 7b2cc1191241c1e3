"""RFM scores and segments (SPEC §4, seed 000).

Pure numpy: one row per customer with at least one paid order; the caller computes
recency (days since the last paid order, as of a day it chooses), frequency (paid orders)
and monetary (net spent). Nothing here reads a clock.

Scoring rule (``score_by_position``): each value scores the quintile of its tie group's
lowest position in the shop's distribution.

- *position*: sort the n values from worst to best and number the places 0 .. n - 1;
  a group of equal values fills consecutive places;
- *the group's lowest position* is therefore ``worse``, the number of values strictly
  worse than the group's value, and ``p = worse / n`` is in [0, 1);
- score = 1 + floor(5 * p): p in [0, 0.2) scores 1, [0.2, 0.4) 2, ..., [0.8, 1) 5.

Computed in exact integer arithmetic as ``1 + (5 * worse) // n``. Consequences, all tested:

- ties get the same score (the rule only looks at the value, not the row); when many
  buyers share the worst value (one order, say) they all have ``worse = 0`` and score 1;
- a better value has more values strictly worse, so it never gets a lower score, and
  reordering customers reorders the scores;
- with distinct values the five scores split the shop into quintiles whose sizes differ
  by at most one customer;
- the best value, when all n - 1 others are worse, scores 1 + floor(5 (n - 1) / n): 5 from
  n = 5 on, but 3 with n = 2 and 4 with n = 3 or 4 (a shop that small has no top fifth);
- all-equal values carry no position information: ``worse = 0``, so every customer scores
  1; a one-customer shop is that case with n = 1 (scores 1, 1, 1 -> "Lost");
- direction: ``higher_is_better=False`` (recency: fewer days is better) counts the
  *larger* values as worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

SEGMENTS: tuple[str, ...] = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "Recent Customers",
    "Promising",
    "Needs Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)

SEGMENT_DESCRIPTIONS: dict[str, str] = {
    "Champions": "Best customers: bought recently, buy often and spend the most.",
    "Loyal Customers": "Buy regularly and spend decent amounts.",
    "Potential Loyalist": "Bought recently, but not often yet.",
    "Recent Customers": "Bought recently, but these are their first purchases.",
    "Promising": "Recent buyers with moderate spend.",
    "Needs Attention": "Regular buyers who have not bought for a while.",
    "About to Sleep": "Used to be active, now quiet.",
    "At Risk": "Used to buy regularly, but have been away for a long time.",
    "Can't Lose Them": "Former VIPs who are leaving.",
    "Hibernating": "Have not bought for a very long time; average purchases before.",
    "Lost": "Have not bought for a very long time and spent little.",
}

SEGMENT_ACTIONS: dict[str, str] = {
    "Champions": "Reward them with a loyalty programme and let them try new products first.",
    "Loyal Customers": "Upsell premium products and encourage them to buy more often.",
    "Potential Loyalist": "Offer a loyalty programme and build the relationship.",
    "Recent Customers": "Build the relationship and help them get value from the product.",
    "Promising": "Build brand awareness and offer free samples.",
    "Needs Attention": "Make limited-time special offers.",
    "About to Sleep": "Share valuable content and recommend popular products.",
    "At Risk": "Send personalised e-mails and offer renewals or discounts.",
    "Can't Lose Them": "Win them back with strong reactivation campaigns; this is a priority.",
    "Hibernating": "Offer other products and special reactivation discounts.",
    "Lost": "Make one last reactivation attempt, or leave them out (the cost exceeds the return).",
}

# SPEC §4, rows R = 5..1, columns FM = 1..5.
_GRID_FROM_SPEC: tuple[tuple[str, ...], ...] = (
    ("Recent Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    ("Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Loyal Customers"),
    ("About to Sleep", "About to Sleep", "Needs Attention", "Loyal Customers", "Loyal Customers"),
    ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    ("Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
)


def _lookup_table() -> npt.NDArray[np.object_]:
    """``table[r, fm]`` for r, fm in 1..5; index 0 is unused."""
    table = np.full((6, 6), "", dtype=object)
    for row, r in zip(_GRID_FROM_SPEC, range(5, 0, -1), strict=True):
        table[r, 1:] = row
    return table


_SEGMENT_TABLE = _lookup_table()


@dataclass(frozen=True)
class RfmScores:
    """Per-customer scores, in the order of the input rows."""

    r: npt.NDArray[np.int8]
    f: npt.NDArray[np.int8]
    m: npt.NDArray[np.int8]
    fm: npt.NDArray[np.int8]
    segment: npt.NDArray[np.object_]


def score_by_position(values: npt.ArrayLike, higher_is_better: bool = True) -> npt.NDArray[np.int8]:
    """Score each value 1..5 by its tie group's lowest position in ``values`` (module doc).

    5 is best. With ``higher_is_better=False`` (recency in days) smaller values are better.
    Equal values get equal scores: that of the group's lowest position, so all-equal
    values (and a single value) score 1. NaN is rejected because it has no position.
    """
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError("values must be one-dimensional")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int8)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise ValueError("values must not contain NaN")
    ordered = np.sort(arr, kind="stable")
    if higher_is_better:
        worse = np.searchsorted(ordered, arr, side="left")
    else:
        worse = arr.size - np.searchsorted(ordered, arr, side="right")
    scores = 1 + (5 * worse.astype(np.int64)) // np.int64(arr.size)
    return scores.astype(np.int8)


def fm_score(f: npt.ArrayLike, m: npt.ArrayLike) -> npt.NDArray[np.int8]:
    """FM = round-half-up((F + M) / 2), in integers: (F + M + 1) // 2."""
    total = np.asarray(f, dtype=np.int64) + np.asarray(m, dtype=np.int64)
    return ((total + 1) // 2).astype(np.int8)


def _check_scores(*arrays: npt.NDArray[np.int64]) -> None:
    for arr in arrays:
        if arr.size and (arr.min() < 1 or arr.max() > 5):
            raise ValueError("RFM scores must be integers from 1 to 5")


def segments_for(r: npt.ArrayLike, f: npt.ArrayLike, m: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Vectorised ``segment_for``: the SPEC §4 segment for each (R, F, M)."""
    r_arr, f_arr, m_arr = np.broadcast_arrays(
        np.asarray(r, dtype=np.int64), np.asarray(f, dtype=np.int64), np.asarray(m, dtype=np.int64)
    )
    _check_scores(r_arr, f_arr, m_arr)
    fm = fm_score(f_arr, m_arr).astype(np.int64)
    return _SEGMENT_TABLE[r_arr, fm]


def segment_for(r: int, f: int, m: int) -> str:
    """The SPEC §4 segment for one customer's R, F and M scores (each 1..5)."""
    return str(segments_for(np.array([r]), np.array([f]), np.array([m]))[0])


def score_rfm(
    recency_days: npt.ArrayLike, frequency: npt.ArrayLike, monetary: npt.ArrayLike
) -> RfmScores:
    """Score and segment every customer of one shop (rows: customers with a paid order).

    ``recency_days``: days since the last paid order (fewer is better);
    ``frequency``: paid orders (at least 1); ``monetary``: net spent.
    """
    rec, freq, mon = (np.asarray(a) for a in (recency_days, frequency, monetary))
    if not rec.shape == freq.shape == mon.shape:
        raise ValueError("recency_days, frequency and monetary must have the same shape")
    if freq.size and freq.min() < 1:
        raise ValueError("every customer scored by RFM has at least one paid order")
    r = score_by_position(rec, higher_is_better=False)
    f = score_by_position(freq)
    m = score_by_position(mon)
    return RfmScores(r=r, f=f, m=m, fm=fm_score(f, m), segment=segments_for(r, f, m))
