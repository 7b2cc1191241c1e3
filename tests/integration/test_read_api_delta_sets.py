"""The read API merges a view's deltas once per version (api/memtables.py), and makes a
version's set from the set of the version before it plus the deltas added since. Every read
must equal the published files read by pyarrow (``tests.views_builder.read_views``): rows
changed again and again, deleted, brought back, versions never read (their deltas arrive
together), and the view store's merge of its older deltas (the list is then no longer an
extension of the one before, and the set is merged anew)."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from api import memtables
from schemas.views import VIEW_KEYS
from store.layout import shop_paths
from store.view_files import read_manifest
from store.viewstore import Changed, ViewStore, delta_limit
from tests.integration.read_api_support import publish_views
from tests.integration.test_read_api_memory_cache import api_totals, file_totals, with_total
from tests.views_builder import read_views

NOW = datetime(2024, 4, 10, 12, tzinfo=UTC)
PUBLISHES = 3 * delta_limit("orders")  # the view store merges its deltas more than once


@pytest.fixture(autouse=True)
def _empty_cache():
    memtables.forget_all()
    yield
    memtables.forget_all()


def _rows_of(table: pa.Table, ids: list[int]) -> pa.Table:
    return table.filter(pc.is_in(table["order_id"], pa.array(ids, pa.int64())))


def test_delta_sets_grow_from_the_version_before_and_read_as_the_files(
    tmp_path, client, monkeypatch
):
    built: list[bool] = []  # per set made: from the set before (True) or anew (False)
    make = memtables._make_deltas

    def noting(maker, name, older, key, newest):
        built.append(older is not None)
        make(maker, name, older, key, newest)

    monkeypatch.setattr(memtables, "_make_deltas", noting)
    publish_views(tmp_path)
    views = shop_paths(tmp_path, "shop-a").views_dir
    original = read_views(views)["orders"]
    ids = sorted(file_totals(views))
    rng, gone, lists = random.Random(15), set(), []
    assert api_totals(client) == file_totals(views)
    for n in range(PUBLISHES):
        now = read_views(views)["orders"]
        present = [order_id for order_id in ids if order_id not in gone]
        changed = rng.sample(present, 2)
        upserts = _rows_of(now, changed)
        for k, order_id in enumerate(changed):
            upserts = with_total(upserts, order_id, f"{n}.{k}1")
        back = sorted(gone)[:1] if n % 4 == 3 else []  # a deleted order comes back
        upserts = pa.concat_tables([upserts, _rows_of(original, back)])
        gone -= set(back)
        dropped = [rng.choice([i for i in present if i not in changed])] if n % 3 == 0 else []
        gone |= set(dropped)
        deleted = pa.table({"order_id": pa.array(dropped, pa.int64())})
        rest = now.filter(pc.invert(pc.is_in(now["order_id"], pa.array(dropped, pa.int64()))))
        change = Changed(upserts, deleted, rest.num_rows, lambda rest=rest: rest)
        ViewStore(views).publish({"orders": change}, VIEW_KEYS, NOW)
        lists.append(read_manifest(views)["files"]["orders"]["deltas"])
        if n % 5 != 2:  # some versions are never read
            read = api_totals(client)
            assert read == file_totals(views)
            assert not set(read) & gone and {changed[0], changed[1]} <= set(read)
    assert any(len(b) < len(a) for a, b in zip(lists, lists[1:], strict=False))  # merged
    assert any(built) and not all(built)
