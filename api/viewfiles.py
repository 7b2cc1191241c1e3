"""A shop's published views as the API sees them for one request.

The manifest and freshness files are read at most once per request (and before the
Parquet, so an ETag never claims newer data than the body holds). A view that has not
been published yet reads as an empty table with the contract's schema: a brand new shop
answers with zeros and empty lists, not errors. The API never opens a processor's
DuckDB file; it queries the published files through a cursor on the process's in-memory
DuckDB database (api/memtables.py: connecting costs milliseconds, a cursor microseconds),
where each view's base file is held as a table, loaded once. The view names a request
registers are temporary to its cursor, so they are its own until it ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb

from api import memtables, search_text
from schemas.views import FRESHNESS, MANIFEST, VIEWS
from store.layout import shop_paths
from store.view_files import ViewFiles, deltas_sql, live_files, merged_sql


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class ShopViews:
    """The files under one shop's ``views`` folder."""

    def __init__(
        self, data_dir: Path, shop_id: str, base_order: Mapping[str, str] | None = None
    ) -> None:
        self.shop_id = shop_id
        self.paths = shop_paths(data_dir, shop_id)
        self._base_order = base_order or {}  # view -> the ORDER BY its base is held in

    @cached_property
    def _manifest_bytes(self) -> bytes | None:
        return _read_bytes(self.paths.views_dir / MANIFEST)

    @cached_property
    def _freshness_bytes(self) -> bytes | None:
        return _read_bytes(self.paths.views_dir / FRESHNESS)

    @cached_property
    def manifest(self) -> dict[str, Any]:
        raw = self._manifest_bytes
        return json.loads(raw) if raw else {}

    @cached_property
    def freshness(self) -> dict[str, Any]:
        raw = self._freshness_bytes
        return json.loads(raw) if raw else {}

    @property
    def version(self) -> str | None:
        version = self.manifest.get("version")
        return None if version is None else str(version)

    @cached_property
    def identity(self) -> tuple[str, str] | None:
        """This version of the views (their folder, the manifest's hash) when the manifest
        names every file (content-named, never rewritten); None otherwise."""
        raw = self._manifest_bytes
        if not raw or not self.manifest.get("files"):
            return None
        return str(self.paths.views_dir), hashlib.sha256(raw).hexdigest()

    def stamp(self, sources: tuple[str, ...]) -> str:
        """What the data behind a response depends on: the manifest version, and the
        freshness file itself when ``freshness`` is among ``sources``."""
        parts = [self.version or "unpublished"]
        if "freshness" in sources:
            parts.append(hashlib.sha256(self._freshness_bytes or b"").hexdigest())
        return ":".join(parts)

    def row_count(self, name: str) -> int | None:
        """The rows of view ``name`` as the manifest counts them (None: it names no files
        for it); the writer keeps that count as it publishes (``ViewFiles.rows``)."""
        files = self._files.get(name)
        return None if files is None else files.rows

    def connect(self, *names: str) -> duckdb.DuckDBPyConnection:
        """A fresh cursor where each named view is a table of that name; close it after."""
        connection = memtables.cursor()
        try:
            for name in names:
                self._register(connection, name)
        except Exception:
            connection.close()
            raise
        return connection

    @cached_property
    def _files(self) -> dict[str, ViewFiles]:
        return live_files(self.manifest)

    def _register(self, connection: duckdb.DuckDBPyConnection, name: str) -> None:
        """``name`` as the files this request's manifest names (base and delta merged);
        a view of customers also has their search text (``api.search_text``)."""
        files = self._files.get(name)
        order = self._base_order.get(name, "")
        columns = _columns(name)
        sql = _in_memory(files, self.paths.views_dir, order, columns) if files is not None else None
        old = self.paths.views_dir / f"{name}.parquet"  # the layout of earlier versions
        if sql is None and files is None and old.exists():
            sql = f"SELECT {columns} FROM read_parquet('" + str(old).replace("'", "''") + "')"
        if sql is None:
            empty = f"empty_{name}"
            connection.register(empty, VIEWS[name].empty_table())
            sql = f'SELECT {columns} FROM "{empty}"'
        # a temporary view: other cursors on the database never see it
        connection.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {sql}')


def _columns(name: str) -> str:
    """The select list of view ``name``'s rows: its columns, and the search text of a
    view of customers."""
    return search_text.SELECT_LIST if search_text.searchable(VIEWS[name].names) else "*"


def _in_memory(files: ViewFiles, views_dir: Path, order: str, columns: str) -> str | None:
    """``merge_sql`` of the view with its base (held in ``order``) and its merged deltas
    read from memory (``api.memtables``), both with ``columns``."""
    if files.base is None and not files.deltas:
        return None
    base = memtables.base_table(views_dir / files.base, order, columns) if files.base else None
    deltas = None
    if files.deltas:

        def newest(start: int) -> str:
            later = replace(files, deltas=files.deltas[start:])
            return f"SELECT {columns} FROM ({deltas_sql(later, views_dir)})"

        paths = [views_dir / path for path in files.deltas]
        deltas = memtables.delta_table(paths, files.key, newest)
    return merged_sql(files.key, base, deltas)
