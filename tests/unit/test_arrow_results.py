"""``arrow_of`` (the client's one-statement Arrow path) gives what DuckDB's public DB-API
path gives: the same schema and rows, for every type the shop state and views hold, with
named and positional parameters, an empty result, and rows a DELETE ... RETURNING gives."""

from __future__ import annotations

import duckdb
import pytest

from store import arrow_results
from store.arrow_results import arrow_of, executed_arrow

ROWS_SQL = """
SELECT * FROM (VALUES
    (1::BIGINT, 'zażółć'::VARCHAR, TIMESTAMPTZ '2026-03-29 01:30:00+00', DATE '2026-03-29',
     12.34::DECIMAL(18, 2), ['a', 'b']::VARCHAR[], [1.50, NULL]::DECIMAL(18, 2)[], true,
     0.5::DOUBLE, {'k': 1}),
    (2, '', NULL, NULL, NULL, []::VARCHAR[], NULL, NULL, 'NaN'::DOUBLE, NULL)
) t(id, name, seen_at, day, money, codes, amounts, flag, ratio, meta)
ORDER BY id
"""


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'Europe/Warsaw'")
    yield connection
    connection.close()


def test_the_direct_path_is_taken_on_this_duckdb() -> None:
    # the speed-up this module exists for; a DuckDB without it fails here, not silently
    assert arrow_results._SUBMIT is not None


def test_every_state_type_comes_out_as_the_public_path_gives_it(con) -> None:
    direct, public = arrow_of(con, ROWS_SQL), executed_arrow(con, ROWS_SQL)
    assert direct.schema.equals(public.schema)
    assert direct.to_pylist()[0] == public.to_pylist()[0]
    assert direct.num_rows == public.num_rows == 2
    assert direct.column("name").to_pylist() == ["zażółć", ""]


def test_named_and_positional_parameters(con) -> None:
    named = arrow_of(con, "SELECT $a::BIGINT + 1 AS x, $b AS y", {"a": 41, "b": ["p", "q"]})
    assert named.to_pylist() == [{"x": 42, "y": ["p", "q"]}]
    positional = arrow_of(con, "SELECT ?::VARCHAR AS s", ("guest-0a",))
    assert positional.to_pylist() == [{"s": "guest-0a"}]


def test_an_empty_result_keeps_its_columns(con) -> None:
    table = arrow_of(con, "SELECT 1::BIGINT AS order_id, 'x' AS email WHERE false")
    assert table.num_rows == 0
    assert table.schema.names == ["order_id", "email"]
    assert table.schema.equals(
        executed_arrow(con, "SELECT 1::BIGINT AS order_id, 'x' AS email WHERE false").schema
    )


def test_rows_returned_by_a_delete_inside_a_transaction(con) -> None:
    con.execute("CREATE TABLE mv (order_id BIGINT, customer_key VARCHAR)")
    con.execute("INSERT INTO mv VALUES (1, '25'), (2, 'guest-0a1b'), (3, '25')")
    con.execute("BEGIN")
    gone = arrow_of(con, "DELETE FROM mv WHERE order_id IN (1, 3) RETURNING customer_key")
    assert sorted(gone.column("customer_key").to_pylist()) == ["25", "25"]
    con.execute("ROLLBACK")
    assert con.execute("SELECT count(*) FROM mv").fetchone() == (3,)


def test_a_failing_statement_raises_and_the_connection_goes_on(con) -> None:
    with pytest.raises(duckdb.Error):
        arrow_of(con, "SELECT * FROM no_such_table")
    assert arrow_of(con, "SELECT 7 AS x").to_pylist() == [{"x": 7}]
