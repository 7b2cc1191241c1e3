"""The one computed result every read view produces, whatever the output format."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Layout = Literal["list", "keyed", "single"]


@dataclass(frozen=True)
class Result:
    """Columns and rows, plus the envelope fields JSON carries around them.

    ``layout`` says how JSON nests the rows: ``list`` as ``data: [{column: value}]``,
    ``keyed`` as ``<key>: {first cell: {other columns}}`` (KPIs), ``single`` as the one row's
    fields at the top level (freshness). CSV is always the header row and then the rows.
    ``rows`` may be a lazy iterable (a CSV export streams); JSON reads it once.
    Cells are plain Python values: Decimal money, aware UTC datetimes, dates, numbers, str.
    """

    columns: tuple[str, ...]
    rows: Iterable[tuple[Any, ...]]
    meta: Mapping[str, Any] = field(default_factory=dict)
    layout: Layout = "list"
    key: str = "data"
