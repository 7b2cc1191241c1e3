"""The one computed result every read view produces, whatever the output format."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Layout = Literal["list", "keyed", "single", "record", "block"]


@dataclass(frozen=True)
class Result:
    """Columns and rows, plus the envelope fields JSON carries around them.

    ``layout`` says how JSON nests the rows: ``list`` as ``data: [{column: value}]``,
    ``keyed`` as ``<key>: {first cell: {other columns}}`` (KPIs), ``single`` as the one row's
    fields at the top level (freshness), ``record`` as the one row's object under ``key``
    (the Customer 360 profile), ``block`` as ``<key>: {"columns", "data"}`` (one of several
    tables, the others already in ``meta``). When ``meta`` already holds ``key`` (as a
    placeholder), the rows take that place in the JSON object.
    CSV is always the header row and then the rows.
    ``rows`` may be a lazy iterable (a CSV export streams); JSON reads it once.
    Cells are plain Python values: Decimal money, aware UTC datetimes, dates, numbers, str.
    """

    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    layout: Layout = "list"
    key: str = "data"


def row_objects(columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Rows as ``{column: value}`` objects, the way JSON shows them."""
    return [dict(zip(columns, row, strict=True)) for row in rows]


def table_block(columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> dict[str, Any]:
    """One table as JSON carries it beside others: ``{"columns", "data"}``."""
    return {"columns": list(columns), "data": row_objects(columns, rows)}
