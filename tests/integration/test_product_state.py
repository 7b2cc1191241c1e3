"""Product state on real DuckDB, SQLite and PostgreSQL (issue 12, point 2): an old state file
gains the stock status column, the price history after a run of product deliveries (and
after a replay of the raw log), and each shop's cost meta keys from the metadata database
and the real ``wcpulse shop`` command to the normaliser."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from sqlalchemy import create_engine, text

from processors.handlers import handle_envelope
from processors.pipeline import ShopPipeline
from processors.rebuild import replay_log
from schemas.envelope import Envelope
from schemas.shop import ShopConfig
from store.crypto import SecretBox
from store.metadata import InvalidShop, ShopRegistry
from store.state import DuckDBStateStore
from tests.cli_runner import TEST_SECRET_KEY
from tests.woo_payloads import product

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
KEY = bytes(range(32))
SHOP = ShopConfig("shp_prices", "Prices", "https://prices.example")
REPO = Path(__file__).resolve().parents[2]

# ``products`` as state files made before issue 12 have it (no stock_status).
OLD_PRODUCTS = (
    "CREATE TABLE products (product_id BIGINT, v_at TIMESTAMPTZ, v_hash VARCHAR, "
    "parent_id BIGINT, type VARCHAR, name VARCHAR, sku VARCHAR, status VARCHAR, "
    "price DECIMAL(18,2), regular_price DECIMAL(18,2), sale_price DECIMAL(18,2), "
    "stock_quantity BIGINT, manage_stock BOOLEAN, cost DECIMAL(18,2), categories VARCHAR[], "
    "trash_at TIMESTAMPTZ, PRIMARY KEY (product_id))"
)


def stamp(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%S")


def body(product_id: int, minute: int, price: str, sale: str = "", **fields: Any) -> dict[str, Any]:
    made = product(product_id, price=sale or price, modified=stamp(minute))
    made |= {"regular_price": price, "sale_price": sale} | fields
    return made


def envelope(
    topic: str, made: dict[str, Any], minute: int = 0, shop_id: str = SHOP.shop_id
) -> Envelope:
    resource, _, event = topic.partition(".")
    at = NOW + timedelta(minutes=minute)
    return Envelope(shop_id, topic, resource, event, None, json.dumps(made), at)


def prices(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "SELECT product_id, changed_at, price, regular_price, sale_price FROM product_prices "
        "ORDER BY product_id, changed_at"
    ).fetchall()


def columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"DESCRIBE {table}").fetchall()]


def test_an_old_state_file_opens_gains_stock_status_and_keeps_its_products(tmp_path) -> None:
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute(OLD_PRODUCTS)
        con.execute("INSERT INTO products (product_id, name, price) VALUES (794, 'Old', 9.50)")
    fresh = DuckDBStateStore(tmp_path / "fresh.duckdb")
    state = DuckDBStateStore(old)
    try:
        con = state.connection
        assert columns(con, "products") == columns(fresh.connection, "products")
        assert columns(con, "products")[-2:] == ["trash_at", "stock_status"]
        assert con.execute("SELECT name, price, stock_status FROM products").fetchall() == [
            ("Old", Decimal("9.50"), "")
        ]
        assert prices(con) == []
        changed = body(794, 0, "21.99", stock_status="outofstock", manage_stock=True)
        state.apply(handle_envelope(envelope("product.updated", changed)))
        assert con.execute("SELECT stock_status, name FROM products").fetchall() == [
            ("outofstock", "Product 794")
        ]
    finally:
        state.close()
        fresh.close()
    reopened = DuckDBStateStore(old)  # adding the column again is a no-op
    try:
        assert reopened.connection.execute("SELECT stock_status FROM products").fetchall() == [
            ("outofstock",)
        ]
    finally:
        reopened.close()


def delivery_run() -> list[list[Envelope]]:
    """Batches of product deliveries: a price change, a duplicate, a stale older version,
    a stock-only change and a sale, plus a second product that never changes price."""
    changed = body(1, 10, "24.00")
    return [
        [
            envelope("product.created", body(1, 0, "20.00")),
            envelope("product.created", body(2, 0, "5.00")),
        ],
        [envelope("product.updated", changed, 1)],
        [
            envelope("product.updated", changed, 2),
            envelope("product.updated", body(1, 5, "22.00"), 3),
        ],
        [
            envelope("product.updated", body(1, 20, "24.00", stock_quantity=3), 4),
            envelope("product.updated", body(2, 20, "5.00"), 4),
            envelope("product.updated", body(1, 30, "24.00", sale="19.00"), 5),
        ],
    ]


def expected_history() -> list[tuple]:
    d = Decimal
    return [
        (1, T0, d("20.00"), d("20.00"), None),
        (1, T0 + timedelta(minutes=10), d("24.00"), d("24.00"), None),
        (1, T0 + timedelta(minutes=30), d("19.00"), d("24.00"), d("19.00")),
        (2, T0, d("5.00"), d("5.00"), None),
    ]


def test_price_history_holds_one_row_per_winning_price_change_and_survives_replay(
    tmp_path,
) -> None:
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        for batch in delivery_run():
            _, failures = pipeline.apply(batch, NOW)
            assert failures == {}
        con = pipeline.state.connection
        assert prices(con) == expected_history()
        assert con.execute(
            "SELECT price, sale_price FROM products WHERE product_id = 1"
        ).fetchall() == [(Decimal("19.00"), Decimal("19.00"))]
        everything = [e for batch in delivery_run() for e in batch]
        again, _ = pipeline.apply(everything, NOW, log_raw=False)  # all delivered once more
        assert again.applied == 0
        assert prices(con) == expected_history()
    finally:
        pipeline.close()
    rebuilt = ShopPipeline(tmp_path, SHOP, state_path=tmp_path / "rebuilt.duckdb")
    try:
        counts = replay_log(rebuilt, NOW, batch_rows=5000)  # the whole log in one batch
        assert counts.events == 8
        assert prices(rebuilt.state.connection) == expected_history()
    finally:
        rebuilt.close()


def test_the_shops_cost_keys_reach_the_normaliser_through_the_pipeline(tmp_path) -> None:
    shop = ShopConfig(
        "shp_costs", "Costs", "https://costs.example", cost_keys=("_buy", "_wc_cog_cost")
    )
    made = body(7, 0, "30.00", stock_status="onbackorder")
    made["meta_data"] = [
        {"id": 1, "key": "_wc_cog_cost", "value": "12.00"},
        {"id": 2, "key": "_buy", "value": "-1"},
        {"id": 3, "key": "_buy", "value": "11.00"},
    ]
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        _, failures = pipeline.apply([envelope("product.updated", made, 0, shop.shop_id)], NOW)
        assert failures == {}
        assert pipeline.state.connection.execute(
            "SELECT cost, stock_status FROM products"
        ).fetchall() == [(Decimal("11.00"), "onbackorder")]
    finally:
        pipeline.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'wcpulse.sqlite3'}"
        return
    yield request.getfixturevalue("postgres_database_url")


def _sql(database_url: str, sql: str) -> Any:
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def test_a_shops_cost_keys_round_trip_and_the_others_keep_the_default(database_url) -> None:
    with ShopRegistry(database_url, SecretBox(KEY), cost_keys=("_env_cost",)) as registry:
        registry.create_tables()
        add = {"url": "https://shop.example.com", "now": NOW}
        created = registry.add_shop(name="Mine", **add)
        shop, other = created.shop, registry.add_shop(name="Other", **add).shop
        assert shop.cost_keys == ("_env_cost",)
        updated = registry.set_cost_keys(shop.shop_id, [" _buy ", "_wc_cog_cost", "_buy"], NOW)
        assert updated.cost_keys == ("_buy", "_wc_cog_cost")
        assert registry.require(shop.shop_id).cost_keys == ("_buy", "_wc_cog_cost")
        assert registry.shop_for_token(created.api_token).cost_keys == ("_buy", "_wc_cog_cost")
        listed = {s.shop_id: s.cost_keys for s in registry.list_shops()}
        assert listed == {shop.shop_id: ("_buy", "_wc_cog_cost"), other.shop_id: ("_env_cost",)}
        registry.set_cost_keys(shop.shop_id, ["_cost2"], NOW)  # replaced, not appended
        assert registry.require(shop.shop_id).cost_keys == ("_cost2",)
        for bad in ([""], ["x" * 101], ["a\tb"], []):
            with pytest.raises(InvalidShop):
                registry.set_cost_keys(shop.shop_id, bad, NOW)
        assert registry.require(shop.shop_id).cost_keys == ("_cost2",)  # nothing half-set
        assert registry.delete(shop.shop_id)
    assert _sql(database_url, "SELECT count(*) FROM shop_cost_keys") == 0


def test_a_metadata_database_made_before_cost_keys_gains_their_table(database_url) -> None:
    with ShopRegistry(database_url, SecretBox(KEY)) as registry:
        registry.create_tables()
        shop = registry.add_shop(name="Old", url="https://old.example.com", now=NOW).shop
    _sql(database_url, "DROP TABLE shop_cost_keys")
    with ShopRegistry(database_url, SecretBox(KEY)) as registry:
        registry.create_tables()
        assert registry.require(shop.shop_id).cost_keys == ("_wc_cog_cost",)
        registry.set_cost_keys(shop.shop_id, ["_buy"], NOW)
        assert registry.require(shop.shop_id).cost_keys == ("_buy",)


def wcpulse(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The real ``wcpulse`` command with this data dir and these WCPULSE_* settings only."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    clean |= {"WCPULSE_DATA_DIR": str(data_dir), "WCPULSE_SECRET_KEY": TEST_SECRET_KEY} | env
    command = [sys.executable, "-m", "wcpulse", *args]
    return subprocess.run(
        command,
        cwd=REPO,
        env=clean,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _cli_round_trip(tmp_path: Path, **env: str) -> None:
    added = wcpulse(
        tmp_path,
        "shop",
        "add",
        "--name",
        "Demo",
        "--url",
        "https://shop.example.com",
        "--json",
        **env,
    )
    assert added.returncode == 0, added.stderr
    shop_id = json.loads(added.stdout)["shop_id"]
    shown = wcpulse(tmp_path, "shop", "show", shop_id, "--json", **env)
    assert json.loads(shown.stdout)["cost_keys"] == ["_env_cost", "_wc_cog_cost"]
    done = wcpulse(
        tmp_path, "shop", "set-cost-keys", shop_id, "_buy", "_wc_cog_cost", "--json", **env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"shop_id": shop_id, "cost_keys": ["_buy", "_wc_cog_cost"]}
    shown = wcpulse(tmp_path, "shop", "show", shop_id, **env)
    assert "cost_keys:       _buy, _wc_cog_cost\n" in shown.stdout
    for bad, message in [
        ("", "a cost meta key is empty"),
        ("k" * 101, "is longer than 100 characters"),
        ("_c\x1bst", "contains control characters"),
    ]:
        refused = wcpulse(tmp_path, "shop", "set-cost-keys", shop_id, "_ok", bad, **env)
        assert refused.returncode != 0
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert message in refused.stderr and "Traceback" not in refused.stderr
    still = wcpulse(tmp_path, "shop", "show", shop_id, "--json", **env)
    assert json.loads(still.stdout)["cost_keys"] == ["_buy", "_wc_cog_cost"]


def test_the_command_sets_and_shows_cost_keys_and_refuses_a_bad_key_in_one_line(tmp_path) -> None:
    _cli_round_trip(tmp_path, WCPULSE_COST_KEYS="_env_cost,_wc_cog_cost")
    unknown = wcpulse(tmp_path, "shop", "set-cost-keys", "shp_nobody", "_buy")
    assert unknown.returncode != 0 and len(unknown.stderr.strip().splitlines()) == 1
    bad_default = wcpulse(tmp_path, "shop", "list", WCPULSE_COST_KEYS="x" * 101)
    assert bad_default.returncode != 0
    assert "WCPULSE_COST_KEYS" in bad_default.stderr and "Traceback" not in bad_default.stderr


@pytest.mark.postgres
def test_the_cost_keys_command_works_on_postgresql(tmp_path, postgres_database_url) -> None:
    _cli_round_trip(
        tmp_path,
        WCPULSE_COST_KEYS="_env_cost,_wc_cog_cost",
        WCPULSE_DATABASE_URL=postgres_database_url,
    )
    assert not (tmp_path / "wcpulse.sqlite3").exists()
