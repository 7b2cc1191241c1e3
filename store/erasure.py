"""Storage of GDPR erasures: the tombstones and the ledger.

- the ``erasures`` state table: the tombstones that scrub later events of an erased customer
  before they are logged or applied;
- the ledger, ``raw/erasures.json`` beside the raw log: the same tombstones, so that a
  replay of the already scrubbed log (where the customer no longer exists) records them;
- ``erasures.json`` in the views folder: which erasures the processor has applied (what
  ``wcpulse customers erase`` and the admin API wait for).

Only hashes of addresses are stored, never an address.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from schemas.erasure import Erasure
from store.viewstore import atomic_write_json

LEDGER_FILE = "erasures.json"  # in the raw log's folder
APPLIED_FILE = "erasures.json"  # in the views folder
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = "erasure_id, customer_key, customer_id, email_sha256, order_ids, erased_at"


def record_erasure(con: duckdb.DuckDBPyConnection, erasure: Erasure) -> None:
    """Keep the tombstone; a registered customer's versions row changes with it (an erased
    customer the state holds no row of shows as trashed at the erasure), so their id is a
    pending change for the next publish."""
    if erasure.customer_id > 0:
        con.execute(
            "INSERT OR IGNORE INTO pending_changes VALUES ('customer', ?)", [erasure.customer_id]
        )
    con.execute(
        f"INSERT OR REPLACE INTO erasures ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        [
            erasure.erasure_id,
            erasure.customer_key,
            erasure.customer_id,
            sorted(erasure.email_sha256),
            sorted(erasure.order_ids),
            erasure.erased_at,
        ],
    )


def load_erasures(con: duckdb.DuckDBPyConnection) -> list[Erasure]:
    # the time as microseconds: fetching a TIMESTAMPTZ as a datetime needs pytz
    columns = _COLUMNS.replace("erased_at", "epoch_us(erased_at)")
    rows = con.execute(f"SELECT {columns} FROM erasures ORDER BY erasure_id").fetchall()
    return [
        Erasure(
            eid,
            key,
            cid,
            frozenset(hashes),
            frozenset(orders),
            _EPOCH + timedelta(microseconds=micros),
        )
        for eid, key, cid, hashes, orders, micros in rows
    ]


def applied_erasures(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """What ``erasures.json`` lists: each erasure's id, time, orders anonymised, found."""
    return [
        {
            "erasure_id": e.erasure_id,
            "erased_at": e.erased_at.isoformat(),
            "orders": len(e.order_ids),
            "found": e.found,
        }
        for e in sorted(load_erasures(con), key=lambda e: (e.erased_at, e.erasure_id))
    ]


def write_applied(views_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Publish ``erasures.json`` (not before the shop's first erasure)."""
    applied = applied_erasures(con)
    path = views_dir / APPLIED_FILE
    if applied or path.exists():
        views_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(path, {"erasures": applied})


def read_applied(views_dir: Path, erasure_id: str) -> dict[str, Any] | None:
    """The erasure as ``erasures.json`` lists it; None while it is not applied."""
    try:
        published = json.loads((Path(views_dir) / APPLIED_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return None
    return next((e for e in published["erasures"] if e["erasure_id"] == erasure_id), None)


class ErasureLedger:
    """``raw/erasures.json``: {erasure_id: tombstone}, rewritten atomically."""

    def __init__(self, raw_dir: Path) -> None:
        self._path = Path(raw_dir) / LEDGER_FILE

    def get(self, erasure_id: str) -> Erasure | None:
        entry = self._read().get(erasure_id)
        if entry is None:
            return None
        return Erasure(
            erasure_id,
            entry["customer_key"],
            int(entry["customer_id"]),
            frozenset(entry["email_sha256"]),
            frozenset(int(o) for o in entry["order_ids"]),
            datetime.fromisoformat(entry["erased_at"]),
        )

    def put(self, erasure: Erasure) -> None:
        entries = self._read()
        entries[erasure.erasure_id] = {
            "customer_key": erasure.customer_key,
            "customer_id": erasure.customer_id,
            "email_sha256": sorted(erasure.email_sha256),
            "order_ids": sorted(erasure.order_ids),
            "erased_at": erasure.erased_at.isoformat(),
        }
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        with open(tmp, "w") as handle:
            json.dump(entries, handle, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)  # durable before the raw log is rewritten

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}


def remove_stale_temp_files(*folders: Path) -> int:
    """Delete the ``*.tmp`` files a crashed writer left in ``folders`` (the raw log's and
    the views' of a shop whose writer lock the caller holds, so none is being written)."""
    removed = 0
    for folder in folders:
        for path in Path(folder).glob("*.tmp"):
            if path.is_file():
                path.unlink()
                removed += 1
    return removed
