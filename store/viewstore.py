"""Published views on disk: per view a base file and at most one delta, named by a manifest.

Layout of a shop's ``views`` folder::

    manifest.json                     the live file set: {"version", "published_at",
                                      "files": {view: {"key", "base", "deltas", "rows"}}, ...}
    <view>/base-<sha>.parquet         every row of the view, sorted by its key
    <view>/delta-<sha>.parquet        rows changed since that base (the view's columns and
                                      ``_deleted``), one per key, sorted by key; a delta
                                      later in the manifest's list wins over an earlier one

A view's rows are the base's rows whose key is in no delta, plus, per key, the newest
delta's row when it is not deleted (``merge_sql``). A publish writes only what changed: a
view with changed rows gets one new delta of just those rows; past ``MAX_DELTAS`` deltas
(less a step of the view's own, so that views do not all merge at the same publish) the
newer ones are merged into one; when the deltas hold more than ``COMPACT_ROWS`` rows and
``COMPACT_SHARE`` of the base, the view is written whole again as a new base (compaction).
Files are written to a temporary name and renamed, their names are
the hash of their bytes, and the manifest is replaced last (atomically), so a reader that
reads the manifest and then the files it names sees one consistent version of every view.
Files no manifest names any more are removed once they are ``GRACE_SECONDS`` old, so a
reader still working from the previous manifest finds its files.

Plain DuckDB reads a view the same way the API does: ``wcpulse views SHOP`` prints the SQL.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.views import FRESHNESS, MANIFEST, VIEW_KEYS
from store.view_files import DELETED, ViewFiles, live_files, read_manifest

# A base is written once and read for long: zstd. A delta of a publish's hundred rows is
# written at every publish and soon merged: snappy writes it in half the time (1 against
# 2 ms for 100 orders), at a few kilobytes more.
COMPRESSION = {"base": "zstd", "delta": "snappy"}
COMPACT_ROWS = 20_000  # a delta past this many rows ...
COMPACT_SHARE = 0.05  # ... and past this share of the base is folded into a new base
MAX_DELTAS = 8  # more deltas than this (less a step per view: delta_limit) are merged
GRACE_SECONDS = 60.0
# the superseded files are looked for at most this often (a look lists every view file):
# at once after an erasure (no grace), else by a publish this long after the last look
SWEEP_SECONDS = 5.0
_last_sweep: dict[Path, float] = {}  # views folder -> when this process last looked
ROW_GROUP_ROWS = 65536


@dataclass(frozen=True)
class Whole:
    """A view written whole (a full build, a small view)."""

    table: pa.Table


@dataclass(frozen=True)
class Changed:
    """A view's rows that changed (``upserts``, sorted or not) and keys that are gone;
    ``whole`` gives the view whole, for a compaction."""

    upserts: pa.Table
    deleted: pa.Table  # the key columns of rows that no longer exist
    # rows of the view after the change; a callable counts them when the view is written (a
    # count after the refresh's commit costs a fraction of one inside it)
    rows: int | Callable[[], int]
    whole: Callable[[], pa.Table]
    # rows the change added less those it removed, when the writer knows it: the view's
    # count then follows from the manifest's without counting (``rows`` is not called)
    added: int | None = None

    def row_count(self, before: int | None = None) -> int:
        """Rows of the view after the change (``before``: its rows before, if known)."""
        if before is not None and self.added is not None:
            return before + self.added
        return self.rows() if callable(self.rows) else self.rows


Write = Whole | Changed


class ViewStore:
    """The writer of one shop's published views (the shop's processor only)."""

    def __init__(self, views_dir: Path) -> None:
        self.dir = Path(views_dir)

    def publish(
        self,
        writes: Mapping[str, Write],
        keys: Mapping[str, Sequence[str]],
        now: datetime,
        extra: Mapping[str, Any] | None = None,
        grace_seconds: float = GRACE_SECONDS,
    ) -> str:
        """Write each view's new files, then the manifest; returns the version (a hash of the
        live file names, so it changes exactly when some view's rows do). Files no longer
        named go once ``grace_seconds`` old (0 after an erasure: none may keep the person)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        manifest = read_manifest(self.dir)
        files = live_files(manifest)
        for name, write in writes.items():
            files[name] = self._write(name, tuple(keys[name]), files.get(name), write)
        version = _version(files)
        document = dict(extra or {}) | {
            "version": version,
            "published_at": now.isoformat(),
            "files": {name: files[name].as_json() for name in sorted(files)},
        }
        atomic_write_json(self.dir / MANIFEST, document)
        swept = _last_sweep.get(self.dir)
        if grace_seconds <= 0 or swept is None or time.monotonic() - swept >= SWEEP_SECONDS:
            self._remove_unnamed(files.values(), grace_seconds)
            _last_sweep[self.dir] = time.monotonic()
        return version

    def _write(
        self, name: str, key: tuple[str, ...], old: ViewFiles | None, write: Write
    ) -> ViewFiles:
        if isinstance(write, Whole):
            return self._whole(name, key, write.table)
        if old is None or old.key != key or old.base is None:
            return self._whole(name, key, write.whole())
        if write.upserts.num_rows == 0 and write.deleted.num_rows == 0:
            return old  # nothing changed: its files stay as they are
        new = self._delta(name, old, _changes_of(write, key))
        # the same rows again (a redelivery) name the same file: it moves to the end
        deltas = (*(path for path in old.deltas if path != new), new)
        base_rows = _file_rows(self.dir / old.base)
        if self._rows_of(deltas) > max(COMPACT_ROWS, COMPACT_SHARE * base_rows):
            return self._whole(name, key, write.whole())
        if len(deltas) > delta_limit(name):
            deltas = self._merge_tail(name, old, deltas)
        return ViewFiles(key, old.base, deltas, write.row_count(old.rows))

    def _merge_tail(self, name: str, old: ViewFiles, deltas: tuple[str, ...]) -> tuple[str, ...]:
        """``deltas`` with the newer ones merged into one: all of them, or all but the oldest
        when it holds more rows than the rest together (the small ones are merged, not the
        big one again: a merge costs what it merges)."""
        rows = [_rows_in(self.dir / path) for path in deltas]
        keep = 1 if len(deltas) > 2 and rows[0] > sum(rows[1:]) else 0
        merged = self._delta(name, old, self._merged(deltas[keep:], old.key))
        return (*deltas[:keep], merged)

    def _delta(self, name: str, old: ViewFiles, rows: pa.Table) -> str:
        """A delta file of ``rows`` (named by its bytes)."""
        ordered = rows.sort_by([(k, "ascending") for k in old.key])
        return self._write_file(name, "delta", ordered)

    def _rows_of(self, deltas: Sequence[str]) -> int:
        return sum(_rows_in(self.dir / path) for path in deltas)

    def _merged(self, deltas: Sequence[str], key: tuple[str, ...]) -> pa.Table:
        """The deltas laid over each other, oldest first: one row per key, the newest."""
        tables = [_written.get(self.dir / path) for path in deltas]
        tables = [
            pq.read_table(self.dir / path) if table is None else table
            for path, table in zip(deltas, tables, strict=True)
        ]
        schema = tables[-1].schema
        return _last_per_key(pa.concat_tables([t.cast(schema) for t in tables]), key)

    def _whole(self, name: str, key: tuple[str, ...], table: pa.Table) -> ViewFiles:
        ordered = table.sort_by([(k, "ascending") for k in key]) if key else table
        return ViewFiles(key, self._write_file(name, "base", ordered), (), table.num_rows)

    def _write_file(self, name: str, kind: str, table: pa.Table) -> str:
        folder = self.dir / name
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{kind}.{os.getpid()}.tmp"
        compression = COMPRESSION[kind]
        pq.write_table(table, tmp, compression=compression, row_group_size=ROW_GROUP_ROWS)
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()[:20]
        final = folder / f"{kind}-{digest}.parquet"
        os.replace(tmp, final)
        if kind == "delta":
            _written.put(final, table)
        return f"{name}/{final.name}"

    def _remove_unnamed(self, live: Iterable[ViewFiles], grace_seconds: float) -> None:
        named = {p for f in live for p in (f.base, *f.deltas) if p}
        cutoff = time.time() - grace_seconds
        for path in self.dir.glob("*/*.parquet"):
            relative = f"{path.parent.name}/{path.name}"
            if relative not in named and path.stat().st_mtime <= cutoff:
                path.unlink(missing_ok=True)


class _Written:
    """The newest delta files this process wrote, as the tables they hold (a file is named by
    its bytes and never written again): a merge of deltas reads them from here."""

    def __init__(self, most: int) -> None:
        self._tables: OrderedDict[Path, pa.Table] = OrderedDict()
        self._most = most

    def put(self, path: Path, table: pa.Table) -> None:
        self._tables[path] = table
        self._tables.move_to_end(path)
        while len(self._tables) > self._most:
            self._tables.popitem(last=False)

    def get(self, path: Path) -> pa.Table | None:
        return self._tables.get(path)


_written = _Written(most=256)


def _rows_in(path: Path) -> int:
    """Rows of a view file: of a delta this process wrote, its table's (no file to open)."""
    written = _written.get(path)
    return written.num_rows if written is not None else _file_rows(path)


@functools.lru_cache(maxsize=4096)
def _file_rows(path: Path) -> int:
    """Rows of a view file (named by the hash of its bytes, so never rewritten: cached)."""
    return pq.ParquetFile(path).metadata.num_rows


def delta_limit(name: str) -> int:
    """How many deltas a view keeps before merging: ``MAX_DELTAS`` less a step of its own
    (its name's hash), so that views changed at every publish do not all merge at the
    same one."""
    stagger = max(1, MAX_DELTAS // 2)
    return MAX_DELTAS - zlib.crc32(name.encode()) % stagger


def _changes_of(write: Changed, key: tuple[str, ...]) -> pa.Table:
    """A delta's rows: the upserts (``_deleted`` false) and tombstones, one per key."""
    upserts = write.upserts.append_column(DELETED, pa.repeat(False, write.upserts.num_rows))
    gone = _tombstones(write.deleted, write.upserts.schema)
    rows = pa.concat_tables([upserts, gone]) if gone.num_rows else upserts
    return _last_per_key(rows, key)


def _version(files: Mapping[str, ViewFiles]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(json.dumps([name, files[name].as_json()]).encode())
    return digest.hexdigest()[:20]


def _tombstones(keys: pa.Table, schema: pa.Schema) -> pa.Table:
    """Rows of ``schema`` that only carry a key and ``_deleted = true``."""
    columns = {
        field.name: keys[field.name]
        if field.name in keys.column_names
        else pa.nulls(keys.num_rows, field.type)
        for field in schema
    }
    columns[DELETED] = pa.repeat(True, keys.num_rows)
    return pa.table(columns, schema=schema.append(pa.field(DELETED, pa.bool_())))


def _last_per_key(table: pa.Table, key: tuple[str, ...]) -> pa.Table:
    """One row per key: the last one in ``table``'s order."""
    if table.num_rows == 0:
        return table
    if len(key) == 1 and pc.count_distinct(table[key[0]], mode="all").as_py() == table.num_rows:
        return table  # a refresh's rows: one per key already (a count costs a tenth of this)
    order = pa.array(range(table.num_rows), pa.int64())
    numbered = table.append_column("_order", order)
    last = numbered.group_by(list(key), use_threads=False).aggregate([("_order", "max")])
    keep = pc.is_in(order, value_set=last["_order_max"])
    return table.filter(keep)


def write_views(
    views_dir: Path,
    tables: Mapping[str, pa.Table],
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Publish every view of ``tables`` whole; returns the version."""
    writes: dict[str, Write] = {name: Whole(table) for name, table in tables.items()}
    return ViewStore(views_dir).publish(writes, VIEW_KEYS, now, extra)


def write_freshness(views_dir: Path, freshness: Mapping[str, Any]) -> None:
    views_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_json(views_dir / FRESHNESS, freshness)


def atomic_write_json(path: Path, data: Mapping[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True))
    os.replace(tmp, path)
