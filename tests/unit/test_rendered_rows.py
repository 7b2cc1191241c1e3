"""A list page's cells formatted by Arrow (``rendered_rows``) read exactly as the cells the
renderers format one by one (``table_rows``, the path every other result takes): the same
JSON values and the same CSV text, for every kind of column a view holds, including those
Arrow leaves to Python (sub-second times, money of another scale) and values the API shows
as null (NaN, dates Python cannot hold)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from api.queries import rendered_rows, table_rows
from api.render import csv_chunks, json_body, json_response
from api.result import Result

WARSAW = timezone(timedelta(hours=1))
SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("created_at", pa.timestamp("us", tz="UTC")),
        ("noted_at", pa.timestamp("us")),
        ("local_at", pa.timestamp("us", tz="Europe/Warsaw")),
        ("revenue_day", pa.date32()),
        ("net", pa.decimal128(18, 2)),
        ("rate", pa.decimal128(18, 4)),
        ("share", pa.float64()),
        ("status", pa.string()),
        ("is_sale", pa.bool_()),
    ]
)

times = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
whole_seconds = times.map(lambda value: value.replace(microsecond=0))
moments = st.one_of(st.none(), whole_seconds, whole_seconds, times)
cents = st.integers(-(10**12), 10**12).map(lambda n: Decimal(n).scaleb(-2))
row = st.fixed_dictionaries(
    {
        "order_id": st.integers(1, 10**9),
        "created_at": moments,
        "noted_at": moments.map(lambda value: value and value.replace(tzinfo=None)),
        "local_at": moments.map(lambda value: value and value.astimezone(WARSAW)),
        "revenue_day": st.one_of(st.none(), st.dates(date(1, 1, 1), date(9999, 12, 31))),
        "net": st.one_of(st.none(), cents),
        "rate": st.one_of(st.none(), cents.map(lambda value: value.scaleb(-2))),
        "share": st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
        "status": st.one_of(st.none(), st.text(max_size=8)),
        "is_sale": st.one_of(st.none(), st.booleans()),
    }
)


def _dumped(rows: list[tuple]) -> bytes:
    """The bytes the API sends for a page of ``rows``."""
    return json_response(json_body(Result(tuple(SCHEMA.names), rows))).get_data()


def csv_of(rows: list[tuple]) -> str:
    return "".join(csv_chunks(SCHEMA.names, rows))


@settings(max_examples=200, deadline=None)
@given(st.lists(row, max_size=12))
def test_arrow_formatted_cells_read_as_the_python_formatted_ones(rows):
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    assert json.loads(_dumped(rendered_rows(table))) == json.loads(_dumped(table_rows(table)))
    assert csv_of(rendered_rows(table)) == csv_of(table_rows(table))


def test_whole_second_times_dates_and_cents_are_formatted_by_arrow():
    """The fast path is taken (strings come back, not Python values) and reads as the API
    documents: UTC with a Z, ISO days, money with two decimals."""
    table = pa.Table.from_pylist(
        [
            {
                "order_id": 7,
                "created_at": datetime(2024, 1, 5, 10, 0, 7, tzinfo=UTC),
                "noted_at": datetime(2024, 1, 5, 10, 0, 7),
                "local_at": datetime(2024, 1, 5, 11, 0, 7, tzinfo=WARSAW),
                "revenue_day": date(2024, 1, 5),
                "net": Decimal("-12.30"),
                "rate": Decimal("0.1250"),
                "share": float("nan"),
                "status": "completed",
                "is_sale": True,
            }
        ],
        schema=SCHEMA,
    )
    (cells,) = rendered_rows(table)
    assert cells[1:6] == (
        "2024-01-05T10:00:07Z",
        "2024-01-05T10:00:07Z",
        "2024-01-05T10:00:07Z",
        "2024-01-05",
        "-12.30",
    )
    assert cells[6] == Decimal("0.1250") and cells[7] is None
    assert json.loads(_dumped([cells]))["data"][0]["rate"] == "0.13"  # rounded half up
