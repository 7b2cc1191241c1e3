"""A shop's working state in DuckDB: idempotent, order-independent application of events.

One writer per file (the shop's processor). ``apply`` commits a whole batch in one
transaction: per resource, a payload replaces the stored one only when its version
(``date_modified_gmt``, body hash) is greater, and a trash time only moves forward. Applying
the same events again, or in another order, leaves the same state.

A product's price history (``product_prices``) is written in the same transaction
(``store/state_prices.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from schemas.events import DeliveryNoted, Event, ProductChanged
from store.arrow_results import arrow_of
from store.state_batch import Changed, key_of, latest_changes, latest_trash
from store.state_prices import record_prices
from store.state_rows import listed_ids, payload_table, replace_children
from store.state_schema import RESOURCE_TABLES, ResourceTable, create_statements

# the resources whose changes the alert rules check (``alert_scope``)
ALERT_RESOURCES = ("order", "customer", "product")
VIEW_PARAMS = "view_params"  # meta: what the published views were computed with
JOBS_RUN = "jobs_run"  # meta: how many jobs have changed the shop's state (a job's own count)
# a publish of at least this many changes checks whether it empties ``pending_changes``
FORGET_ALL_FROM = 2000


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One unit of work on the state: committed when the block ends, rolled back when it
    raises (the exception goes on)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # the transaction is gone already (a failed commit)
        raise
    con.execute("COMMIT")


# A live batch's apply and an incremental publish are a hundred statements over a few
# hundred rows each: on one DuckDB thread they take about 8% less time than on two (the
# second thread's start and hand-over cost more than it gives) and leave the other core to
# the receiver and the read API. Jobs, whole builds and replays scan whole tables: every core.
SMALL_WORK_THREADS = 1


def _set_threads(con: duckdb.DuckDBPyConnection, count: int | None) -> None:
    con.execute("RESET threads" if count is None else f"SET threads = {int(count)}")


def count_job(con: duckdb.DuckDBPyConnection) -> None:
    """Count a job in the caller's transaction: the views are built whole after it."""
    con.execute(
        "INSERT INTO meta VALUES (?, '1') ON CONFLICT (key) DO UPDATE "
        "SET value = (meta.value::BIGINT + 1)::VARCHAR",
        [JOBS_RUN],
    )


@dataclass(frozen=True)
class ApplyResult:
    applied: int
    skipped: int


# A publish fetches a few hundred scattered rows of million-row tables through their
# indexes; DuckDB decompresses a whole vector per column for each row it fetches, so the
# state is stored uncompressed (about 3x faster lookups for about 2.5x the bytes on disk).
STORAGE = {"force_compression": "uncompressed"}


def connect_state(path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, config=STORAGE)


class DuckDBStateStore:
    def __init__(self, path: Path | str) -> None:
        self._path = str(path)
        self._con = connect_state(self._path)
        self._threads: int | None = None  # DuckDB threads set on it (None: its default)
        # what an apply changed is kept for the next publish (``pending_changes``); a replay
        # into a fresh state, whose publish builds every view whole, keeps nothing
        self.note_changes = True
        for statement in create_statements():
            self._con.execute(statement)

    def recover(self) -> None:
        """After a failed unit of work: roll back a transaction it left open, and reopen
        the file when DuckDB has given up on this connection (what was committed stays)."""
        try:
            self._con.execute("ROLLBACK")
        except duckdb.Error:
            pass  # no transaction was open
        try:
            self._con.execute("SELECT 1").fetchall()
        except duckdb.Error:
            try:
                self._con.close()
            except duckdb.Error:
                pass
            self._con = connect_state(self._path)
            self._threads = None

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        return self._con

    def close(self) -> None:
        self._con.close()

    def use_threads(self, count: int | None) -> None:
        """The statements from here on run on ``count`` DuckDB threads (None: every core,
        DuckDB's default) until a caller asks for another count: each unit of work says
        what it needs (a live batch and its publish one thread, a job or a whole build every
        core). The store keeps the setting it made, so asking for the one in force costs no
        statement: a live processor's batches set nothing (a ``SET threads`` is about a
        millisecond, a ``RESET`` two, as DuckDB starts or stops its workers)."""
        if count != self._threads:
            _set_threads(self._con, count)
            self._threads = count

    def transaction(self) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """``with state.transaction() as con:`` one unit of work (see ``transaction``)."""
        return transaction(self._con)

    def apply(self, events: Sequence[Event], meta: dict[str, str] | None = None) -> ApplyResult:
        """Apply a batch in one transaction; returns how many events changed state."""
        with self.transaction():
            record_prices(self._con, [e for e in events if isinstance(e, ProductChanged)])
            applied = self._apply_changes(latest_changes(events))
            applied += self._apply_trash(latest_trash(events))
            applied += self._note([e for e in events if isinstance(e, DeliveryNoted)])
            self._set_meta(meta or {})
        return ApplyResult(applied=applied, skipped=len(events) - applied)

    def get_meta(self, key: str) -> str | None:
        return self.get_metas([key])[key]

    def get_metas(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Several meta values in one query (fetchall: a half-read result would block the
        connection for the next statement)."""
        if not keys:
            return {}
        marks = ", ".join("?" for _ in keys)
        sql = f"SELECT key, value FROM meta WHERE key IN ({marks})"
        rows = self._con.execute(sql, list(keys)).fetchall()
        found = dict(rows)
        return {key: found.get(key) for key in keys}

    def unchecked_changes(self) -> dict[str, list[int]]:
        """The published changes the alert rules have not checked yet, by resource."""
        return self._ids_by_resource("alert_scope")

    def has_unchecked(self) -> bool:
        """Whether published changes wait for the alert rules."""
        return bool(self._con.execute("SELECT EXISTS (FROM alert_scope)").fetchall()[0][0])

    def pending_changes(self) -> dict[str, list[int]]:
        """The resources changed since the views were last published, by resource."""
        return self._ids_by_resource("pending_changes")

    def _ids_by_resource(self, table: str) -> dict[str, list[int]]:
        """The ids ``table`` holds, by resource, in order: one list per resource from DuckDB
        (a backlog's 30,000 changes: 5.6 ms, against 10.8 ms as one row each)."""
        sql = f"SELECT resource, list(id ORDER BY id) FROM {table} GROUP BY 1 ORDER BY 1"
        return dict(self._con.execute(sql).fetchall())

    def published(
        self, included: Mapping[str, Sequence[int]], params: str, unchecked: bool = False
    ) -> None:
        """After a publish: forget the changes it included (what ``pending_changes`` gave
        it) and keep what its views were computed with (``view_params``), in one step.
        ``unchecked``: the alert rules have not seen these changes yet; their orders,
        customers and products go into ``alert_scope`` for the next check. The pairs travel
        as two list parameters (registering them as a table and dropping it cost two more
        calls, about 1 ms)."""
        pairs = [(resource, rid) for resource, ids in included.items() for rid in ids]
        resources = [resource for resource, _ in pairs]
        ids = [rid for _, rid in pairs]
        with self.transaction():
            if pairs:  # one statement for every resource
                if unchecked:
                    self._con.execute(
                        "INSERT INTO alert_scope SELECT * FROM (SELECT unnest(?::VARCHAR[]) AS "
                        "r, unnest(?::BIGINT[])) WHERE list_contains(?, r) ON CONFLICT DO NOTHING",
                        [resources, ids, list(ALERT_RESOURCES)],
                    )
                if self._holds_only(len(pairs)):  # every pending change was published
                    self._con.execute("DELETE FROM pending_changes")
                else:
                    self._con.execute(
                        "DELETE FROM pending_changes WHERE (resource, id) IN "
                        "(SELECT unnest(?::VARCHAR[]), unnest(?::BIGINT[]))",
                        [resources, ids],
                    )
            self._set_meta({VIEW_PARAMS: params})

    def _holds_only(self, published: int) -> bool:
        """Whether ``pending_changes`` holds just the ``published`` changes (they came from
        it, so the same count is the same rows), asked only of a big publish (a backlog's or
        a whole build's): forgetting 66,000 changes one by one costs about 240 ms (the pairs
        go to DuckDB as lists), emptying the table almost nothing; a live publish's few
        hundred cost 2.4 ms, less than the count would add to it."""
        if published < FORGET_ALL_FROM:
            return False
        ((count,),) = self._con.execute("SELECT count(*) FROM pending_changes").fetchall()
        return int(count) == published

    def _note_pending(self, resource: str, ids: Sequence[int]) -> None:
        if ids and self.note_changes:
            self._con.execute(
                "INSERT OR IGNORE INTO pending_changes SELECT ?, UNNEST(?)", [resource, list(ids)]
            )

    def _apply_changes(self, best: dict[str, dict[int, Changed]]) -> int:
        applied = 0
        for resource, changes in best.items():
            if changes:
                winners = self._upsert(RESOURCE_TABLES[resource], list(changes.values()))
                self._note_pending(resource, winners)
                applied += len(winners)
        return applied

    def _upsert(self, table: ResourceTable, changes: list[Changed]) -> list[int]:
        """Store each payload newer than the stored one (or the first), with its child
        rows; returns their ids."""
        self._con.register("candidates", payload_table(table, changes))
        try:
            winners, stored = self._write_newer(table, [key_of(c) for c in changes])
        finally:
            self._con.unregister("candidates")
        if winners:
            won = set(winners)
            replace_children(self._con, table, stored, [c for c in changes if key_of(c) in won])
        return winners

    def _write_newer(self, table: ResourceTable, keys: list[int]) -> tuple[list[int], list[int]]:
        """Write the ``candidates`` (of ``keys``) whose version is greater than the stored
        row's (a row holding only a trash time has none), or that have none; returns their
        keys, and those of them that replaced a stored row.

        The winners replace their rows by a delete and an insert (the stored trash time
        carried over), not by ``INSERT .. ON CONFLICT DO UPDATE``: DuckDB updates a stored
        row column by column, and on the 1M-order shop an upsert of 500 new and 150 updated
        orders took 49 ms against 21 this way (commit included; 100 new ones: 7.0 / 6.4)."""
        key, stored = table.key, table.name
        cols = ", ".join(f"c.{name}" for name in table.schema.names)
        with listed_ids(self._con, keys, f"SELECT {key} FROM candidates") as listed:
            found = arrow_of(
                self._con,
                f"SELECT {cols}, s.trash_at, s.{key} IS NOT NULL AS was_stored "
                f"FROM candidates c LEFT JOIN (SELECT {key}, v_at, v_hash, trash_at FROM {stored} "
                f"WHERE {key} IN ({listed})) s ON s.{key} = c.{key} "
                f"WHERE s.{key} IS NULL OR s.v_at IS NULL OR c.v_at > s.v_at "
                "OR (c.v_at = s.v_at AND c.v_hash > s.v_hash)",
            )
        if not found.num_rows:
            return [], []
        winners = found.column(key).to_pylist()
        replaced = found.filter(found.column("was_stored")).column(key).to_pylist()
        if replaced:
            with listed_ids(self._con, replaced) as listed:
                self._con.execute(f"DELETE FROM {stored} WHERE {key} IN ({listed})")
        self._con.register("winners", found.drop_columns(["was_stored"]))
        try:
            names = ", ".join([*table.schema.names, "trash_at"])
            self._con.execute(f"INSERT INTO {stored} ({names}) SELECT {names} FROM winners")
        finally:
            self._con.unregister("winners")
        return winners, replaced

    def _apply_trash(self, trash: dict[tuple[str, int], datetime]) -> int:
        applied = 0
        for (resource, rid), at in trash.items():
            table = RESOURCE_TABLES[resource]
            changed = self._con.execute(
                f"INSERT INTO {table.name} ({table.key}, trash_at) VALUES (?, ?) "
                f"ON CONFLICT ({table.key}) DO UPDATE SET trash_at = excluded.trash_at "
                f"WHERE {table.name}.trash_at IS NULL OR excluded.trash_at > {table.name}.trash_at "
                "RETURNING 1",
                [rid, at],
            ).fetchall()
            if changed:
                self._note_pending(resource, [rid])
            applied += len(changed)
        return applied

    def _note(self, noted: list[DeliveryNoted]) -> int:
        applied = 0
        for n in noted:
            applied += len(
                self._con.execute(
                    "INSERT INTO deliveries_noted VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING "
                    "RETURNING 1",
                    [n.kind, n.topic, n.code, n.at],
                ).fetchall()
            )
        return applied

    def _set_meta(self, meta: dict[str, str]) -> None:
        if not meta:
            return
        values = ", ".join(["(?, ?)"] * len(meta))
        params = [item for pair in meta.items() for item in pair]
        self._con.execute(
            f"INSERT INTO meta VALUES {values} "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params,
        )
