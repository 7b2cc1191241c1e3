"""What the erasure tests share: looking for an e-mail address in every file of a data dir.

Parquet and DuckDB compress what they store, so a byte search alone could miss an address
that is there: each file is searched as bytes (every spelling: as typed, lower and upper
case, JSON/PHP-escaped ``\\u0040`` and ``\\/`` and ``\\uXXXX``, URL-encoded ``%40``) and,
for Parquet, DuckDB and SQLite files, also through their decoded content. Tests call it
before erasing too, to show it finds what it looks for.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from ingest.demo.phpjson import php_json_encode


def spellings(email: str) -> set[bytes]:
    forms = {email, email.lower(), email.upper()}
    escaped = {php_json_encode(form).decode()[1:-1] for form in forms}
    escaped |= {form.replace("@", "\\u0040") for form in forms | escaped}
    escaped |= {form.replace("@", "%40") for form in forms}
    escaped |= {json.dumps(form, ensure_ascii=False)[1:-1] for form in forms}
    return {form.encode() for form in forms | escaped}


def _flatten(value: object) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.items() for text in _flatten(item)]
    if isinstance(value, list | tuple):
        return [text for item in value for text in _flatten(item)]
    if isinstance(value, bytes):
        return [value.decode(errors="replace")]
    return [] if value is None else [str(value)]


def _rows(con, tables: list[str], columns: str = "*") -> list[object]:
    return [con.execute(f'SELECT {columns} FROM "{t}"').fetchall() for t in tables]


def decoded_values(path: Path) -> list[str]:
    """Every value a Parquet, DuckDB or SQLite file holds, as text (none for other files)."""
    name = path.name
    if name.endswith(".parquet"):
        metadata = pq.ParquetFile(path).metadata.to_dict()
        return _flatten([pq.read_table(path).to_pylist(), metadata])
    if name.endswith(".duckdb"):
        con = duckdb.connect(str(path), read_only=True)
        try:
            tables = [t for (t,) in con.execute("SHOW TABLES").fetchall()]
            return _flatten(_rows(con, tables, "COLUMNS(*)::VARCHAR"))
        finally:
            con.close()
    if name.endswith((".sqlite3", ".db")):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
            return _flatten(_rows(con, [t for (t,) in con.execute(query).fetchall()]))
        finally:
            con.close()
    return []


def files_mentioning(data_dir: Path, email: str) -> list[str]:
    """Every file under ``data_dir`` that holds ``email`` in any spelling (``name (how)``)."""
    needles = {needle.lower() for needle in spellings(email)}
    texts = {needle.decode() for needle in needles}
    found = []
    for path in sorted(p for p in Path(data_dir).rglob("*") if p.is_file()):
        name = str(path.relative_to(data_dir))
        raw = path.read_bytes().lower()
        if any(needle in raw for needle in needles):
            found.append(f"{name} (bytes)")
        values = [value.lower() for value in decoded_values(path)]
        if any(text in value for value in values for text in texts):
            found.append(f"{name} (content)")
    return found
