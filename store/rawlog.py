"""The append-only raw event log of a shop: one Parquet file per applied batch.

Files are written to a temporary name and renamed into place, so a reader never sees a
half-written file. Names sort in write order; ``read`` yields envelopes in that order,
which is the order ``replay`` applies them in.

Append-only with four exceptions: a GDPR erasure ``rewrite``s the files that hold the erased
customer, each under its own name, so that order is kept; the shop's retention job
``drop_rows`` the superseded envelopes older than its window (``processors/retention.py``)
the same way; the shop's writer ``discard``s the file of a batch it could not apply (only
applied envelopes are replayable); and it ``compact``s the newest small files into one, in
order (``store/rawlog_compact.py``).

``RejectedLog`` keeps, apart from it in the same format plus a reason, the envelopes a
processor refused (dead-lettered): to inspect them, and for an erasure to scrub them too.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.envelope import Envelope
from store import rawlog_compact

RAW_SCHEMA = pa.schema(
    [
        ("envelope_id", pa.string()),
        ("shop_id", pa.string()),
        ("topic", pa.string()),
        ("resource", pa.string()),
        ("event", pa.string()),
        ("resource_id", pa.int64()),
        ("source", pa.string()),
        ("webhook_id", pa.string()),
        ("delivery_id", pa.string()),
        ("received_at", pa.timestamp("us", tz="UTC")),
        ("body_sha256", pa.string()),
        ("body", pa.string()),
    ]
)
_FIELDS = RAW_SCHEMA.names
Rows = list[dict[str, object]] | dict[str, list[object]]  # rows, or columns
# the columns in the order of Envelope's fields: a batch read is made into envelopes
# positionally, a column at a time (about 3.5 us an envelope less than a dict per row)
_IN_ENVELOPE_ORDER = list(Envelope.__struct_fields__)
REJECTED_SCHEMA = RAW_SCHEMA.append(pa.field("rejected_at", pa.timestamp("us", tz="UTC"))).append(
    pa.field("reason", pa.string())
)


class ParquetRawLog:
    """Envelopes in Parquet files that sort in write order (see the module docstring)."""

    schema = RAW_SCHEMA

    def __init__(self, raw_dir: Path) -> None:
        self._dir = Path(raw_dir)
        self._last: str | None = None  # stem (without the random suffix) of the newest file
        self._appended = 0  # files appended since the last compaction

    def files(self) -> list[Path]:
        if not self._dir.is_dir():
            return []
        return sorted(p for p in self._dir.glob("*.parquet"))

    def append(self, envelopes: Sequence[Envelope], now: datetime) -> Path | None:
        """Write one batch durably (fsync, then atomic rename); returns the file."""
        if not envelopes:
            return None
        return self._append_rows(_columns(envelopes), now)

    def discard(self, path: Path) -> None:
        """Remove a file ``append`` just wrote (its batch was not applied); the writer only."""
        path.unlink(missing_ok=True)

    def _append_rows(self, rows: Rows, now: datetime) -> Path:
        self._dir.mkdir(parents=True, exist_ok=True)
        final = self._dir / f"{self._next_name(now)}-{uuid.uuid4().hex[:8]}.parquet"
        _write_durably(rows, final, self.schema)
        self._appended += 1
        return final

    def recover(self) -> None:
        """Finish or undo a compaction a crash interrupted (the writer, on opening)."""
        if self._dir.is_dir():
            rawlog_compact.recover(self._dir)

    def compact(self, every: int | None = None) -> int:
        """Once ``every`` files (default ``MERGE_EVERY``) were appended since the last time:
        merge the newest run of small files into one (``store/rawlog_compact.py``); the
        writer only, after its batch committed. Returns how many files it removed."""
        if self._appended < (rawlog_compact.MERGE_EVERY if every is None else every):
            return 0
        self._appended = 0
        self.recover()  # a merge cut short before: finished or undone
        run = rawlog_compact.newest_run(self.files())
        rawlog_compact.merge(run, self.schema)
        return max(len(run) - 1, 0)

    def rewrite(self, transform: Callable[[Envelope], Envelope | None]) -> int:
        """Pass every logged envelope through ``transform`` (the same object: unchanged,
        None: dropped). Each file with a change is written again under its own name (temp
        file, fsync, atomic rename), so the log keeps its order; a file left empty is
        removed. Returns how many envelopes were changed or dropped. Only the shop's
        writer may call this (the writer lock is what keeps appends out meanwhile)."""
        self.recover()  # a merge cut short: its files are one copy of each envelope again
        changed = 0
        for path in self.files():
            rows = pq.read_table(path).to_pylist()
            kept: list[dict[str, object]] = []
            changes = 0
            for row in rows:
                envelope = _envelope(row)
                result = transform(envelope)
                if result is envelope:
                    kept.append(row)
                    continue
                changes += 1
                if result is not None:
                    kept.append(row | _row(result))
            if changes:
                _replace_file(path, kept, self.schema)
                changed += changes
        return changed

    def envelopes_by_file(self, files: Sequence[Path]) -> Iterator[tuple[Path, list[Envelope]]]:
        """Each of ``files`` (of this log, in log order) with its envelopes, in file order."""
        for path in files:
            yield path, _envelopes_of(pq.read_table(path, columns=_IN_ENVELOPE_ORDER))

    def drop_rows(self, rows: Mapping[Path, Sequence[int]]) -> int:
        """Remove the rows at these positions (from 0) of each file: the file is written
        again under its own name (temp file, fsync, atomic rename), or removed when nothing
        is left, so the log keeps its order. Returns how many rows went. The writer only."""
        dropped = 0
        for path, positions in rows.items():
            gone = set(positions)
            if not gone:
                continue
            table = pq.read_table(path)
            keep = pa.array([row not in gone for row in range(table.num_rows)], pa.bool_())
            _replace_file(path, table.filter(keep), self.schema)
            dropped += len(gone)
        return dropped

    def received_before(self, files: Sequence[Path], cutoff: datetime) -> bool:
        """Whether any of ``files`` holds an envelope received before ``cutoff``."""
        for path in files:
            received = pq.read_table(path, columns=["received_at"])["received_at"]
            if len(received) and pc.min(received).as_py() < cutoff:
                return True
        return False

    def drop_received_before(self, cutoff: datetime) -> int:
        """Remove every row received before ``cutoff`` (as ``drop_rows`` does); the
        rejected log's retention. Returns how many rows went."""
        rows: dict[Path, list[int]] = {}
        for path in self.files():
            received = pq.read_table(path, columns=["received_at"])["received_at"].to_pylist()
            rows[path] = [n for n, at in enumerate(received) if at < cutoff]
        return self.drop_rows(rows)

    def _next_name(self, now: datetime) -> str:
        """``<time>-<sequence>``, never sorting before the newest file: a batch written
        in the same microsecond (or after the clock stepped back) still sorts after it,
        because replay runs jobs at their place in this order."""
        stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S%f")
        if self._last is None:
            files = self.files()
            self._last = files[-1].stem if files else ""
        last_stamp, _, rest = self._last.partition("-")
        name = f"{stamp}-{0:06d}"
        if stamp <= last_stamp:
            sequence = rest.split("-")[0]
            following = int(sequence) + 1 if sequence.isdigit() else 1
            name = f"{last_stamp}-{following:06d}"
        self._last = name
        return name

    def read_batches(self, batch_rows: int = 5000) -> Iterator[list[Envelope]]:
        """All logged envelopes, in log order, in lists of ``batch_rows`` (the last one
        shorter): a list spans files, so a replay applies big batches however small the
        files the live processor wrote."""
        pending: list[Envelope] = []
        for path in self.files():
            parquet = pq.ParquetFile(path)
            for record_batch in parquet.iter_batches(batch_rows, columns=_IN_ENVELOPE_ORDER):
                pending += _envelopes_of(record_batch)
                while len(pending) >= batch_rows:
                    yield pending[:batch_rows]
                    pending = pending[batch_rows:]
        if pending:
            yield pending

    def count(self, files: Sequence[Path] | None = None) -> int:
        """The envelopes of ``files`` (default: the whole log)."""
        chosen = self.files() if files is None else files
        return sum(pq.ParquetFile(p).metadata.num_rows for p in chosen)


class RejectedLog(ParquetRawLog):
    """The envelopes a shop's processor refused, each with its reason (never replayed)."""

    schema = REJECTED_SCHEMA

    def append_rejected(
        self, rejected: Sequence[tuple[Envelope, str]], now: datetime
    ) -> Path | None:
        if not rejected:
            return None
        columns = _columns([envelope for envelope, _ in rejected])
        columns["rejected_at"] = [now] * len(rejected)
        columns["reason"] = [reason for _, reason in rejected]
        return self._append_rows(columns, now)

    def reason_of(self, envelope_id: str) -> str | None:
        """Why the envelope was refused; None when it was not (or not yet)."""
        for path in reversed(self.files()):
            table = pq.read_table(path, columns=["envelope_id", "reason"])
            for found, reason in zip(*table.to_pydict().values(), strict=True):
                if found == envelope_id:
                    return str(reason)
        return None

    def records(self, limit: int | None = None) -> list[dict[str, object]]:
        """The newest ``limit`` refused envelopes (all when None), oldest first: every raw
        log column plus ``rejected_at`` and ``reason``."""
        rows: list[dict[str, object]] = []
        for path in reversed(self.files()):
            rows[:0] = pq.read_table(path).to_pylist()
            if limit is not None and len(rows) >= limit:
                return rows[-limit:]
        return rows


def _write_durably(rows: Rows | pa.Table, final: Path, schema: pa.Schema) -> None:
    """Rows as a list of dicts, as columns (a dict of lists, the cheaper form) or a table."""
    tmp = final.with_suffix(".tmp")
    if isinstance(rows, pa.Table):
        table = rows
    elif isinstance(rows, dict):
        table = pa.Table.from_pydict(rows, schema=schema)
    else:
        table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)


def _replace_file(path: Path, rows: Rows | pa.Table, schema: pa.Schema) -> None:
    if rows.num_rows if isinstance(rows, pa.Table) else rows:
        _write_durably(rows, path, schema)
    else:
        path.unlink()


def _envelopes_of(rows: pa.Table | pa.RecordBatch) -> list[Envelope]:
    """Envelopes of rows read in ``_IN_ENVELOPE_ORDER``, made positionally a column at a
    time."""
    columns = [column.to_pylist() for column in rows.columns]
    return [Envelope(*values) for values in zip(*columns, strict=True)]


def _columns(envelopes: Sequence[Envelope]) -> dict[str, list[object]]:
    return {name: [getattr(e, name) for e in envelopes] for name in _FIELDS}


def _row(envelope: Envelope) -> dict[str, object]:
    return {name: getattr(envelope, name) for name in _FIELDS}


def _envelope(row: dict[str, object]) -> Envelope:
    return Envelope(**{name: row[name] for name in _FIELDS})  # type: ignore[arg-type]
