"""Raw event retention (``job.retention``, SPEC §6): the raw log loses the superseded events
received before the shop's window and nothing else, and a replay of what is left rebuilds
the same views. Real pipeline, Parquet raw log, DuckDB state."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope
from schemas.views import MANIFEST
from store import rawlog
from store.layout import shop_paths
from tests import woo_payloads as woo
from tests.integration.test_incremental_views import PROPERTY, SHOP, batch, rows, webhook
from tests.integration.test_product_state import wcpulse
from tests.views_builder import read_views

KEEP_DAYS = 30
DAY0 = datetime(2024, 1, 1, 9, tzinfo=UTC)
RETAINED = replace(SHOP, raw_retention_days=KEEP_DAYS)
URL = "https://kept.example.com"


def day(n: int) -> datetime:
    return DAY0 + timedelta(days=n)


def stamp(n: int) -> str:
    return day(n).strftime("%Y-%m-%dT%H:%M:%S")


def received(envelope: Envelope, n: int) -> Envelope:
    return msgspec.structs.replace(envelope, received_at=day(n), envelope_id="")


def order(order_id: int, modified: int, got: int, status: str = "processing") -> Envelope:
    body = woo.order(order_id, status=status, created=stamp(0), modified=stamp(modified))
    return received(webhook("order.updated", body, DAY0), got)


def page(orders: list[tuple[int, int]], got: int) -> Envelope:
    """A REST page of a sync: each (order id, day modified) as the importer logs it."""
    bodies = [
        woo.order(order_id, created=stamp(0), modified=stamp(modified))
        for order_id, modified in orders
    ]
    text = json.dumps(bodies, separators=(",", ":"))
    return Envelope(
        SHOP.shop_id, "order.imported", "order", "imported", None, text, day(got), "import"
    )


def trash(resource: str, rid: int, got: int) -> Envelope:
    body = f'{{"id":{rid}}}'
    return Envelope(SHOP.shop_id, f"{resource}.deleted", resource, "deleted", rid, body, day(got))


def logged(folder: Path) -> list[str]:
    """The envelope ids of the raw log, in log order."""
    raw = shop_paths(folder, SHOP.shop_id).raw_dir
    ids: list[str] = []
    for path in sorted(raw.glob("*.parquet")):
        ids += pq.read_table(path, columns=["envelope_id"])["envelope_id"].to_pylist()
    return ids


def rejected(folder: Path) -> list[datetime]:
    folder = shop_paths(folder, SHOP.shop_id).root / "rejected"
    return [
        at
        for path in sorted(folder.glob("*.parquet"))
        for at in pq.read_table(path, columns=["received_at"])["received_at"].to_pylist()
    ]


def views(folder: Path) -> dict[str, list[dict]]:
    published = read_views(shop_paths(folder, SHOP.shop_id).views_dir)
    return {name: rows(table, name) for name, table in published.items()}


def _history() -> dict[str, Envelope]:
    """A shop's events, named, in log order (the comments say what a purge does)."""
    return {
        # order 1: three versions; the two old ones are superseded by the newest
        "order 1 v0": order(1, modified=0, got=0),
        "order 1 v1": order(1, modified=1, got=1, status="completed"),
        "order 1 v50": order(1, modified=50, got=50, status="refunded"),
        # order 5: the old delivery holds the newest version (a stale one came later)
        "order 5 newest, old": order(5, modified=40, got=3),
        "order 5 stale, recent": order(5, modified=5, got=45),
        # customer 3: two old versions, the newer one stays
        "customer 3 v0": received(webhook("customer.updated", _customer(3, 0), DAY0), 0),
        "customer 3 v2": received(webhook("customer.updated", _customer(3, 2), DAY0), 2),
        # product 93: every version stays (the price history)
        "product 93 v0": received(webhook("product.updated", _product(0, "8.00"), DAY0), 0),
        "product 93 v1": received(webhook("product.updated", _product(1, "9.00"), DAY0), 1),
        # order 6: created, then trashed twice; the earlier trash is superseded
        "order 6": order(6, modified=4, got=4),
        "order 6 trashed": trash("order", 6, got=5),
        "order 6 trashed later": trash("order", 6, got=6),
        # order 2: its only logged version is old; a newer one comes in the job's own batch
        "order 2 old": order(2, modified=10, got=2),
        # order 7: superseded, but a rescoring ran while it was in effect (it scored it)
        "order 7 v0": order(7, modified=7, got=7),
        "rescoring": dated_job_envelope(SHOP.shop_id, "rfm", day(8).date(), day(8)),
        "order 7 v9": order(7, modified=9, got=9, status="completed"),
        # two pages of a reconciliation sync: the second repeats order 11 and brings a newer
        # order 12, so the first holds nothing the second does not
        "sync page 1": page([(11, 11), (12, 11)], got=11),
        "sync page 2": page([(11, 11), (12, 12)], got=12),
        # order 8: superseded after the rescoring, with no job in between
        "order 8 v0": order(8, modified=6, got=6),
        "order 8 v7": order(8, modified=7, got=7, status="completed"),
    }


# what a purge of ``_history()`` at day 60 drops (the comments there say why)
DROPPED = {
    "order 1 v0",
    "order 1 v1",
    "customer 3 v0",
    "order 6 trashed",
    "order 8 v0",
    "sync page 1",
}


def dropped_from(folder: Path, events: dict[str, Envelope]) -> set[str]:
    """The named events no longer in the raw log."""
    kept = set(logged(folder))
    return {name for name, envelope in events.items() if envelope.envelope_id not in kept}


def test_only_superseded_events_older_than_the_window_leave_and_a_replay_agrees(tmp_path):
    e = _history()
    broken = [
        received(webhook("order.updated", woo.order(9), DAY0), n) for n in (0, 45)
    ]  # refused below (an unreadable body), kept in the rejected log
    broken = [msgspec.structs.replace(b, body="{not json") for b in broken]
    now = day(60)
    pipeline = ShopPipeline(tmp_path, RETAINED)
    try:
        names = list(e)
        for start in range(0, len(names), 4):  # a few batches, each its own raw log file
            _, failures = pipeline.apply([e[n] for n in names[start : start + 4]], now)
            assert failures == {}
        _, failures = pipeline.apply(broken, now)
        assert len(failures) == 2
        pipeline.publish(now)
        before_job = logged(tmp_path)
        job = dated_job_envelope(SHOP.shop_id, "retention", now.date(), now)
        newer_order_2 = order(2, modified=61, got=60)
        _, failures = pipeline.apply([job, newer_order_2], now)
        assert failures == {}
        pipeline.publish(now)
        live_views = views(tmp_path)
    finally:
        pipeline.close()

    dropped = dropped_from(tmp_path, e)
    assert dropped == DROPPED
    assert [i for i in before_job if i in logged(tmp_path)] == [
        i for i in before_job if i not in {e[n].envelope_id for n in dropped}
    ]  # the rest in its order
    assert job.envelope_id in logged(tmp_path) and newer_order_2.envelope_id in logged(tmp_path)
    assert rejected(tmp_path) == [day(45)]  # the refused envelope of day 0 is gone
    manifest = json.loads((shop_paths(tmp_path, SHOP.shop_id).views_dir / MANIFEST).read_text())
    done = manifest["raw_retention"]
    assert (done["days"], done["dropped"], done["rejected_dropped"]) == (KEEP_DAYS, len(DROPPED), 1)
    assert done["cutoff"] == day(30).isoformat()
    assert manifest["jobs_applied"]["retention"] == now.isoformat()
    assert live_views["orders"] and live_views["customers"]

    replay_shop(tmp_path, RETAINED, FixedClock(now))
    assert views(tmp_path) == live_views


def test_a_shop_without_a_retention_keeps_every_event(tmp_path):
    now = day(400)
    pipeline = ShopPipeline(tmp_path, SHOP)  # raw_retention_days None
    try:
        pipeline.apply([order(1, 0, 0), order(1, 1, 1), order(1, 2, 2)], now)
        before = logged(tmp_path)
        pipeline.apply([dated_job_envelope(SHOP.shop_id, "retention", now.date(), now)], now)
        pipeline.publish(now)
    finally:
        pipeline.close()
    assert logged(tmp_path)[: len(before)] == before
    manifest = json.loads((shop_paths(tmp_path, SHOP.shop_id).views_dir / MANIFEST).read_text())
    assert manifest["raw_retention"] == {"days": None}


@PROPERTY
@given(
    batches=st.lists(batch, min_size=2, max_size=6),
    keep=st.integers(1, 8),
)
def test_any_stream_purged_replays_to_the_same_views(tmp_path_factory, batches, keep):
    """Whatever the stream (orders, customers, products, trash, jobs; stale and repeated
    deliveries), the purged log replays to the views the live pipeline published, and every
    event received inside the window is still logged."""
    folder = tmp_path_factory.mktemp("shop")
    shop = replace(SHOP, raw_retention_days=keep)
    now = day(len(batches) + 1)
    pipeline = ShopPipeline(folder, shop)
    try:
        first = [dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 3, 1), day(0))]
        for n, envelopes in enumerate([first, *batches]):
            pipeline.apply([received(envelope, n) for envelope in envelopes], now)
        pipeline.publish(now)
        before = logged(folder)
        recent = [i for i, at in _received(folder) if at >= now - timedelta(days=keep)]
        job = dated_job_envelope(SHOP.shop_id, "retention", now.date(), now)
        pipeline.apply([job], now)
        pipeline.publish(now)
        live_views = views(folder)
    finally:
        pipeline.close()
    after = logged(folder)
    assert set(recent) <= set(after)
    assert [i for i in before if i in set(after)] == after[: len(after) - 1]  # order kept
    replay_shop(folder, shop, FixedClock(now))
    assert views(folder) == live_views


def _received(folder: Path) -> list[tuple[str, datetime]]:
    raw = shop_paths(folder, SHOP.shop_id).raw_dir
    found: list[tuple[str, datetime]] = []
    for path in sorted(raw.glob("*.parquet")):
        table = pq.read_table(path, columns=["envelope_id", "received_at"])
        found += zip(*table.to_pydict().values(), strict=True)
    return found


def _customer(customer_id: int, modified: int) -> dict:
    body = woo.customer(customer_id, email=f"c{modified}@example.com")
    body["date_modified_gmt"] = stamp(modified)
    return body


def _product(modified: int, price: str) -> dict:
    return woo.product(93, price=price, modified=stamp(modified))


def _set_retention_round_trip(tmp_path: Path, **env: str) -> None:
    added = wcpulse(tmp_path, "shop", "add", "--name", "Kept", "--url", URL, "--json", **env)
    assert added.returncode == 0, added.stderr
    shop_id = json.loads(added.stdout)["shop_id"]
    shown = wcpulse(tmp_path, "shop", "show", shop_id, "--json", **env)
    assert json.loads(shown.stdout)["raw_retention_days"] is None
    done = wcpulse(tmp_path, "shop", "set-retention", shop_id, "90", "--json", **env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"shop_id": shop_id, "raw_retention_days": 90}
    shown = wcpulse(tmp_path, "shop", "show", shop_id, **env)
    assert "retention:       90 days of raw events\n" in shown.stdout
    for bad, message in [
        ("0", "from 1 to 36500, or off"),
        ("36501", "from 1 to 36500, or off"),
        ("ninety", "use a whole number of days from 1 to 36500, or off"),
    ]:
        refused = wcpulse(tmp_path, "shop", "set-retention", shop_id, bad, **env)
        assert refused.returncode != 0
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert message in refused.stderr and "Traceback" not in refused.stderr
    still = wcpulse(tmp_path, "shop", "show", shop_id, "--json", **env)
    assert json.loads(still.stdout)["raw_retention_days"] == 90
    off = wcpulse(tmp_path, "shop", "set-retention", shop_id, "off", **env)
    assert off.returncode == 0, off.stderr
    assert "off (every event is kept)" in off.stdout
    shown = wcpulse(tmp_path, "shop", "show", shop_id, "--json", **env)
    assert json.loads(shown.stdout)["raw_retention_days"] is None


def test_the_command_sets_shows_and_turns_off_a_retention_and_refuses_bad_days(tmp_path):
    _set_retention_round_trip(tmp_path)
    unknown = wcpulse(tmp_path, "shop", "set-retention", "shp_nobody", "30")
    assert unknown.returncode != 0 and len(unknown.stderr.strip().splitlines()) == 1


@pytest.mark.postgres
def test_the_retention_command_works_on_postgresql(tmp_path, postgres_database_url):
    _set_retention_round_trip(tmp_path, WCPULSE_DATABASE_URL=postgres_database_url)
    assert not (tmp_path / "wcpulse.sqlite3").exists()


def _apply_history(pipeline: ShopPipeline, events: dict[str, Envelope], now: datetime) -> None:
    names = list(events)
    for start in range(0, len(names), 4):  # a few batches, each its own raw log file
        _, failures = pipeline.apply([events[n] for n in names[start : start + 4]], now)
        assert failures == {}
    pipeline.publish(now)


def test_a_purge_cut_short_by_the_disk_loses_nothing_and_finishes_next_time(tmp_path, monkeypatch):
    """The disk fails while the purge writes its second file: the job fails (the batch
    is tried again, as for any storage failure), the log is whole (a replay gives the same
    views), and the next run drops the rest."""
    now = day(60)
    events = _history()
    pipeline = ShopPipeline(tmp_path, RETAINED)
    try:
        _apply_history(pipeline, events, now)
        live_views = views(tmp_path)
    finally:
        pipeline.close()
    writes = []
    real_write = rawlog._write_durably

    def failing_write(rows, final, schema):
        writes.append(final)
        if len(writes) == 3:  # the job's batch, the purge's first file, its second
            raise OSError(28, "No space left on device")
        real_write(rows, final, schema)

    monkeypatch.setattr(rawlog, "_write_durably", failing_write)
    job = dated_job_envelope(SHOP.shop_id, "retention", now.date(), now)
    pipeline = ShopPipeline(tmp_path, RETAINED)
    try:
        with pytest.raises(OSError):
            pipeline.apply([job], now)
    finally:
        pipeline.close()
    monkeypatch.setattr(rawlog, "_write_durably", real_write)
    assert set() < dropped_from(tmp_path, events) < DROPPED
    replay_shop(tmp_path, RETAINED, FixedClock(now))
    assert views(tmp_path) == live_views

    pipeline = ShopPipeline(tmp_path, RETAINED)
    try:
        _, failures = pipeline.apply([job], now)
        assert failures == {}
        pipeline.publish(now)
    finally:
        pipeline.close()
    assert dropped_from(tmp_path, events) == DROPPED
    replay_shop(tmp_path, RETAINED, FixedClock(now))
    assert views(tmp_path) == live_views
