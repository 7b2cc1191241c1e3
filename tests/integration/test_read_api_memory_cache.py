"""The read API holds each published base file in memory (api/memtables.py); a new publish
is read at once: a view written whole again, a delta over the held base, and a base the
budget pushed out of memory. Real Parquet, real DuckDB, real Flask; the expected rows come
from the published files read by pyarrow, not from the API's code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from api import memtables
from schemas.views import VIEW_KEYS
from store.layout import shop_paths
from store.viewstore import Changed, ViewStore, Whole
from tests.integration.read_api_support import get, publish_views
from tests.views_builder import read_views

NOW = datetime(2024, 4, 10, 12, tzinfo=UTC)


def api_totals(client) -> dict[int, str]:
    response = get(client, "orders?per_page=500")
    assert response.status_code == 200, response.get_json()
    return {row["order_id"]: row["total"] for row in response.get_json()["data"]}


def file_totals(views_dir) -> dict[int, str]:
    table = read_views(views_dir)["orders"]
    pairs = zip(table["order_id"].to_pylist(), table["total"].to_pylist(), strict=True)
    return {order_id: None if total is None else str(total) for order_id, total in pairs}


def with_total(table: pa.Table, order_id: int, total: str) -> pa.Table:
    index = table.schema.get_field_index("total")
    column = table["total"]
    values = pc.if_else(
        pc.equal(table["order_id"], order_id), pa.scalar(Decimal(total), column.type), column
    )
    return table.set_column(index, "total", values)


@pytest.fixture(autouse=True)
def _empty_cache():
    memtables.forget_all()
    yield
    memtables.forget_all()


def test_a_view_published_whole_again_is_read_new_not_from_the_held_base(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    assert api_totals(client) == file_totals(views)
    first = min(file_totals(views))
    again = with_total(read_views(views)["orders"], first, "12345.67")
    ViewStore(views).publish({"orders": Whole(again)}, VIEW_KEYS, NOW)

    assert api_totals(client)[first] == "12345.67"
    assert api_totals(client) == file_totals(views)


def test_a_delta_over_the_held_base_is_read_new(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    assert api_totals(client) == file_totals(views)
    whole = read_views(views)["orders"]
    first, second = sorted(file_totals(views))[:2]
    changed = with_total(whole.filter(pc.equal(whole["order_id"], first)), first, "7.00")
    rest = whole.filter(pc.not_equal(whole["order_id"], second))
    deleted = pa.table({"order_id": pa.array([second], pa.int64())})
    ViewStore(views).publish(
        {"orders": Changed(changed, deleted, rest.num_rows, lambda: rest)}, VIEW_KEYS, NOW
    )

    read = api_totals(client)
    assert read[first] == "7.00" and second not in read
    assert read == file_totals(views)
    # the unfiltered total comes from the manifest's count, the filtered one from a count
    unfiltered = get(client, "orders?per_page=1").get_json()["pagination"]["total"]
    assert unfiltered == len(file_totals(views)) == rest.num_rows
    paid = read_views(views)["orders"].filter(pc.field("is_sale")).num_rows
    assert get(client, "orders?per_page=1&is_sale=true").get_json()["pagination"]["total"] == paid


def delta_tables() -> list[str]:
    cursor = memtables.cursor()
    try:
        rows = cursor.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'deltas_%'"
        ).fetchall()
    finally:
        cursor.close()
    return sorted(name for (name,) in rows)


def test_each_version_s_deltas_are_merged_once_and_older_sets_are_dropped(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    ids = sorted(file_totals(views))
    made: list[str] = []
    for n in range(memtables.KEEP_DELTA_SETS + 2):  # a new delta at each publish
        whole = read_views(views)["orders"]
        one = whole.filter(pc.equal(whole["order_id"], ids[n]))
        changed = with_total(one, ids[n], f"{n + 1}.25")
        ViewStore(views).publish(
            {"orders": Changed(changed, pa.table({"order_id": pa.array([], pa.int64())}),
                               whole.num_rows, lambda whole=whole: whole)},
            VIEW_KEYS,
            NOW,
        )  # fmt: skip
        assert api_totals(client) == file_totals(views)
        assert api_totals(client)[ids[n]] == f"{n + 1}.25"
        new = sorted(set(delta_tables()) - set(made))
        assert len(new) == 1  # both requests of this version read one merged table
        made += new
    # the newest sets stay for requests of the versions before; the older ones are gone
    assert delta_tables() == sorted(made[-memtables.KEEP_DELTA_SETS :])


def test_bases_over_the_budget_are_dropped_and_reads_stay_right(tmp_path, client, monkeypatch):
    monkeypatch.setattr(memtables, "BUDGET_BYTES", 1)  # every new base pushes the others out
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    first = min(file_totals(views))
    for cents in range(3):
        total = f"{100 + cents}.00"
        again = with_total(read_views(views)["orders"], first, total)
        ViewStore(views).publish({"orders": Whole(again)}, VIEW_KEYS, NOW)
        assert api_totals(client) == file_totals(views)
        assert api_totals(client)[first] == total
        assert get(client, "customers").status_code == 200


def sale_revenue(views_dir, first: date, last: date) -> str:
    """Revenue of the sale orders with a revenue day in first..last, from the files."""
    table = read_views(views_dir)["orders"]
    days = table["revenue_day"]
    keep = pc.and_(
        pc.and_(table["is_sale"], pc.greater_equal(days, first)), pc.less_equal(days, last)
    )
    return str(sum(table.filter(keep)["total"].to_pylist(), Decimal("0.00")))


def contacts(client) -> dict:
    response = get(client, "retention?table=contacts")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["contacts"]["data"][0]


def test_kpis_retention_and_page_totals_remembered_for_a_version_follow_a_new_publish(
    tmp_path, client
):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    week = (date(2024, 4, 3), date(2024, 4, 9))  # last_7_days in Warsaw on 2024-04-10
    revenue = get(client, "kpis?period=last_7_days").get_json()["kpis"]["revenue"]["value"]
    assert revenue == sale_revenue(views, *week)
    customers = read_views(views)["customers"]
    assert contacts(client)["customers"] == len(customers)
    orders = read_views(views)["orders"]
    in_week = pc.and_(
        orders["is_sale"], pc.equal(orders["revenue_day"], pa.scalar(week[0], pa.date32()))
    )
    changed = pc.index(in_week, True).as_py()
    order_id = orders["order_id"][changed].as_py()
    store = ViewStore(views)
    store.publish({"orders": Whole(with_total(orders, order_id, "1000.00"))}, VIEW_KEYS, NOW)
    store.publish({"customers": Whole(customers.slice(1))}, VIEW_KEYS, NOW)

    revenue = get(client, "kpis?period=last_7_days").get_json()["kpis"]["revenue"]["value"]
    assert revenue == sale_revenue(views, *week)
    assert contacts(client)["customers"] == len(customers) - 1
    page = get(client, "customers?min_orders=0").get_json()["pagination"]
    assert page["total"] == len(customers) - 1


def test_a_view_keeps_only_its_two_newest_bases_in_memory(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    first = min(file_totals(views))
    for cents in range(4):
        again = with_total(read_views(views)["orders"], first, f"{200 + cents}.00")
        ViewStore(views).publish({"orders": Whole(again)}, VIEW_KEYS, NOW)
        assert api_totals(client) == file_totals(views)

    assert _held_bases() == 2  # the orders list reads the orders view only: its two newest bases


def _held_bases() -> int:
    held = memtables.cursor()
    try:
        (count,) = held.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'base_%'"
        ).fetchone()
    finally:
        held.close()
    return count


def test_a_base_whose_file_was_purged_leaves_memory_with_the_next_base(tmp_path, client):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    first = min(file_totals(views))
    assert api_totals(client) == file_totals(views)
    assert _held_bases() == 1
    # an erasure's publish removes the superseded files at once (grace 0)
    again = with_total(read_views(views)["orders"], first, "321.00")
    ViewStore(views).publish({"orders": Whole(again)}, VIEW_KEYS, NOW, grace_seconds=0.0)
    assert api_totals(client) == file_totals(views)
    assert _held_bases() == 1  # the purged base's rows are not kept beside the new one


def test_a_big_base_gets_a_customer_key_index_and_answers_the_same(tmp_path, client, monkeypatch):
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    orders = read_views(views)["orders"]
    key = orders["customer_key"][0].as_py()
    expected = sorted(
        order_id
        for order_id, owner in zip(
            orders["order_id"].to_pylist(), orders["customer_key"].to_pylist(), strict=True
        )
        if owner == key
    )

    def customer_orders() -> list[int]:
        response = get(client, f"orders?customer={key}&per_page=500")
        assert response.status_code == 200, response.get_json()
        return sorted(row["order_id"] for row in response.get_json()["data"])

    assert customer_orders() == expected  # small bases: no index
    cursor = memtables.cursor()
    try:
        assert cursor.execute("SELECT count(*) FROM duckdb_indexes()").fetchall() == [(0,)]
    finally:
        cursor.close()
    memtables.forget_all()
    monkeypatch.setattr(memtables, "INDEX_ROWS", 1)  # every base counts as big
    assert customer_orders() == expected
    cursor = memtables.cursor()
    try:
        indexed = cursor.execute("SELECT sql FROM duckdb_indexes()").fetchall()
    finally:
        cursor.close()
    assert indexed and all("(customer_key)" in sql for (sql,) in indexed)


def test_a_base_is_held_in_the_order_of_its_lists_default_sort(tmp_path, client):
    """The orders base is held newest first (the orders list's default sort), so a page of
    the newest orders comes from the first row groups; the answer is the same either way."""
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    response = get(client, "orders?per_page=3&sort=-order_id")
    assert response.status_code == 200
    table = read_views(views)["orders"]
    newest = sorted(table["order_id"].to_pylist(), reverse=True)[:3]
    assert [row["order_id"] for row in response.get_json()["data"]] == newest
    cursor = memtables.cursor()
    try:
        (name,) = [
            row[0]
            for row in cursor.execute(
                "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'base_%' "
                "AND table_name IN (SELECT table_name FROM duckdb_columns() "
                "WHERE column_name = 'order_id') "
                "AND table_name IN (SELECT table_name FROM duckdb_columns() "
                "WHERE column_name = 'total')"
            ).fetchall()
        ]
        held = cursor.execute(f"SELECT created_at, order_id FROM {name}").fetchall()
    finally:
        cursor.close()
    expected = sorted(
        zip(table["created_at"].to_pylist(), table["order_id"].to_pylist(), strict=True),
        key=lambda pair: (pair[0] is not None, pair[0], pair[1]),
        reverse=True,
    )
    assert held == expected  # created_at descending (nulls last), then order_id descending
