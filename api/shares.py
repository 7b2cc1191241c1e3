"""Shares (parts of a whole) as the read API shows them: a fraction 0..1 with 4 decimals."""

from __future__ import annotations

SHARE_DIGITS = 4


def share(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 decimals; ``None`` when there is no whole (SPEC §3:
    no base, no ratio)."""
    return round(part / whole, SHARE_DIGITS) if whole else None
