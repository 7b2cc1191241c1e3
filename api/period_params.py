"""The reporting-period parameters (``period``, ``from``, ``to``) and what they resolve to."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from api.errors import InvalidParameter
from api.params import ParamSpec
from processors.analytics.periods import (
    CUSTOM,
    DEFAULT_PERIOD,
    PERIOD_NAMES,
    InvalidPeriod,
    Period,
    previous_period,
    resolve_period,
)

PERIOD = ParamSpec(
    "period",
    "enum",
    "Reporting period (days in the shop's timezone). Default last_30_days; "
    "`from` and `to` alone imply custom. previous_week: the last full Monday-Sunday week; "
    "last_month: the last full calendar month.",
    PERIOD_NAMES,
)
PERIOD_FROM = ParamSpec(
    "from", "date", "First day of a custom period (YYYY-MM-DD), on or before `to`."
)
PERIOD_TO = ParamSpec("to", "date", "Last day of a custom period, inclusive (YYYY-MM-DD).")
PERIOD_PARAMS = (PERIOD, PERIOD_FROM, PERIOD_TO)

# Rules between parameters that each have a valid value: a 400 invalid_parameter with this
# text (processors/analytics/periods.py words them), stated in each route's OpenAPI.
FROM_BEFORE_TO = "from must be on or before to"
PERIOD_RULES = (
    "from and to are only used with period=custom",
    "period=custom needs both from and to",
    FROM_BEFORE_TO,
)
TOO_EARLY = "period starts too early to compare with the one before"


def requested_period(values: Mapping[str, Any], today: date) -> Period:
    """The period asked for; a 400 naming the problem otherwise."""
    start, end = values.get("from"), values.get("to")
    implied = CUSTOM if start or end else DEFAULT_PERIOD
    try:
        return resolve_period(values.get("period") or implied, today, start, end)
    except InvalidPeriod as exc:
        raise InvalidParameter(str(exc)) from None


def requested_periods(values: Mapping[str, Any], today: date) -> tuple[Period, Period]:
    """The period asked for and the one before it; a 400 naming the problem otherwise."""
    current = requested_period(values, today)
    try:
        return current, previous_period(current)
    except InvalidPeriod as exc:
        raise InvalidParameter(str(exc)) from None
