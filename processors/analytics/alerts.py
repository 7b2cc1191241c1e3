"""Alert conditions (SPEC §4, seeds 000 and 002): pure functions of measured values and
thresholds, and the stable id of a raised alert. No I/O; times are arguments.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Check:
    """A condition evaluated: whether it fires and the measured value it compared."""

    fires: bool
    measured: float | None


def alert_key(shop_id: str, alert_type: str, dedup_key: str, at: datetime) -> int:
    """A stable positive 63-bit id of an alert raised ``at`` for ``dedup_key``."""
    text = "\x1f".join((shop_id, alert_type, dedup_key, at.isoformat()))
    value = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1
    return value or 1


def cooled_down(last_at: datetime | None, now: datetime, cooldown: timedelta) -> bool:
    """True when nothing was raised for the key, or the last one is ``cooldown`` old."""
    return last_at is None or now - last_at >= cooldown


def sales_drop(last_7: float, previous_7: float, drop_pct: float, min_previous: float) -> Check:
    """Net revenue of the last 7 full days against the 7 before: fires when it fell by
    ``drop_pct`` % or more and the 7 before had at least ``min_previous``."""
    if previous_7 <= 0 or previous_7 < min_previous:
        return Check(False, None)
    change = (last_7 - previous_7) / previous_7 * 100.0
    return Check(change <= -drop_pct, round(-change, 2))


def trending(last_7: float, previous_7: float, rise_pct: float, min_units: float) -> Check:
    """Units of the last 7 days against the 7 before: fires with at least ``min_units`` and
    a rise of ``rise_pct`` % or more (nothing before: the volume alone)."""
    if last_7 < min_units:
        return Check(False, None)
    if previous_7 <= 0:
        return Check(True, None)
    change = (last_7 - previous_7) / previous_7 * 100.0
    return Check(change >= rise_pct, round(change, 2))


def price_gap(optimal: float | None, price: float | None, min_gap_pct: float) -> Check:
    """How far the optimal price is from the price, in % of the price."""
    if optimal is None or price is None or not (math.isfinite(optimal) and price > 0):
        return Check(False, None)
    gap = abs(optimal - price) / price * 100.0
    return Check(gap > min_gap_pct, round(gap, 2))


def in_top(rank: int, count: int, top_pct: float) -> bool:
    """Whether the ``rank``-th (1 = best) of ``count`` is within the top ``top_pct`` %."""
    return count > 0 and rank <= max(1, math.ceil(count * top_pct / 100.0))


def overdue_hours(paid_at: datetime, now: datetime) -> float:
    return (now - paid_at).total_seconds() / 3600.0
