"""Erasing a customer through the real pipeline: embedded queue -> consumer -> raw Parquet
log, DuckDB state and Parquet views in tmp_path; afterwards the address is in no file."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from ingest.demo.phpjson import php_json_encode
from ingest.messaging.spool import SQLiteQueue
from ingest.rest.importer import rest_envelope
from ingest.rest.reconcile import is_newer, load_held
from processors.consumer import Consumer
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.erasure import erased_email
from schemas.jobs import erase_envelope
from schemas.shop import ShopConfig
from store.erasure import APPLIED_FILE
from store.layout import shop_paths
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.erasure_support import files_mentioning
from tests.views_builder import guest_key, read_views

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
SHOP = ShopConfig("shp_erase", "Erase", "https://erase.example")
ADA = "Ada.Lovelace@Example.com"
GRACE = "grace@example.com"


class Shops:
    def get(self, shop_id: str) -> ShopConfig | None:
        return SHOP if shop_id == SHOP.shop_id else None


def webhook(topic: str, body: dict, minute: int = 0) -> Envelope:
    resource, _, event = topic.partition(".")
    raw = php_json_encode(body).decode()
    return Envelope(SHOP.shop_id, topic, resource, event, body.get("id"), raw, at(minute))


def at(minute: int) -> datetime:
    return NOW + timedelta(minutes=minute)


def history() -> list[Envelope]:
    """Ada: a guest order, then registered (25) with a webhook order and an imported one,
    a refund naming her; Grace (26) with two orders."""
    ada_note = woo.order(101, customer_id=25, email=ADA, total="30.00", created="2024-01-20")
    ada_note["customer_note"] = f"invoice to {ADA.upper()}"
    return [
        webhook("order.created", woo.order(90, email=ADA, total="15.00", created="2024-01-02")),
        webhook("customer.created", woo.customer(25, email=ADA), minute=1),
        webhook("customer.created", woo.customer(26, email=GRACE, first_name="Grace"), minute=2),
        webhook(
            "order.created",
            woo.order(100, customer_id=25, email=ADA, total="50.00", refunds=["5.00"]),
            minute=3,
        ),
        rest_envelope(
            SHOP.shop_id,
            "order.imported",
            [ada_note, woo.order(300, customer_id=26, email=GRACE, total="70.00")],
            at(4),
            "import",
        ),
        webhook("order.created", woo.order(301, customer_id=26, email=GRACE), minute=5),
        webhook(
            "refund.created",
            woo.fixture("order_refunds.json")[0] | {"id": 10001, "reason": f"for {ADA}"},
            minute=6,
        ),
    ]


def run(queue: SQLiteQueue, data_dir, batch_size: int = 3) -> None:
    consumer = Consumer(queue, Shops(), data_dir, FixedClock(at(60)), batch_size=batch_size)
    while consumer.run_once(timeout=0.05):
        pass
    consumer.close()


def view(data_dir, name: str) -> list[dict]:
    return read_view(shop_paths(data_dir, SHOP.shop_id).views_dir, name).to_pylist()


def view_bytes(data_dir) -> dict[str, list[dict]]:
    """Every published view's content (base and delta merged), by view name."""
    published = read_views(shop_paths(data_dir, SHOP.shop_id).views_dir)
    return {name: table.to_pylist() for name, table in published.items()}


def applied(data_dir) -> list[dict]:
    path = shop_paths(data_dir, SHOP.shop_id).views_dir / APPLIED_FILE
    return json.loads(path.read_text())["erasures"]


def erase(queue: SQLiteQueue, data_dir, key: str) -> dict:
    queue.publish([erase_envelope(SHOP.shop_id, key, at(30))])
    run(queue, data_dir)
    return applied(data_dir)[-1]


def revenue(orders: list[dict]) -> Decimal:
    return sum((o["net"] for o in orders if o["is_sale"]), Decimal("0"))


def loaded(tmp_path) -> SQLiteQueue:
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 2)
    queue.publish(history())
    run(queue, tmp_path)
    return queue


def test_erasing_a_customer_keeps_every_order_and_the_revenue_and_leaves_no_trace(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 2)
    queue.publish(history())
    assert "broker.sqlite3-wal (bytes)" in files_mentioning(tmp_path, ADA)  # the check works
    run(queue, tmp_path)
    before = view(tmp_path, "orders")
    assert {c["customer_key"] for c in view(tmp_path, "customers")} == {"25", "26"}
    found = {f.split(" ")[0] for f in files_mentioning(tmp_path, ADA)}
    assert "shops/shp_erase/state.duckdb" in found
    for view_name in ("customers", "orders"):
        assert any(path.startswith(f"shops/shp_erase/views/{view_name}/") for path in found)
    crashed = shop_paths(tmp_path, SHOP.shop_id).raw_dir / "20240301T000000-000009.tmp"
    crashed.write_bytes(php_json_encode({"left": ADA}))  # a half-written batch of a crash
    done = erase(queue, tmp_path, "25")
    assert (done["found"], done["orders"]) == (True, 3)
    assert not crashed.exists()
    orders = view(tmp_path, "orders")
    assert [(o["order_id"], o["total"], o["net"]) for o in orders] == [
        (o["order_id"], o["total"], o["net"]) for o in before
    ]
    assert revenue(orders) == revenue(before)
    anonymous = guest_key(erased_email(done["erasure_id"]))
    ada_orders = [o for o in orders if o["order_id"] in (90, 100, 101)]
    assert {(o["customer_key"], o["email"], o["customer_id"]) for o in ada_orders} == {
        (anonymous, erased_email(done["erasure_id"]), 0)
    }
    customers = {c["customer_key"]: c for c in view(tmp_path, "customers")}
    assert set(customers) == {"26", anonymous}
    assert (customers[anonymous]["orders"], customers[anonymous]["net_spent"]) == (3, 90)
    assert customers["26"]["email"] == GRACE
    assert (customers[anonymous]["first_name"], customers[anonymous]["phone"]) == ("", "")
    assert files_mentioning(tmp_path, ADA) == []


def test_a_replay_after_an_erasure_gives_the_same_views_byte_for_byte(tmp_path):
    queue = loaded(tmp_path)
    erase(queue, tmp_path, "25")
    before = view_bytes(tmp_path)
    report = replay_shop(tmp_path, SHOP, FixedClock(at(120)))
    assert report.unprocessable == 0
    assert view_bytes(tmp_path) == before
    assert files_mentioning(tmp_path, ADA) == []


def test_late_events_of_an_erased_customer_do_not_bring_the_address_back(tmp_path):
    queue = loaded(tmp_path)
    done = erase(queue, tmp_path, "25")
    late = woo.order(100, customer_id=25, email=ADA, total="50.00", modified="2024-02-01")
    reimport = [woo.order(101, customer_id=25, email=ADA, total="30.00", created="2024-01-20")]
    queue.publish(
        [
            webhook("order.updated", late, minute=40),
            rest_envelope(SHOP.shop_id, "order.imported", reimport, at(41), "sync"),
            webhook("customer.updated", woo.customer(25, email=ADA), minute=42),
            webhook("order.created", woo.order(91, email=ADA.upper(), total="8.00"), minute=43),
        ]
    )
    run(queue, tmp_path)
    anonymous = guest_key(erased_email(done["erasure_id"]))
    customers = {c["customer_key"]: c for c in view(tmp_path, "customers")}
    assert set(customers) == {"26", anonymous}
    assert customers[anonymous]["orders"] == 4  # 91 is theirs too: same address
    assert files_mentioning(tmp_path, ADA) == []
    before = view_bytes(tmp_path)
    replay_shop(tmp_path, SHOP, FixedClock(at(120)))
    assert view_bytes(tmp_path) == before


def test_a_customer_deleted_webhook_erases_the_customer(tmp_path):
    queue = loaded(tmp_path)
    queue.publish([webhook("customer.deleted", {"id": 25}, minute=40)])
    run(queue, tmp_path)
    [done] = applied(tmp_path)
    assert (done["found"], done["orders"]) == (True, 3)
    assert {c["customer_key"] for c in view(tmp_path, "customers")} == {
        "26",
        guest_key(erased_email(done["erasure_id"])),
    }
    assert files_mentioning(tmp_path, ADA) == []


def test_an_erasure_inside_a_batch_scrubs_what_came_before_and_after_it(tmp_path):
    queue = SQLiteQueue(tmp_path / "broker.sqlite3", 1)
    job = erase_envelope(SHOP.shop_id, guest_key(ADA), at(10))
    queue.publish(
        [
            webhook("order.created", woo.order(90, email=ADA, total="15.00")),
            job,
            webhook("order.created", woo.order(92, email=ADA, total="5.00"), minute=11),
            webhook("order.created", woo.order(300, email=GRACE, total="7.00"), minute=12),
        ]
    )
    run(queue, tmp_path, batch_size=50)
    [done] = applied(tmp_path)
    orders = {o["order_id"]: o for o in view(tmp_path, "orders")}
    assert {orders[i]["email"] for i in (90, 92)} == {erased_email(done["erasure_id"])}
    assert orders[300]["email"] == GRACE
    assert files_mentioning(tmp_path, ADA) == []
    before = view_bytes(tmp_path)
    replay_shop(tmp_path, SHOP, FixedClock(at(120)))
    assert view_bytes(tmp_path) == before


def test_erasing_an_unknown_customer_changes_nothing_but_drops_their_late_records(tmp_path):
    queue = loaded(tmp_path)
    before = view_bytes(tmp_path)
    done = erase(queue, tmp_path, "77")
    assert (done["found"], done["orders"]) == (False, 0)
    after = view_bytes(tmp_path)
    assert {k: v for k, v in after.items() if k != "versions"} == {
        k: v for k, v in before.items() if k != "versions"
    }
    held = load_held(shop_paths(tmp_path, SHOP.shop_id).views_dir)
    assert held[("customer", 77)][1] is True  # a sync will not fetch them back
    queue.publish([webhook("customer.updated", woo.customer(77, email="late@example.com"))])
    run(queue, tmp_path)
    assert "77" not in {c["customer_key"] for c in view(tmp_path, "customers")}
    assert files_mentioning(tmp_path, "late@example.com") == []


def test_a_sync_does_not_fetch_an_erased_customer_again_unless_woocommerce_changes_them(tmp_path):
    queue = loaded(tmp_path)
    done = erase(queue, tmp_path, "25")
    held = load_held(shop_paths(tmp_path, SHOP.shop_id).views_dir)
    assert held[("customer", 25)][1] is True  # held as trashed: never a hard-delete candidate
    unchanged = {"id": 25, "date_modified_gmt": "2024-03-01T00:00:00"}
    assert not is_newer(unchanged, "customer", held)
    later = {"id": 25, "date_modified_gmt": "2030-01-01T00:00:00"}
    assert is_newer(later, "customer", held)
    assert done["found"]
