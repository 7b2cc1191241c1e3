"""Query parameters: one declaration (ParamSpec) both parses requests and documents them.

An empty value (``?status=``) counts as absent; a value we cannot use is a 400
``invalid_parameter`` naming the parameter and what it accepts. An ``enum`` (or a ``list``
with an ``enum``) declared ``loose`` matches its names ignoring case, spaces and
punctuation (``at_risk`` is ``At risk``) and answers with the declared spelling. Unknown
parameters are ignored, so cache-busters and tracking tags do no harm.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from werkzeug.datastructures import MIMEAccept, MultiDict

from api.errors import InvalidParameter

Kind = Literal["string", "list", "date", "integer", "decimal", "boolean", "enum"]
FORMATS = ("json", "csv")
MAX_PER_PAGE = 500
DEFAULT_PER_PAGE = 50

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INTEGER = re.compile(r"[+-]?\d{1,18}")
_MONEY_LIMIT = Decimal("1e16")  # decimal(18, 2)
_NOT_ALNUM = re.compile(r"[^0-9a-z]")
_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


@dataclass(frozen=True)
class ParamSpec:
    name: str
    kind: Kind
    description: str
    enum: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None
    loose: bool = False  # enum names match ignoring case, spaces and punctuation


FORMAT = ParamSpec(
    "format", "enum", "Output format; without it `Accept: text/csv` selects CSV.", FORMATS
)
PAGE = ParamSpec(
    "page",
    "integer",
    "Page number, from 1. CSV without `page` exports every matching row.",
    minimum=1,
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


def _parse_integer(spec: ParamSpec, raw: str) -> int:
    if not _INTEGER.fullmatch(raw):
        raise _invalid(spec, "a whole number", raw)
    value = int(raw)
    if spec.minimum is not None and value < spec.minimum:
        raise _invalid(spec, f"at least {spec.minimum}", raw)
    if spec.maximum is not None and value > spec.maximum:
        raise _invalid(spec, f"at most {spec.maximum}", raw)
    return value


def _parse_decimal(spec: ParamSpec, raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) >= _MONEY_LIMIT:
        bounded = spec.minimum is not None and spec.maximum is not None
        expected = f"a number from {spec.minimum} to {spec.maximum}" if bounded else ""
        raise _invalid(spec, expected or "an amount such as 12.50", raw)
    if spec.minimum is not None and value < spec.minimum:
        raise _invalid(spec, f"at least {spec.minimum}", raw)
    if spec.maximum is not None and value > spec.maximum:
        raise _invalid(spec, f"at most {spec.maximum}", raw)
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
    "boolean": _parse_boolean,
    "enum": _parse_enum,
}


def _raw_value(spec: ParamSpec, args: MultiDict[str, str]) -> str:
    if spec.kind == "list":
        return ",".join(args.getlist(spec.name))
    return (args.get(spec.name) or "").strip()


def parse_query(specs: tuple[ParamSpec, ...], args: MultiDict[str, str]) -> dict[str, Any]:
    """Every declared parameter, parsed, or its default (``None`` when it has none)."""
    values: dict[str, Any] = {}
    for spec in specs:
        raw = _raw_value(spec, args)
        parsed = _PARSERS[spec.kind](spec, raw) if raw else None
        values[spec.name] = spec.default if parsed in (None, []) else parsed
    return values


def negotiate_format(values: Mapping[str, Any], accept: MIMEAccept) -> str:
    """``?format=`` wins; otherwise CSV when the client prefers ``text/csv``, else JSON."""
    if values.get("format"):
        return str(values["format"])
    best = accept.best_match(["application/json", "text/csv"])
    return "csv" if best == "text/csv" else "json"
