"""Raw log compaction: the newest run of tiny files merged into one, in log order.

The live processor writes one file per applied batch: at 200 events/s in batches of about
50, some 350,000 files a day, each opened on its own by a replay (about 1 ms a file) and
listed by every look at the log. Every ``MERGE_EVERY`` appended files the writer merges the
newest run of files under ``SMALL_ROWS`` rows each (at most ``TARGET_ROWS`` together) into
one file under the name of the run's first file, so the log's order holds: the files of the
run were consecutive, and the merged file sorts where they did. A merged file is no longer
tiny, so nothing is merged twice; a backlog's big batches are not merged at all. Measured:
100 files of 50 order envelopes merge in about 0.15 s, once per 100 batches. Only the
shop's writer compacts, after a batch committed: a file that may still be discarded (its
batch not applied) is never merged.

Crash safety: the merged rows are written to a temporary file and synced; then an intent
(``compacting.json``: the temporary file, the run's files) is written and synced; then the
temporary file replaces the run's first file (an atomic rename) and the others are removed;
the intent goes last. ``recover`` (the writer, when it opens the log) finishes what an
intent left: while the temporary file is still there, the rename did not happen and the
log is as it was (the temporary file goes); once it is gone, the merged file is in place and
the rest of the run goes. Either way no envelope is lost and none is logged twice.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SMALL_ROWS = 200  # files of fewer rows are merged
TARGET_ROWS = 20_000  # at most this many rows in a merged file
MERGE_EVERY = 100  # files appended between two compactions
INTENT = "compacting.json"
TMP_SUFFIX = ".compact.tmp"


def newest_run(files: list[Path]) -> list[Path]:
    """The newest files (in log order) that merge into one: each under ``SMALL_ROWS``
    rows, together at most ``TARGET_ROWS``."""
    run: list[Path] = []
    rows = 0
    for path in reversed(files):
        count = pq.ParquetFile(path).metadata.num_rows
        if count >= SMALL_ROWS or rows + count > TARGET_ROWS:
            break
        run.append(path)
        rows += count
    run.reverse()
    return run


def merge(run: list[Path], schema: pa.Schema) -> None:
    """Replace the files of ``run`` (consecutive in the log) by one file of their rows, in
    order, under the first one's name (see the module doc for the steps)."""
    if len(run) < 2:
        return
    folder, first = run[0].parent, run[0]
    tmp = folder / (first.stem + TMP_SUFFIX)
    table = pa.concat_tables([pq.read_table(path, schema=schema) for path in run])
    pq.write_table(table, tmp, compression="zstd")
    _sync_file(tmp)
    intent = {"tmp": tmp.name, "replaced": [path.name for path in run[1:]]}
    _write_synced(folder / INTENT, json.dumps(intent).encode())
    os.replace(tmp, first)
    _sync_dir(folder)
    for path in run[1:]:
        path.unlink(missing_ok=True)
    _sync_dir(folder)
    (folder / INTENT).unlink()
    _sync_dir(folder)


def recover(folder: Path) -> None:
    """Finish or undo a compaction a crash interrupted; remove a temporary file left
    before its intent was written."""
    intent_path = folder / INTENT
    (folder / (INTENT + ".tmp")).unlink(missing_ok=True)  # an intent not written whole
    if intent_path.exists():
        intent = json.loads(intent_path.read_text())
        tmp = folder / intent["tmp"]
        if tmp.exists():  # not renamed: the log is as it was
            tmp.unlink()
        else:  # the merged file is in place: the rest of its run goes
            for name in intent["replaced"]:
                (folder / name).unlink(missing_ok=True)
        _sync_dir(folder)
        intent_path.unlink()
        _sync_dir(folder)
    for stray in folder.glob("*" + TMP_SUFFIX):
        stray.unlink()


def _write_synced(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _sync_dir(path.parent)


def _sync_file(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _sync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
