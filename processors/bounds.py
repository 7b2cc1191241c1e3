"""JSON values -> ids, counts, money, UTC dates and text that the shop state can hold (pure).

The state keeps ids and counts as BIGINT, money as DECIMAL(18,2), times as microsecond UTC
timestamps and text as UTF-8 (store/state_schema.py). A value outside the bounds below is
refused with ``InvalidValue`` (the field and the kind of problem, never the value); what is
merely missing or malformed gets the tolerant default it always had:

- ids: ``0 <= id <= MAX_ID``; not a number -> 0 ("none"); a negative ``customer_id`` is a
  guest (WooCommerce's own 0), any other id outside the range is refused;
- counts (quantities, stock, usage): ``|n| <= MAX_COUNT``; not a number -> 0;
- money: ``|amount| < MAX_AMOUNT`` after rounding to cents, which leaves room for sums in
  DECIMAL(18,2); empty or not a number -> 0; inf, nan, ``"Infinity"``, ``"NaN"`` refused;
- dates: ``EARLIEST <= date <= LATEST`` in UTC; empty or unparsable -> None;
- text: stripped; a lone surrogate (which ``json`` accepts and UTF-8 cannot encode) becomes
  U+FFFD; NUL is kept (DuckDB, Arrow, Parquet and the CSV writer accept it).

A float that is not finite is refused wherever a number is expected ("not a finite number").
Where WooCommerce sends an object (``billing``) or a list of objects (``line_items``),
anything else is refused ("not an object", "not a list") by the normaliser; null and an
empty list or object count as empty (PHP writes an empty array as ``[]``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from processors.errors import InvalidValue

MAX_ID = 2**63 - 1  # BIGINT
MAX_COUNT = 10**9
MAX_AMOUNT = Decimal(10**12)  # a trillion in the shop's currency; DECIMAL(18,2) holds 10**16
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

INTEGER_OUT_OF_RANGE = "integer out of range"
AMOUNT_OUT_OF_RANGE = "amount out of range"
NOT_FINITE = "not a finite number"
DATE_OUT_OF_RANGE = "date out of range"
NOT_AN_OBJECT = "not an object"
NOT_A_LIST = "not a list"

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_ROUNDS_TO_MAX = MAX_AMOUNT - CENT / 2  # from here on, rounding to cents reaches MAX_AMOUNT
_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole(value: Any, field: str) -> int | None:
    """A JSON number or numeric string as an int (a float truncated); None when it is none."""
    if type(value) is int:
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:  # not an integer, or more digits than Python converts
            return None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidValue(field, NOT_FINITE)
        return int(value)
    return None  # null, bool, list, object


def identifier(value: Any, field: str) -> int:
    """An id: ``0..MAX_ID``; a value that is no number -> 0."""
    number = _whole(value, field)
    if number is None:
        return 0
    if 0 <= number <= MAX_ID:
        return number
    raise InvalidValue(field, INTEGER_OUT_OF_RANGE)


def customer_identifier(value: Any, field: str) -> int:
    """A ``customer_id``: as ``identifier``, but a negative one is a guest (0)."""
    number = _whole(value, field)
    if number is None or number < 0:
        return 0
    if number <= MAX_ID:
        return number
    raise InvalidValue(field, INTEGER_OUT_OF_RANGE)


def count(value: Any, field: str) -> int:
    """A quantity: ``-MAX_COUNT..MAX_COUNT``; a value that is no number -> 0."""
    number = _whole(value, field)
    if number is None:
        return 0
    return checked_count(number, field)


def checked_count(number: int, field: str) -> int:
    if -MAX_COUNT <= number <= MAX_COUNT:
        return number
    raise InvalidValue(field, INTEGER_OUT_OF_RANGE)


def money(value: Any, field: str) -> Decimal:
    """Money strings (and numbers) -> Decimal with 2 places; empty or invalid -> 0."""
    if isinstance(value, str):  # WooCommerce sends money as strings
        try:
            amount = Decimal(value)
        except InvalidOperation:
            return ZERO
    elif type(value) is int:
        amount = Decimal(value)
    elif isinstance(value, float):  # line item ``price``; via str: 3.1 stays 3.1
        amount = Decimal(repr(value))
    else:
        return ZERO  # null, bool, list, object
    if amount.is_finite() and -_ROUNDS_TO_MAX < amount < _ROUNDS_TO_MAX:  # checked_amount, inline
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    raise InvalidValue(field, AMOUNT_OUT_OF_RANGE if amount.is_finite() else NOT_FINITE)


def checked_amount(amount: Decimal, field: str) -> Decimal:
    """``amount`` rounded to cents, or InvalidValue when it is not finite or too large."""
    if not amount.is_finite():
        raise InvalidValue(field, NOT_FINITE)
    if -_ROUNDS_TO_MAX < amount < _ROUNDS_TO_MAX:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    raise InvalidValue(field, AMOUNT_OUT_OF_RANGE)


def optional_money(value: Any, field: str) -> Decimal | None:
    return None if value is None or value == "" else money(value, field)


def gmt(value: Any, field: str) -> datetime | None:
    """``2017-03-22T19:28:08`` (UTC without offset) -> aware UTC datetime; empty or
    unparsable -> None; a date outside ``EARLIEST..LATEST`` -> InvalidValue."""
    if not value or not isinstance(value, str):
        return None
    at: datetime | None = None
    if len(value) == 19 and value[10] == "T":  # WooCommerce's own shape: 5 times faster
        try:  # than parsing it, then replace(tzinfo=UTC)
            at = datetime.fromisoformat(value + "+00:00")
        except ValueError:
            pass  # 2017-03-22T19:28+01 is 19 long too
    if at is None or at.tzinfo is None:
        at = _in_utc(value, field)
    if at is None or EARLIEST <= at <= LATEST:
        return at
    raise InvalidValue(field, DATE_OUT_OF_RANGE)


def _in_utc(value: str, field: str) -> datetime | None:
    """Any other ISO 8601 date or time, with or without an offset, in UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise InvalidValue(field, DATE_OUT_OF_RANGE) from None


def parse_gmt(value: Any) -> datetime | None:
    """As ``gmt``, for callers that only compare dates: out of range -> None, never raises."""
    try:
        return gmt(value, "date")
    except InvalidValue:
        return None


def text(value: Any) -> str:
    """A string stripped, lone surrogates replaced by U+FFFD; anything else -> ""."""
    return clean(value.strip()) if isinstance(value, str) else ""


def clean(value: str) -> str:
    """``value`` with each lone surrogate replaced by U+FFFD, so it encodes as UTF-8."""
    return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
