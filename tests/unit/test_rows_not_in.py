"""``_rows_not_in``: what a refresh's rows change in a view, as DuckDB's ``EXCEPT`` says it
(the oracle here: the same two tables through DuckDB)."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pyarrow as pa

from processors.projections.projection import _rows_not_in

SCHEMA = pa.schema(
    [
        ("order_id", pa.int64()),
        ("code", pa.string()),
        ("discount", pa.decimal128(18, 2)),
        ("codes", pa.list_(pa.string())),
        ("amounts", pa.list_(pa.struct([("code", pa.string()), ("value", pa.float64())]))),
    ]
)


def _table(rows: list[tuple]) -> pa.Table:
    return pa.Table.from_pylist([dict(zip(SCHEMA.names, row, strict=True)) for row in rows], SCHEMA)


OLD = _table(
    [
        (1, "SALE", Decimal("1.50"), ["a"], [{"code": "a", "value": 1.5}]),
        (2, None, None, None, None),
        (3, "X", Decimal("2.00"), [], []),
        (4, "Y", Decimal("3.00"), ["b", "c"], [{"code": "b", "value": None}]),
    ]
)
NEW = _table(
    [
        (1, "SALE", Decimal("1.5"), ["a"], [{"code": "a", "value": 1.5}]),  # the same
        (2, None, None, None, None),  # the same, nulls and all
        (3, "X", Decimal("2.00"), [None], []),  # a list changed
        (4, "Y", Decimal("3.00"), ["c", "b"], [{"code": "b", "value": None}]),  # its order
        (5, "NEW", Decimal("0.10"), ["z"], None),  # a new row
    ]
)


def _except(new: pa.Table, old: pa.Table) -> set[int]:
    con = duckdb.connect()
    con.register("n", new)
    con.register("o", old)
    rows = con.execute("SELECT order_id FROM (SELECT * FROM n EXCEPT SELECT * FROM o)").fetchall()
    return {row[0] for row in rows}


def test_the_rows_that_changed_are_those_except_gives() -> None:
    found = _rows_not_in(NEW, OLD)
    assert set(found["order_id"].to_pylist()) == _except(NEW, OLD) == {3, 4, 5}
    assert found.schema.equals(NEW.schema)


def test_nothing_changed_nothing_found_and_an_empty_old_finds_all() -> None:
    assert _rows_not_in(OLD, OLD).num_rows == 0
    assert _rows_not_in(NEW, OLD.slice(0, 0)).num_rows == NEW.num_rows
