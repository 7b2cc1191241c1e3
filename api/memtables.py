"""Published base files held in memory, once per process (the read API's view cache).

A view's base file is immutable (its name is the hash of its bytes, store/viewstore.py), so
a table loaded from it is never stale: a new publish names a new delta or a new base in a
new manifest, and the request that reads that manifest reads the new files. Scanning an
in-memory DuckDB table instead of decoding Parquet makes a page, a count or a lookup over a
million rows about ten times faster. Loading costs about half a second per million rows,
once per base (a publish that only adds a delta keeps it).

Every request's cursor comes from one in-memory database of the process, so all threads
share the tables; the views a request registers stay temporary to its cursor. Tables are
dropped once a view has ``KEEP_PER_VIEW`` newer bases (an erased customer's old rows do not
linger), and least recently used first once their files together exceed ``BUDGET_BYTES``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import structlog

BUDGET_BYTES = 512 * 1024 * 1024  # Parquet bytes of the bases held (memory is about 3x)
# a base of at least INDEX_ROWS rows with a customer_key column gets an index on it: a
# customer's orders out of a million in about 7 ms instead of 16 (about 0.25 s more to load)
INDEX_ROWS = 100_000
INDEXED = "customer_key"
KEEP_PER_VIEW = 2  # a view's newest bases held (a request may still read the one before)
# A view's deltas are merged once per version into a table of their newest row per key,
# which every request of that version reads: a page of recent orders costs about 7 ms
# instead of 23 (read and merged per request). A publish adds one delta to the list, so a
# version's set is made from the set held for the list before it and the files added since
# (on a million orders, about 2 ms instead of 13 for the 8 files read and merged again).
KEEP_DELTA_SETS = 4  # a view's newest merged delta sets held (requests of older versions)

log = structlog.get_logger(__name__)

_lock = threading.Lock()  # the database's catalogue of loaded bases and its cursors
_loading: dict[str, threading.Lock] = {}
_loaded: OrderedDict[str, int] = OrderedDict()  # table name -> Parquet bytes, LRU first
_per_view: dict[Path, list[str]] = {}  # a view's folder -> its bases held, oldest first
_paths: dict[str, Path] = {}  # table name -> its file
_delta_sets: dict[Path, list[str]] = {}  # a view's folder -> its delta tables, oldest first
_delta_files: dict[str, tuple[str, ...]] = {}  # delta table -> its files' identities, in order
_database: duckdb.DuckDBPyConnection | None = None


def _shared() -> duckdb.DuckDBPyConnection:
    global _database
    if _database is None:
        _database = duckdb.connect(":memory:")
        _database.execute("SET GLOBAL TimeZone = 'UTC'")
    return _database


def cursor() -> duckdb.DuckDBPyConnection:
    """A new cursor on the process's database (thread-safe; close it after)."""
    with _lock:
        return _shared().cursor()


def _identity(path: Path) -> str:
    """A file as it is now: its name, size and modification time (a file written again
    under the same name, which the view store never does, is loaded again)."""
    stat = path.stat()
    return f"{path}\n{stat.st_size}\n{stat.st_mtime_ns}"


def table_name(path: Path, order: str = "", columns: str = "*") -> str:
    """The table of ``path`` as it is now, its rows in ``order`` (an ``ORDER BY`` clause),
    with ``columns`` (a select list over the file's columns)."""
    identity = _identity(path) + "\n" + order + "\n" + columns
    return "base_" + hashlib.sha256(identity.encode()).hexdigest()[:24]


def delta_table(paths: Sequence[Path], key: Sequence[str], newest: Callable[[int], str]) -> str:
    """The in-memory table of the newest row per ``key`` of the delta files ``paths`` of
    one view (oldest first), made on first use. ``newest(n)``: the SQL of the newest row
    per key of ``paths[n:]`` (``store.view_files.deltas_sql``)."""
    identities = tuple(_identity(path) for path in paths)
    name = "deltas_" + hashlib.sha256("\n".join(identities).encode()).hexdigest()[:24]
    folder = paths[0].parent
    with _lock:
        if name in _delta_sets.get(folder, ()):
            return name
        loading = _loading.setdefault(name, threading.Lock())
    with loading:
        with _lock:
            if name in _delta_sets.get(folder, ()):
                return name
            older = _held_prefix(folder, identities)
        maker = cursor()
        try:
            _make_deltas(maker, name, older, key, newest)
        finally:
            maker.close()
        with _lock:
            _loading.pop(name, None)
            _delta_files[name] = identities
            held = _delta_sets.setdefault(folder, [])
            held.append(name)
            evicted = held[:-KEEP_DELTA_SETS]
            del held[:-KEEP_DELTA_SETS]
            for old in evicted:
                _delta_files.pop(old, None)
        _drop(evicted)
    return name


def _held_prefix(folder: Path, identities: tuple[str, ...]) -> tuple[str, int] | None:
    """The held delta set of ``folder`` whose files begin ``identities`` (the most of
    them), and how many files it holds. Call with ``_lock`` held."""
    best: tuple[str, int] | None = None
    for held in _delta_sets.get(folder, ()):
        files = _delta_files.get(held, ())
        count = len(files)
        if 0 < count < len(identities) and identities[:count] == files:
            if best is None or count > best[1]:
                best = (held, count)
    return best


def _make_deltas(
    maker: duckdb.DuckDBPyConnection,
    name: str,
    older: tuple[str, int] | None,
    key: Sequence[str],
    newest: Callable[[int], str],
) -> None:
    """Table ``name``: ``older``'s rows (the set of the first files) less the keys the
    files after them hold, and those files' newest rows; or, without ``older`` (or when it
    was dropped meanwhile), every file merged anew."""
    if older is not None:
        table, count = older
        using = ", ".join(f'"{column}"' for column in key)
        try:
            maker.execute(
                f"CREATE OR REPLACE TABLE {name} AS WITH fresh AS ({newest(count)}) "
                f"SELECT o.* FROM {table} o ANTI JOIN fresh USING ({using}) "
                "UNION ALL BY NAME SELECT * FROM fresh"
            )
            return
        except duckdb.CatalogException:  # evicted by another request: merge every file
            pass
    maker.execute(f"CREATE OR REPLACE TABLE {name} AS {newest(0)}")


def base_table(path: Path, order: str = "", columns: str = "*") -> str:
    """The in-memory table holding the Parquet file ``path`` (loaded on first use), its
    rows in ``order`` (an ``ORDER BY`` clause, or none: the file's order), with
    ``columns`` (the file's own, and any computed once here instead of per request)."""
    name = table_name(path, order, columns)
    with _lock:
        if name in _loaded:
            _loaded.move_to_end(name)
            return name
        loading = _loading.setdefault(name, threading.Lock())
    with loading:
        with _lock:
            if name in _loaded:
                return name
        _load(name, path, order, columns)
    return name


def _load(name: str, path: Path, order: str, columns: str) -> None:
    size = path.stat().st_size
    quoted = "'" + str(path).replace("'", "''") + "'"
    loader = cursor()
    try:
        rows_of = f"SELECT {columns} FROM read_parquet({quoted}) {order}"
        loader.execute(f"CREATE OR REPLACE TABLE {name} AS {rows_of}")
        columns = {row[0] for row in loader.execute(f"DESCRIBE {name}").fetchall()}
        ((rows,),) = loader.execute(f"SELECT count(*) FROM {name}").fetchall()
        if INDEXED in columns and rows >= INDEX_ROWS:
            loader.execute(f"CREATE INDEX {name}_{INDEXED} ON {name} ({INDEXED})")
    finally:
        loader.close()
    with _lock:
        _loaded[name] = size
        _paths[name] = path
        _loading.pop(name, None)
        # a base whose file is gone (superseded and purged, e.g. after an erasure) goes too
        held = [
            old
            for old in _per_view.get(path.parent, [])
            if old != name and old in _paths and _paths[old].exists()
        ] + [name]
        evicted = [
            old
            for old in _per_view.get(path.parent, [])
            if old not in held and _loaded.pop(old, None) is not None
        ]
        evicted += [old for old in held[:-KEEP_PER_VIEW] if _loaded.pop(old, None) is not None]
        del held[:-KEEP_PER_VIEW]
        _per_view[path.parent] = held
        for old in evicted:
            _paths.pop(old, None)
        evicted += _over_budget(name)
    _drop(evicted)
    log.info("view_base_loaded", path=str(path), bytes=size, evicted=len(evicted))


def _over_budget(newest: str) -> list[str]:
    """Names to drop (least recently used first) so the rest fit ``BUDGET_BYTES``; never
    ``newest``. Call with ``_lock`` held."""
    evicted: list[str] = []
    while sum(_loaded.values()) > BUDGET_BYTES and next(iter(_loaded)) != newest:
        old, _ = _loaded.popitem(last=False)
        _paths.pop(old, None)
        evicted.append(old)
    return evicted


def forget_all() -> None:
    """Drop every loaded base and delta set (tests)."""
    with _lock:
        names = list(_loaded) + [name for held in _delta_sets.values() for name in held]
        _loaded.clear()
        _per_view.clear()
        _paths.clear()
        _delta_sets.clear()
        _delta_files.clear()
    _drop(names)


def _drop(names: list[str]) -> None:
    """Drop the tables of ``names`` (not under ``_lock``: a request may be reading)."""
    for name in names:
        dropper = cursor()
        try:
            dropper.execute(f"DROP TABLE IF EXISTS {name}")
        finally:
            dropper.close()
