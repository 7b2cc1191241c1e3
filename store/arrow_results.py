"""Arrow results of DuckDB statements, planned once.

``con.sql(query).to_arrow_table()`` binds the statement to learn its columns and then plans
it again to run it; ``con.execute(query).to_arrow_table()`` plans it once. On the small
statements of many joins a publish runs (a refresh's lines, orders, customers) that is 3 to
5 ms a statement (``bench publish``). DuckDB warns that Arrow from a DB-API result copies
the rows once more: on the rows a refresh reads, that costs less than the second plan.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

warnings.filterwarnings(
    "ignore", message="Arrow output on a DB-API result makes an extra copy", category=UserWarning
)


def arrow_of(
    con: duckdb.DuckDBPyConnection,
    sql: str,
    params: Mapping[str, Any] | Sequence[Any] | None = None,
) -> pa.Table:
    """The rows of ``sql`` (with ``params``: named ``$name`` or positional ``?``) as Arrow."""
    result = con.execute(sql, params) if params else con.execute(sql)
    return result.to_arrow_table()
