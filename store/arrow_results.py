"""Arrow results of DuckDB statements, planned once and read once.

DuckDB 2.0's public ways to Arrow each do a statement's work twice:
``con.sql(query).to_arrow_table()`` binds the statement to learn its columns and then plans
it again to run it; ``con.execute(query).to_arrow_table()`` plans it once, but then reads
its rows back through a second statement over them (DuckDB warns of the extra copy). The
Python client runs every statement through one function, ``duckdb._seam.submit``, which
can hand the rows over as Arrow directly: one plan, one read. On the orders of a live
publish's refresh (100 orders of a million) that is 8.4 ms against 12.9 for ``execute`` and
19.2 for ``sql``; on a 100-row lookup, 2.2 ms against 3.7 (``bench publish``).

``_seam`` is the client's own module, not its public interface: when a DuckDB release no
longer has it, ``arrow_of`` falls back to ``execute`` (the same rows, slower), and
``tests/unit/test_arrow_results.py`` holds the two ways equal.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning
)

Params = Mapping[str, Any] | Sequence[Any] | None


def _direct_submit() -> Callable[[duckdb.DuckDBPyConnection, str, Any], pa.Table] | None:
    """The client's one-statement Arrow path, when this DuckDB has it."""
    try:
        from duckdb import _seam  # noqa: PLC0415 - optional: the client's own module
    except ImportError:
        return None
    submit = getattr(_seam, "submit", None)
    if submit is None:
        return None

    def run(con: duckdb.DuckDBPyConnection, sql: str, values: Any) -> pa.Table:
        return submit(con, sql, values, "arrow").arrow_table()

    return run


_SUBMIT = _direct_submit()


def arrow_of(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> pa.Table:
    """The rows of ``sql`` (with ``params``: named ``$name`` or positional ``?``) as Arrow."""
    values = _values(params)
    if _SUBMIT is not None:
        return _SUBMIT(con, sql, values)
    return executed_arrow(con, sql, params)


def executed_arrow(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> pa.Table:
    """The same rows through the public DB-API path (the fallback, and the tests' oracle)."""
    result = con.execute(sql, params) if params else con.execute(sql)
    return result.to_arrow_table()


def _values(params: Params) -> list[Any] | dict[str, Any] | None:
    if not params:
        return None
    if isinstance(params, Mapping):
        return dict(params)
    return list(params)
