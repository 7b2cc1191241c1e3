"""processors/bounds.py's money, dates and text for the typed decoders (processors/decode_*.py),
with the fewest Python operations: the same results, bought cheaper.

A shop's bodies repeat the same money strings ("0.00", its prices) and the same dates (an
order's ``date_created_gmt`` is its ``date_modified_gmt`` until it changes), and ``money`` and
``gmt`` are pure functions of the value, so their results are remembered by value (at most
``REMEMBERED`` of each; then forgotten all at once, which is cheaper than keeping an LRU
order). Only results are remembered: a value that ``money`` or ``gmt`` refuses raises
InvalidValue every time, and the decoders leave that body to the old path, which names the
field. Money is remembered by text and float, never by int (``money(1)`` and
``money(1.0)`` would share a key), and never for a zero float (``-0.0 == 0.0`` but rounds to
``-0.00``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from processors.bounds import clean, gmt, money

REMEMBERED = 4096  # distinct values of each kind kept
_NOT_SEEN: Any = object()
_MONEY_TEXTS: dict[str, Decimal] = {}
_MONEY_FLOATS: dict[float, Decimal] = {}
_DATES: dict[str, datetime | None] = {}


def text_of(value: str | None) -> str:
    """``bounds.text`` of a JSON string or null."""
    if value is None:
        return ""
    value = value.strip()
    return value if value.isascii() else clean(value)


def money_of(value: str | int | float | None) -> Decimal:
    """``bounds.money`` of a JSON string, number or null; raises InvalidValue as it does
    (its message names no field: the old path names it)."""
    if value.__class__ is str:
        amount = _MONEY_TEXTS.get(value)  # type: ignore[arg-type]
        if amount is None:
            amount = _remember(_MONEY_TEXTS, value, money(value, ""))
        return amount
    if value.__class__ is float and value:
        amount = _MONEY_FLOATS.get(value)  # type: ignore[arg-type]
        if amount is None:
            amount = _remember(_MONEY_FLOATS, value, money(value, ""))
        return amount
    return money(value, "")


def date_of(value: str | None) -> datetime | None:
    """``bounds.gmt`` of a JSON string or null; raises InvalidValue as it does."""
    if not value:
        return None
    at = _DATES.get(value, _NOT_SEEN)
    if at is _NOT_SEEN:
        at = _remember(_DATES, value, _gmt(value))
    return at  # type: ignore[no-any-return]


def _gmt(value: str) -> datetime | None:
    """``gmt`` of WooCommerce's own shape (``2017-03-22T19:28:08``, UTC) in fewer steps: a
    year within 1970..2099 is within ``EARLIEST..LATEST``; any other value: ``gmt`` itself."""
    if len(value) == 19 and value[10] == "T":
        try:
            at = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            return gmt(value, "")
        if at.tzinfo is UTC and 1970 <= at.year < 2100:
            return at
    return gmt(value, "")


def _remember(kept: dict[Any, Any], value: Any, result: Any) -> Any:
    if len(kept) >= REMEMBERED:
        kept.clear()
    kept[value] = result
    return result
