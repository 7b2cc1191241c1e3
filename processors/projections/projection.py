"""What a projection is, and the state it works on during one publish.

A projection produces one or more published views from the shop state. It declares the
views it writes and the materialised tables a refresh needs, and it can

- ``whole``: build its views from the whole state (``materialise``: also fill its tables,
  so that later publishes can refresh from them);
- ``changes``: refresh the rows the publish's pending changes reach (``Context.pending``),
  returning each changed view's rows as a ``store.viewstore.Changed`` (or ``Whole`` for a
  small view), and nothing for a view the changes do not touch.

The engine (``processors/projections/engine.py``) runs every registered projection one way
or the other; adding a view is its schema and key (``schemas/views.py``), its projection and
its line in the registry, and its list declaration in the read API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from processors.projections.customer_scores import ScoringBasis
from schemas.shop import ShopConfig
from schemas.views import VIEW_KEYS, VIEWS
from store.arrow_results import arrow_of
from store.viewstore import Changed, Write


@dataclass
class Context:
    """One publish's view of the shop state (the shop's writer, inside one transaction)."""

    con: duckdb.DuckDBPyConnection
    shop: ShopConfig
    basis: ScoringBasis | None  # the last rescoring's (None: none yet)
    pending: dict[str, list[int]] = field(default_factory=dict)  # resource -> changed ids
    metas: dict[str, str] | None = None  # the state's meta, read once per publish
    # what a projection leaves for the later ones in this publish: tables it built whole
    # (``shared``), and ids its refresh reached, by resource (``reached``: e.g. the products
    # of the order lines it rebuilt)
    shared: dict[str, Any] = field(default_factory=dict)
    reached: dict[str, set[int]] = field(default_factory=dict)

    def sql(self, sql: str, params: dict[str, Any] | None = None) -> pa.Table:
        return arrow_of(self.con, sql, params)

    def sql_over(self, name: str, table: pa.Table, sql: str) -> pa.Table:
        """``sql``'s rows with ``table`` registered as ``name`` while it runs."""
        self.con.register(name, table)
        try:
            return self.sql(sql)
        finally:
            self.con.unregister(name)

    def column(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        return [row[0] for row in self.con.execute(sql, params or {}).fetchall()]

    def value(self, sql: str) -> Any:
        return self.con.execute(sql).fetchall()[0][0]

    def counter(self, sql: str) -> Callable[[], int]:
        """``sql``'s count, taken when the view store asks (after the refresh commits)."""
        return lambda: int(self.value(sql))

    def meta(self, key: str) -> str | None:
        """A state meta value (a publish does not write them: read once)."""
        if self.metas is None:
            self.metas = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
        return self.metas.get(key)

    def materialise(self, table: str, rows: pa.Table, indexes: Iterable[str] = ()) -> None:
        """``table`` made anew from ``rows``, indexed on ``indexes`` (the refresh lookups)."""
        self.con.register("incoming", rows)
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM incoming")
        finally:
            self.con.unregister("incoming")
        for column in indexes:
            self.con.execute(f"CREATE INDEX {table}_by_{column} ON {table} ({column})")

    def replace(self, table: str, where: str, rows: pa.Table, columns: str = "*") -> pa.Table:
        """Replace the rows of ``table`` that ``where`` selects with ``rows``; returns the
        ``columns`` of the rows replaced (found and deleted in one statement; each column
        returned costs, so a caller names those it needs)."""
        old = self.sql(f"DELETE FROM {table} WHERE {where} RETURNING {columns}")
        self._insert(table, rows)
        return old

    def swap(self, table: str, where: str, rows: pa.Table) -> int:
        """``replace`` for a caller that needs only how many rows were replaced (returning
        them costs about as much again as the delete: each is fetched column by column)."""
        ((count,),) = self.con.execute(f"DELETE FROM {table} WHERE {where}").fetchall()
        self._insert(table, rows)
        return int(count)

    def _insert(self, table: str, rows: pa.Table) -> None:
        """``rows`` appended to ``table`` by position (one statement: registering them
        under a name and dropping it after cost two more, about 0.6 ms)."""
        self.con.from_arrow(rows).insert_into(table)

    def reader(self, sql: str, schema: pa.Schema) -> Callable[[], pa.Table]:
        return lambda: self.sql(sql).cast(schema)

    def changed(
        self, view: str, table: str, keys: list[Any], rows: pa.Table, replaced: int
    ) -> Changed:
        """A view's rows of ``keys`` (``rows``, which replaced ``replaced`` rows in its
        materialised ``table``), the keys left without a row, the row count of ``table`` and
        how to read it whole (for a compaction)."""
        schema = VIEWS[view]
        (key,) = VIEW_KEYS[view]
        gone = sorted(set(keys) - set(rows[key].to_pylist()))
        deleted = pa.table({key: pa.array(gone, schema.field(key).type)})
        count = self.counter(f"SELECT count(*) FROM {table}")
        whole = self.reader(f"SELECT {', '.join(schema.names)} FROM {table} ORDER BY {key}", schema)
        upserts = rows.select(schema.names).cast(schema)
        return Changed(upserts, deleted, count, whole, rows.num_rows - replaced)

    def changed_in(
        self, view: str, table: str, scope: str, rows: pa.Table
    ) -> tuple[Changed | None, pa.Table]:
        """Replace the rows of ``table`` in ``scope`` with ``rows`` (the view's rows there
        now), and say what differs: the rows it did not hold as they are and the keys left
        without a row (None: nothing differs); and the rows it held there before. For views
        of any key shape."""
        schema = VIEWS[view]
        names = list(VIEW_KEYS[view])
        key = ", ".join(names)
        old = self.replace(table, scope, rows)
        upserts = _rows_not_in(rows, old).cast(schema)
        deleted = _keys_not_in(old, rows, names)
        if not upserts.num_rows and not deleted.num_rows:
            return None, old
        count = self.counter(f"SELECT count(*) FROM {table}")
        whole = self.reader(f"SELECT {', '.join(schema.names)} FROM {table} ORDER BY {key}", schema)
        return Changed(upserts, deleted, count, whole, rows.num_rows - old.num_rows), old


def _rows_not_in(new: pa.Table, old: pa.Table) -> pa.Table:
    """The rows of ``new`` that ``old`` does not hold as they are, column by column in
    order (an ``EXCEPT``, nulls equal). A refresh's few hundred rows: a set of tuples in
    Python costs less than registering both tables and one more statement (about 4 ms a
    view on the 1M-order shop)."""
    held = set(_row_tuples(old))
    kept = [row not in held for row in _row_tuples(new)]
    return new.filter(pa.array(kept, pa.bool_()))


def _row_tuples(table: pa.Table) -> Iterable[tuple[Any, ...]]:
    columns = []
    for column in table.columns:
        values = column.to_pylist()
        if pa.types.is_nested(column.type):
            values = [_hashable(value) for value in values]
        columns.append(values)
    return zip(*columns, strict=True)


def _hashable(value: Any) -> Any:
    """A nested value (lists, structs, maps) as nested tuples."""
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _hashable(item)) for key, item in value.items())
    return value


def _keys_not_in(old: pa.Table, new: pa.Table, names: list[str]) -> pa.Table:
    """The ``names`` columns of the rows of ``old`` whose key no row of ``new`` has (a
    refresh's few hundred rows: a set in Python costs less than a statement)."""
    kept = set(_row_tuples(new.select(names)))
    gone = [key not in kept for key in _row_tuples(old.select(names))]
    return old.select(names).filter(pa.array(gone, pa.bool_()))


class Projection(Protocol):
    views: tuple[str, ...]  # the published views it writes
    tables: tuple[str, ...]  # the materialised tables its refreshes read

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]: ...

    def changes(self, ctx: Context) -> dict[str, Write]: ...
