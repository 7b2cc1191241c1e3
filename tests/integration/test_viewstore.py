"""Published views as a base and a delta named by a manifest: real Parquet files in tmp_path,
read back through the same SQL the API uses (DuckDB)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from store import viewstore
from store.view_files import live_files, merge_sql, read_manifest
from store.viewstore import Changed, ViewStore, Whole

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string()), ("spent", pa.float64())])
KEYS = {"people": ["id"]}


def table(rows: dict[int, tuple[str, float]]) -> pa.Table:
    ids = sorted(rows)
    return pa.table(
        {"id": ids, "name": [rows[i][0] for i in ids], "spent": [rows[i][1] for i in ids]},
        schema=SCHEMA,
    )


def changed(model: dict[int, tuple[str, float]], upserts: dict, deleted: list[int]) -> Changed:
    keys = pa.table({"id": pa.array(deleted, pa.int64())})
    return Changed(table(upserts), keys, len(model), lambda: table(model))


def read(views_dir: Path, name: str = "people") -> dict[int, tuple[str, float]]:
    files = live_files(read_manifest(views_dir))[name]
    sql = merge_sql(files, views_dir)
    rows = duckdb.sql(f"SELECT id, name, spent FROM ({sql}) ORDER BY id").fetchall()
    return {i: (n, s) for i, n, s in rows}


def test_a_whole_view_is_one_sorted_base_named_by_the_manifest(tmp_path):
    rows = {3: ("c", 3.0), 1: ("a", 1.0), 2: ("b", 2.0)}
    version = ViewStore(tmp_path).publish({"people": Whole(table(rows))}, KEYS, NOW)
    manifest = read_manifest(tmp_path)
    files = live_files(manifest)["people"]
    assert manifest["version"] == version
    assert (files.delta, files.rows) == (None, 3)
    assert read(tmp_path) == rows


def test_changes_go_to_a_delta_that_lays_over_the_base(tmp_path):
    store = ViewStore(tmp_path)
    model = {1: ("a", 1.0), 2: ("b", 2.0), 3: ("c", 3.0)}
    first = store.publish({"people": Whole(table(model))}, KEYS, NOW)
    model.update({2: ("B", 20.0), 4: ("d", 4.0)})
    del model[1]
    second = store.publish(
        {"people": changed(model, {2: ("B", 20.0), 4: ("d", 4.0)}, [1])}, KEYS, NOW
    )
    files = live_files(read_manifest(tmp_path))["people"]
    assert files.delta is not None and files.rows == 3
    assert read(tmp_path) == model
    assert second != first
    model[4] = ("D", 40.0)  # a later change of the same key, in a later delta, wins
    store.publish({"people": changed(model, {4: ("D", 40.0)}, [])}, KEYS, NOW)
    assert read(tmp_path) == model
    deltas = live_files(read_manifest(tmp_path))["people"].deltas
    assert len(deltas) == 2  # a publish writes only its own change
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / deltas[-1]}'").fetchall() == [(1,)]


def test_deltas_past_the_limit_are_merged_into_one_row_per_key(tmp_path, monkeypatch):
    monkeypatch.setattr(viewstore, "MAX_DELTAS", 2)
    store = ViewStore(tmp_path)
    model = {1: ("a", 1.0), 2: ("b", 2.0)}
    store.publish({"people": Whole(table(model))}, KEYS, NOW)
    for step, key in enumerate([2, 3, 2]):
        model[key] = ("x", float(step))
        store.publish({"people": changed(model, {key: model[key]}, [])}, KEYS, NOW)
    [merged] = live_files(read_manifest(tmp_path))["people"].deltas
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / merged}'").fetchall() == [(2,)]
    assert read(tmp_path) == model


def test_past_the_limit_the_small_newer_deltas_are_merged_and_a_big_older_one_kept(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(viewstore, "MAX_DELTAS", 3)
    monkeypatch.setattr(viewstore, "delta_limit", lambda name: 3)
    store = ViewStore(tmp_path)
    model = {i: (str(i), float(i)) for i in range(100)}
    store.publish({"people": Whole(table(model))}, KEYS, NOW)
    big = {i: ("big", float(i)) for i in range(40)}
    model.update(big)
    store.publish({"people": changed(model, big, [])}, KEYS, NOW)
    [oldest] = live_files(read_manifest(tmp_path))["people"].deltas
    for step, key in enumerate((1, 2, 1)):  # three small deltas: four, past the limit of 3
        model[key] = ("small", -float(step))
        store.publish({"people": changed(model, {key: model[key]}, [])}, KEYS, NOW)
    deltas = live_files(read_manifest(tmp_path))["people"].deltas
    assert len(deltas) == 2 and deltas[0] == oldest  # the big one is not written again
    assert duckdb.sql(f"SELECT count(*) FROM '{tmp_path / deltas[1]}'").fetchall() == [(2,)]
    assert read(tmp_path) == model  # the newer rows of keys 1 and 2 win over the big delta's


def test_a_process_merges_deltas_another_process_wrote_from_their_files(tmp_path, monkeypatch):
    monkeypatch.setattr(viewstore, "delta_limit", lambda name: 2)
    store = ViewStore(tmp_path)
    model = {1: ("a", 1.0), 2: ("b", 2.0)}
    store.publish({"people": Whole(table(model))}, KEYS, NOW)
    for step, key in enumerate([2, 3]):
        model[key] = ("x", float(step))
        store.publish({"people": changed(model, {key: model[key]}, [])}, KEYS, NOW)
    monkeypatch.setattr(viewstore, "_written", viewstore._Written(most=4))  # a new process
    model[3] = ("y", 9.0)
    store.publish({"people": changed(model, {3: model[3]}, [])}, KEYS, NOW)  # 3 deltas: merged
    assert len(live_files(read_manifest(tmp_path))["people"].deltas) == 1
    assert read(tmp_path) == model


def test_views_changed_at_every_publish_merge_their_deltas_at_different_publishes():
    from schemas.views import VIEW_KEYS

    limits = {viewstore.delta_limit(name) for name in VIEW_KEYS}
    assert len(limits) >= 3
    assert all(viewstore.MAX_DELTAS // 2 < limit <= viewstore.MAX_DELTAS for limit in limits)


def test_publishing_the_same_rows_again_keeps_the_version(tmp_path):
    store = ViewStore(tmp_path)
    model = {1: ("a", 1.0)}
    first = store.publish({"people": Whole(table(model))}, KEYS, NOW)
    assert store.publish({"people": Whole(table(model))}, KEYS, NOW) == first
    model[2] = ("b", 2.0)
    second = store.publish({"people": changed(model, {2: ("b", 2.0)}, [])}, KEYS, NOW)
    assert store.publish({"people": changed(model, {2: ("b", 2.0)}, [])}, KEYS, NOW) == second


def test_a_delta_past_the_threshold_is_folded_into_a_new_base(tmp_path, monkeypatch):
    monkeypatch.setattr(viewstore, "COMPACT_ROWS", 2)
    store = ViewStore(tmp_path)
    model = {i: (str(i), float(i)) for i in range(10)}
    store.publish({"people": Whole(table(model))}, KEYS, NOW)
    model.update({20: ("x", 1.0), 21: ("y", 2.0), 22: ("z", 3.0)})
    store.publish({"people": changed(model, {k: model[k] for k in (20, 21, 22)}, [])}, KEYS, NOW)
    files = live_files(read_manifest(tmp_path))["people"]
    assert (files.delta, files.rows) == (None, 13)
    assert read(tmp_path) == model


def test_files_no_manifest_names_go_only_after_the_grace_period(tmp_path, monkeypatch):
    monkeypatch.setattr(viewstore, "SWEEP_SECONDS", 0.0)  # every publish looks for them
    store = ViewStore(tmp_path)
    store.publish({"people": Whole(table({1: ("a", 1.0)}))}, KEYS, NOW)
    old = live_files(read_manifest(tmp_path))["people"]
    store.publish({"people": Whole(table({1: ("b", 1.0)}))}, KEYS, NOW)
    assert (tmp_path / old.base).exists()  # a reader of the old manifest still finds it
    assert read(tmp_path) == {1: ("b", 1.0)}
    aged = time.time() - viewstore.GRACE_SECONDS - 1
    os.utime(tmp_path / old.base, (aged, aged))
    store.publish({"people": Whole(table({1: ("c", 1.0)}))}, KEYS, NOW)
    assert not (tmp_path / old.base).exists()


def test_superseded_files_are_looked_for_at_most_every_sweep_period(tmp_path, monkeypatch):
    store = ViewStore(tmp_path)
    store.publish({"people": Whole(table({1: ("a", 1.0)}))}, KEYS, NOW)
    old = live_files(read_manifest(tmp_path))["people"]
    store.publish({"people": Whole(table({1: ("b", 1.0)}))}, KEYS, NOW)
    aged = time.time() - viewstore.GRACE_SECONDS - 1
    os.utime(tmp_path / old.base, (aged, aged))
    store.publish({"people": Whole(table({1: ("c", 1.0)}))}, KEYS, NOW)
    assert (tmp_path / old.base).exists()  # looked for a moment ago: not yet
    monkeypatch.setattr(viewstore, "SWEEP_SECONDS", 0.0)  # the period is over
    store.publish({"people": Whole(table({1: ("d", 1.0)}))}, KEYS, NOW)
    assert not (tmp_path / old.base).exists()
    store.publish({"people": Whole(table({1: ("e", 1.0)}))}, KEYS, NOW, grace_seconds=0)
    assert len(list(tmp_path.glob("people/*.parquet"))) == 1  # an erasure's: at once


names = st.sampled_from(["a", "b", "c"])
step = st.tuples(
    st.dictionaries(
        st.integers(0, 15), st.tuples(names, st.floats(0, 9, allow_nan=False)), max_size=6
    ),
    st.lists(st.integers(0, 15), max_size=4),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    start=step,
    steps=st.lists(step, max_size=8),
    threshold=st.integers(1, 12),
    most=st.integers(1, 4),
)
def test_any_sequence_of_changes_reads_back_as_the_model(
    tmp_path_factory, start, steps, threshold, most
):
    folder = tmp_path_factory.mktemp("views")
    original = viewstore.COMPACT_ROWS, viewstore.MAX_DELTAS
    viewstore.COMPACT_ROWS, viewstore.MAX_DELTAS = threshold, most
    try:
        store = ViewStore(folder)
        model = dict(start[0])
        store.publish({"people": Whole(table(model))}, KEYS, NOW)
        for upserts, deleted in steps:
            gone = [k for k in deleted if k not in upserts]
            for key in gone:
                model.pop(key, None)
            model.update(upserts)
            store.publish({"people": changed(model, upserts, gone)}, KEYS, NOW)
            assert read(folder) == model
            assert live_files(read_manifest(folder))["people"].rows == len(model)
    finally:
        viewstore.COMPACT_ROWS, viewstore.MAX_DELTAS = original
