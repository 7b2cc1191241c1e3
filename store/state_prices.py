"""A product's price history in the state (``product_prices``).

It gains a row, in the apply's transaction, for each payload that wins with other prices
than the row before it. A batch's payloads count in the order they came, as if applied one
by one: duplicates and stale deliveries add nothing, and a replay of the raw log (in its
order, in any batches) writes the same rows. ``price_history`` is that rule (pure);
``record_prices`` reads what it needs of the state and writes what it gives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from schemas.events import ProductChanged, Version
from store.state_schema import PRODUCT_PRICES

Prices = tuple[Decimal | None, Decimal | None, Decimal | None]  # price, regular, sale
PriceRow = tuple[datetime, Prices]  # a product_prices row: changed_at, prices
NO_PRICES: Prices = (None, None, None)


def price_history(
    products: Iterable[ProductChanged],
    stored: Mapping[int, Version],
    last_rows: Mapping[int, Sequence[PriceRow]],
) -> dict[int, list[PriceRow]]:
    """Per product of ``products``, its last price rows (``last_rows``: at least the last
    two, oldest first) after the payloads, taken in the order they came as if applied one by
    one (pure): a payload newer than the product's version so far replaces a row at its own
    time (a tie of times) and adds one when its prices differ from the row before it."""
    versions = dict(stored)
    history: dict[int, list[PriceRow]] = {}
    for event in products:
        pid, version = event.product_id, event.version
        if pid in versions and version <= versions[pid]:
            continue  # a duplicate or a stale payload
        versions[pid] = version
        rows = [row for row in history.get(pid, last_rows.get(pid, ())) if row[0] < version.at]
        prices = (event.price, event.regular_price, event.sale_price)
        if prices != (rows[-1][1] if rows else NO_PRICES):
            rows.append((version.at, prices))
        history[pid] = rows
    return history


def _price_row(product_id: int, row: PriceRow) -> dict[str, Any]:
    at, (price, regular_price, sale_price) = row
    return {
        "product_id": product_id,
        "changed_at": at,
        "price": price,
        "regular_price": regular_price,
        "sale_price": sale_price,
    }


def record_prices(con: duckdb.DuckDBPyConnection, products: list[ProductChanged]) -> None:
    """Write the price rows these product payloads add (before they are upserted)."""
    if not products:
        return
    ids = ",".join(sorted({str(int(p.product_id)) for p in products}))  # literal ints
    last = _last_prices(con, ids)
    gone: list[tuple[int, datetime]] = []
    new: list[dict[str, Any]] = []
    for pid, rows in price_history(products, _product_versions(con, ids), last).items():
        before = last.get(pid, [])
        gone += [(pid, at) for at, prices in before if (at, prices) not in rows]
        new += [_price_row(pid, row) for row in rows if row not in before]
    if gone:
        con.executemany("DELETE FROM product_prices WHERE product_id = ? AND changed_at = ?", gone)
    if new:
        con.register("new_prices", pa.Table.from_pylist(new, schema=PRODUCT_PRICES))
        cols = ", ".join(PRODUCT_PRICES.names)
        con.execute(f"INSERT INTO product_prices ({cols}) SELECT {cols} FROM new_prices")
        con.unregister("new_prices")


def _product_versions(con: duckdb.DuckDBPyConnection, ids: str) -> dict[int, Version]:
    found = con.execute(
        f"SELECT product_id, v_at, v_hash FROM products WHERE product_id IN ({ids}) "
        "AND v_at IS NOT NULL"
    ).fetchall()
    return {pid: Version(at, digest) for pid, at, digest in found}


def _last_prices(con: duckdb.DuckDBPyConnection, ids: str) -> dict[int, list[PriceRow]]:
    """The last two price rows of each of these products, oldest first."""
    last: dict[int, list[PriceRow]] = {}
    for pid, at, price, regular, sale in con.execute(
        "SELECT product_id, changed_at, price, regular_price, sale_price "
        f"FROM product_prices WHERE product_id IN ({ids}) QUALIFY row_number() OVER "
        "(PARTITION BY product_id ORDER BY changed_at DESC) <= 2 "
        "ORDER BY product_id, changed_at"
    ).fetchall():
        last.setdefault(pid, []).append((at, (price, regular, sale)))
    return last
