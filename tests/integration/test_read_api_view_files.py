"""The read API reads a view as its manifest names it: a base with a delta laid over it, one
consistent version per request, and the single files earlier versions wrote. Real Parquet,
real DuckDB, real Flask; ``wcpulse views`` prints the SQL that plain DuckDB reads them with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.views import VIEW_KEYS, VIEWS
from store.layout import shop_paths
from store.view_files import live_files, read_manifest
from store.viewstore import Changed, ViewStore, write_views
from tests.cli_runner import run_wcpulse
from tests.integration.read_api_support import get, publish_views
from tests.views_builder import read_views

NOW = datetime(2024, 4, 10, 12, tzinfo=UTC)


def orders_page(client) -> dict[int, dict]:
    response = get(client, "orders?per_page=500")
    assert response.status_code == 200, response.get_json()
    return {row["order_id"]: row for row in response.get_json()["data"]}


def test_changed_rows_in_a_delta_replace_and_delete_base_rows_in_the_api(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    whole = read_views(views)["orders"]
    before = orders_page(client)
    first, second = sorted(before)[:2]
    changed = whole.filter(pc.equal(whole["order_id"], first))
    changed = changed.set_column(
        changed.schema.get_field_index("status"), "status", pa.array(["cancelled"])
    )
    rest = whole.filter(pc.not_equal(whole["order_id"], second))
    deleted = pa.table({"order_id": pa.array([second], pa.int64())})
    write = Changed(changed, deleted, rest.num_rows, lambda: rest)
    ViewStore(views).publish({"orders": write}, VIEW_KEYS, NOW)
    assert live_files(read_manifest(views))["orders"].delta is not None

    after = orders_page(client)
    assert after[first]["status"] == "cancelled"
    assert second not in after
    assert set(after) == set(before) - {second}


def test_views_written_by_earlier_versions_are_still_read(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    expected = orders_page(client)
    for name, table in read_views(views).items():
        pq.write_table(table, views / f"{name}.parquet")
    (views / "manifest.json").write_text(json.dumps({"version": "old", "views": sorted(VIEWS)}))
    for folder in [p for p in views.iterdir() if p.is_dir()]:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()

    assert orders_page(client) == expected


def test_the_views_command_prints_sql_plain_duckdb_reads_each_view_with(tmp_path):
    shop_id = _registered_shop(tmp_path)
    views = shop_paths(tmp_path, shop_id).views_dir
    rows = {"order_id": [3, 1, 2]}
    table = pa.table(
        {n: rows.get(n, [None] * 3) for n in VIEWS["orders"].names}, schema=VIEWS["orders"]
    )
    write_views(views, {"orders": table}, NOW)
    listed = run_wcpulse(tmp_path, "views", shop_id)
    assert listed.returncode == 0, listed.stderr
    assert "orders" in listed.stdout and "3 rows" in listed.stdout
    printed = run_wcpulse(tmp_path, "views", shop_id, "orders", "--sql")
    assert printed.returncode == 0, printed.stderr
    sql = printed.stdout.split("\n", 1)[1].strip().rstrip(";")
    assert duckdb.sql(f"SELECT order_id FROM ({sql}) ORDER BY 1").fetchall() == [(1,), (2,), (3,)]
    unknown = run_wcpulse(tmp_path, "views", shop_id, "nope")
    assert unknown.returncode == 1 and "no published view 'nope'" in unknown.stderr


def _registered_shop(data_dir: Path) -> str:
    added = run_wcpulse(
        data_dir, "shop", "add", "--name", "V", "--url", "https://v.example", "--json"
    )
    assert added.returncode == 0, added.stderr
    return json.loads(added.stdout)["shop_id"]
