"""Reading a shop's published views folder (``store/viewstore.py`` writes it): the
manifest, each view's live files, and the SQL that reads a view's rows from them.

A view's rows are the base's rows whose key is in no delta, plus, per key, the newest
delta's row when it is not deleted (``merge_sql``). The manifest is replaced last and
atomically at every publish, so a reader that reads it and then the files it names sees
one consistent version of every view. Plain DuckDB reads a view the same way the API does:
``wcpulse views SHOP`` prints the SQL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.views import MANIFEST, VIEWS
from store.arrow_results import arrow_of

DELETED = "_deleted"


@dataclass(frozen=True)
class ViewFiles:
    """One view's live files, relative to the views folder."""

    key: tuple[str, ...]
    base: str | None
    deltas: tuple[str, ...]  # oldest first
    rows: int  # rows of the view (base minus replaced plus the deltas' live rows)

    def as_json(self) -> dict[str, Any]:
        data = {"key": list(self.key), "base": self.base, "deltas": list(self.deltas)}
        return data | {"rows": self.rows}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ViewFiles:
        deltas = data.get("deltas") or ([data["delta"]] if data.get("delta") else [])
        return cls(tuple(data["key"]), data.get("base"), tuple(deltas), int(data["rows"]))

    @property
    def delta(self) -> str | None:
        """The newest delta (None without one)."""
        return self.deltas[-1] if self.deltas else None


def read_manifest(views_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((views_dir / MANIFEST).read_text())
    except FileNotFoundError:
        return {}


def live_files(manifest: Mapping[str, Any]) -> dict[str, ViewFiles]:
    """The views a manifest names (an older manifest without ``files`` names none)."""
    files = manifest.get("files")
    if not isinstance(files, dict):
        return {}
    return {name: ViewFiles.from_json(entry) for name, entry in files.items()}


def merge_sql(files: ViewFiles, views_dir: Path) -> str | None:
    """SQL (DuckDB) of the view's rows; None when it has no file yet."""
    if files.base is None and not files.deltas:
        return None
    base = f"read_parquet({_quoted(views_dir / files.base)})" if files.base else None
    deltas = f"({deltas_sql(files, views_dir)})" if files.deltas else None
    return merged_sql(files.key, base, deltas)


def merged_sql(key: Sequence[str], base: str | None, deltas: str | None) -> str:
    """SQL of a view's rows from two FROM items: its base rows, and the newest delta row of
    each key (``deltas_sql``'s rows, with ``_deleted``); either may be None (not both)."""
    if deltas is None:
        return f"SELECT * FROM {base}"
    changed = f"SELECT * EXCLUDE ({DELETED}) FROM {deltas} WHERE NOT {DELETED}"
    if base is None:
        return changed
    kept = f"SELECT b.* FROM {base} b ANTI JOIN {deltas} d USING ({', '.join(key)})"
    return f"{kept} UNION ALL BY NAME {changed}"


def deltas_sql(files: ViewFiles, views_dir: Path) -> str:
    """The newest delta row of each key (the manifest lists deltas oldest first)."""
    paths = ", ".join(_quoted(views_dir / path) for path in files.deltas)
    if len(files.deltas) == 1:
        return f"SELECT * FROM read_parquet([{paths}])"
    keys = ", ".join(files.key)
    order = f"list_position([{paths}], filename) DESC"
    newest = f"row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1"
    return (
        f"SELECT * EXCLUDE (filename) FROM read_parquet([{paths}], filename = true) "
        f"QUALIFY {newest}"
    )


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def read_view(views_dir: Path, name: str) -> pa.Table | None:
    """A published view's rows sorted by its key (None before it is published); the files
    of an older layout (``<view>.parquet``) are read too."""
    views_dir = Path(views_dir)
    files = live_files(read_manifest(views_dir)).get(name)
    if files is None:
        old = views_dir / f"{name}.parquet"
        return pq.read_table(old) if old.exists() else None
    sql = merge_sql(files, views_dir)
    if sql is None:
        return None
    order = ", ".join(files.key)
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        table = arrow_of(con, f"SELECT * FROM ({sql}) ORDER BY {order}")
    return table.cast(VIEWS[name]) if name in VIEWS else table
