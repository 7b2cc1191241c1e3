"""Query parameters: one declaration (ParamSpec) both parses requests and documents them.

A value we cannot use is a 400 ``invalid_parameter`` naming the parameter and what it
accepts; every parameter accepts exactly what its OpenAPI schema allows. A typed value
(date, whole number, amount, number, true/false, one of a set) must be given in full:
empty (``?to=``) or padded with spaces, it is refused like any other bad value. An empty
``string`` or ``list`` (``?status=``) means no filter. Whole numbers lie within
``minimum``..``maximum`` (by default +-``MAX_INTEGER``, the integers a JSON number holds
exactly); amounts have at most 16 digits before the point (``decimal(18, 2)``). An
``enum`` (or a ``list`` with an ``enum``) declared ``loose`` matches its names ignoring
case, spaces and punctuation (``at_risk`` is ``At risk``) and answers with the declared
spelling. A parameter the route does not declare is a 400 naming it (a misspelt filter would
otherwise answer every row as if it were applied); so is a cache-buster or a tracking tag.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from werkzeug.datastructures import MIMEAccept, MultiDict

from api.errors import InvalidParameter

Kind = Literal["string", "list", "date", "integer", "decimal", "number", "boolean", "enum"]
FORMATS = ("json", "csv")
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50
MAX_PAGE = 1_000_000_000  # page x per_page stays far inside a 64-bit row offset
MAX_INTEGER = 2**53 - 1  # the largest whole number a JSON number holds exactly
UNTYPED: tuple[Kind, ...] = ("string", "list")  # kinds whose empty value means "no filter"

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?0*(\d{1,16})")  # more digits than MAX_INTEGER's: out of range
_DIGITS = re.compile(r"[+-]?\d+")
DECIMAL_PATTERN = r"^-?\d{1,16}(\.\d+)?$"  # an amount of decimal(18, 2): below 1e16
NUMBER_PATTERN = r"^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$"  # a JSON number
_DECIMAL = re.compile(DECIMAL_PATTERN)
_NUMBER = re.compile(NUMBER_PATTERN)
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: Kind
    description: str
    enum: tuple[str, ...] = ()
    default: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    loose: bool = False  # enum names match ignoring case, spaces and punctuation

    @property
    def bounds(self) -> tuple[int | float | None, int | float | None]:
        """``minimum`` and ``maximum``; a whole number is always bounded (MAX_INTEGER)."""
        if self.kind == "integer":
            low = -MAX_INTEGER if self.minimum is None else self.minimum
            return low, MAX_INTEGER if self.maximum is None else self.maximum
        return self.minimum, self.maximum


FORMAT = ParamSpec(
    "format", "enum", "Output format; without it `Accept: text/csv` selects CSV.", FORMATS
)
PAGE = ParamSpec(
    "page",
    "integer",
    "Page number, from 1 (a page past the last one is empty). CSV without `page` exports "
    "every matching row.",
    minimum=1,
    maximum=MAX_PAGE,
)
PER_PAGE = ParamSpec(
    "per_page",
    "integer",
    "Rows per page.",
    default=DEFAULT_PER_PAGE,
    minimum=1,
    maximum=MAX_PER_PAGE,
)


def _invalid(spec: ParamSpec, expected: str, raw: str) -> InvalidParameter:
    return InvalidParameter(f"{spec.name} must be {expected} (got {raw!r})")


def _parse_date(spec: ParamSpec, raw: str) -> date:
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
    except ValueError:
        pass
    raise _invalid(spec, "a date as YYYY-MM-DD", raw)


def _check_bounds(spec: ParamSpec, value: Any, raw: str) -> None:
    low, high = spec.bounds
    if low is not None and value < low:
        raise _invalid(spec, f"at least {low}", raw)
    if high is not None and value > high:
        raise _invalid(spec, f"at most {high}", raw)


def _parse_integer(spec: ParamSpec, raw: str) -> int:
    match = _INTEGER.fullmatch(raw)
    if match is None and _DIGITS.fullmatch(raw):  # too many digits for any bound
        low, high = spec.bounds
        below = raw.startswith("-")
        raise _invalid(spec, f"at least {low}" if below else f"at most {high}", raw)
    if match is None:
        raise _invalid(spec, "a whole number", raw)
    value = int(raw)
    _check_bounds(spec, value, raw)
    return value


def _parse_decimal(spec: ParamSpec, raw: str) -> Decimal:
    if not _DECIMAL.fullmatch(raw):
        raise _invalid(spec, "an amount such as 12.50 (at most 16 digits before the point)", raw)
    value = Decimal(raw)
    _check_bounds(spec, value, raw)
    return value


def _parse_number(spec: ParamSpec, raw: str) -> float:
    low, high = spec.bounds
    value = float(raw) if _NUMBER.fullmatch(raw) else math.nan
    if not math.isfinite(value):  # not a number, or beyond what a float holds
        bounded = low is not None and high is not None
        raise _invalid(spec, f"a number from {low} to {high}" if bounded else "a number", raw)
    _check_bounds(spec, value, raw)
    return value


def _parse_boolean(spec: ParamSpec, raw: str) -> bool:
    value = _BOOLEANS.get(raw.lower())
    if value is None:
        raise _invalid(spec, "true or false", raw)
    return value


def _folded(name: str) -> str:
    return _NOT_ALNUM.sub("", name.lower())


def _match(spec: ParamSpec, raw: str) -> str | None:
    """The declared name ``raw`` stands for, or ``None``."""
    if raw in spec.enum:
        return raw
    if spec.loose:
        return next((name for name in spec.enum if _folded(name) == _folded(raw)), None)
    return None


def _parse_enum(spec: ParamSpec, raw: str) -> str:
    value = _match(spec, raw)
    if value is None:
        raise _invalid(spec, "one of " + ", ".join(spec.enum), raw)
    return value


def _parse_list(spec: ParamSpec, raw: str) -> list[str]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not spec.enum:
        return parts
    values = [_match(spec, part) for part in parts]
    for part, value in zip(parts, values, strict=True):
        if value is None:
            raise _invalid(spec, "a comma-separated list of " + ", ".join(spec.enum), part)
    return list(dict.fromkeys(value for value in values if value is not None))


_PARSERS: dict[Kind, Callable[[ParamSpec, str], Any]] = {
    "string": lambda spec, raw: raw,
    "list": _parse_list,
    "date": _parse_date,
    "integer": _parse_integer,
    "decimal": _parse_decimal,
    "number": _parse_number,
    "boolean": _parse_boolean,
    "enum": _parse_enum,
}


def _raw_value(spec: ParamSpec, args: MultiDict[str, str]) -> str | None:
    """The value sent for ``spec`` (a list's repeats joined by commas); None when absent."""
    if spec.kind == "list":
        return ",".join(args.getlist(spec.name))
    raw = args.get(spec.name)
    return raw.strip() if raw is not None and spec.kind in UNTYPED else raw


def _parse(spec: ParamSpec, raw: str | None) -> Any:
    if raw is None or (raw == "" and spec.kind in UNTYPED):
        return None
    if raw == "":
        raise InvalidParameter(f"{spec.name} is empty: leave it out or give a value")
    return _PARSERS[spec.kind](spec, raw)


MAX_NAME_SHOWN = 40  # an unknown parameter's name is quoted back up to this length


def refuse_unknown(specs: tuple[ParamSpec, ...], args: MultiDict[str, str]) -> None:
    """A 400 naming every parameter in ``args`` that ``specs`` does not declare."""
    declared = [spec.name for spec in specs]
    unknown = sorted(name for name in set(args) if name not in declared)
    if not unknown:
        return
    names = ", ".join(repr(name[:MAX_NAME_SHOWN]) for name in unknown)
    takes = ("takes " + ", ".join(declared)) if declared else "takes no query parameters"
    plural = "s" if len(unknown) > 1 else ""
    raise InvalidParameter(f"unknown parameter{plural} {names}: this route {takes}")


def parse_query(specs: tuple[ParamSpec, ...], args: MultiDict[str, str]) -> dict[str, Any]:
    """Every declared parameter, parsed, or its default (``None`` when it has none); a
    parameter that is not declared is refused."""
    refuse_unknown(specs, args)
    values: dict[str, Any] = {}
    for spec in specs:
        parsed = _parse(spec, _raw_value(spec, args))
        values[spec.name] = spec.default if parsed in (None, []) else parsed
    return values


def negotiate_format(values: Mapping[str, Any], accept: MIMEAccept) -> str:
    """``?format=`` wins; otherwise CSV when the client prefers ``text/csv``, else JSON."""
    if values.get("format"):
        return str(values["format"])
    best = accept.best_match(["application/json", "text/csv"])
    return "csv" if best == "text/csv" else "json"
