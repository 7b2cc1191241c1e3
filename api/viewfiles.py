"""A shop's published views as the API sees them for one request.

The manifest and freshness files are read at most once per request (and before the
Parquet, so an ETag never claims newer data than the body holds). A view that has not
been published yet reads as an empty table with the contract's schema: a brand new shop
answers with zeros and empty lists, not errors. The API never opens a processor's
DuckDB file; it queries the Parquet through a cursor on an in-memory DuckDB database of
its thread (connecting costs milliseconds, a cursor microseconds). One request runs on a
thread at a time, so the view names a request registers are its own until it ends.
"""

from __future__ import annotations

import hashlib
import json
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb

from schemas.views import FRESHNESS, MANIFEST, VIEWS
from store.layout import shop_paths
from store.viewstore import ViewFiles, live_files, merge_sql

_local = threading.local()


def _thread_database() -> duckdb.DuckDBPyConnection:
    """This thread's in-memory DuckDB database (made on first use, time zone UTC)."""
    database = getattr(_local, "database", None)
    if database is None:
        database = duckdb.connect(":memory:")
        database.execute("SET GLOBAL TimeZone = 'UTC'")
        _local.database = database
    return database


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


class ShopViews:
    """The files under one shop's ``views`` folder."""

    def __init__(self, data_dir: Path, shop_id: str) -> None:
        self.shop_id = shop_id
        self.paths = shop_paths(data_dir, shop_id)

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

    def stamp(self, sources: tuple[str, ...]) -> str:
        """What the data behind a response depends on: the manifest version, and the
        freshness file itself when ``freshness`` is among ``sources``."""
        parts = [self.version or "unpublished"]
        if "freshness" in sources:
            parts.append(hashlib.sha256(self._freshness_bytes or b"").hexdigest())
        return ":".join(parts)

    def connect(self, *names: str) -> duckdb.DuckDBPyConnection:
        """A fresh cursor where each named view is a table of that name; close it after."""
        connection = _thread_database().cursor()
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
        """``name`` as the files this request's manifest names (base and delta merged)."""
        files = self._files.get(name)
        sql = merge_sql(files, self.paths.views_dir) if files is not None else None
        old = self.paths.views_dir / f"{name}.parquet"  # the layout of earlier versions
        if sql is not None:
            relation = connection.sql(sql)
        elif files is None and old.exists():
            relation = connection.read_parquet(str(old))
        else:
            relation = connection.from_arrow(VIEWS[name].empty_table())
        relation.create_view(name, replace=True)
