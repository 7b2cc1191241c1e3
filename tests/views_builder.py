"""Build and publish read views the way processors do, for tests.

Rows are plain dicts keyed by the columns of ``schemas/views.py``; money may be given as
strings. Files are written to a temporary name and renamed into place, as processors do.

    orders = [order_row(1, at("2024-04-03 08:00"), shop, total="100.00", customer_id=25)]
    publish(tmp_path, shop.shop_id, orders)  # orders, customers (derived), manifest
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from schemas.shop import ShopConfig
from schemas.views import FRESHNESS, MANIFEST, VIEW_KEYS, VIEWS
from store.layout import shop_paths
from store.view_files import read_manifest, read_view
from store.viewstore import ViewStore, Whole

Row = dict[str, Any]
_DEFAULT_SHOP = ShopConfig(shop_id="shop", name="Shop", url="https://shop.example")
_MONEY = ("total", "refunds", "net", "shipping", "tax", "discount")
_CENT = Decimal("0.01")


def at(text: str) -> datetime:
    """``"2024-04-03 08:00"`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def guest_key(email: str) -> str:
    """A guest's customer_key: ``guest-`` + 16 hex chars of sha256(normalised e-mail)."""
    normalised = email.strip().lower()
    return "guest-" + hashlib.sha256(normalised.encode()).hexdigest()[:16]


def customer_key(customer_id: int, email: str | None) -> str:
    if customer_id > 0:
        return str(customer_id)
    return guest_key(email or "")


def order_row(
    order_id: int, created_at: datetime, shop: ShopConfig | None = None, **fields: Any
) -> Row:
    """An orders-view row; ``fields`` override any column (status, total, refunds,
    customer_id, email, paid_at, ...). Derived unless given: is_sale, customer_key, net,
    revenue_at (by the shop's revenue_date), revenue_day (in the shop's timezone)."""
    shop = shop or _DEFAULT_SHOP
    row: Row = {
        "order_id": order_id,
        "number": str(order_id),
        "status": "completed",
        "customer_id": 0,
        "currency": shop.currency,
        "created_at": created_at,
        "modified_at": created_at,
        "total": "0.00",
        "refunds": "0.00",
        "items": 1,
    } | fields
    row.setdefault("email", None if row["customer_id"] else "guest@example.com")
    if row["email"] is not None:
        row["email"] = row["email"].strip().lower()
    row.setdefault("is_sale", shop.is_sale(row["status"]))
    row.setdefault("customer_key", customer_key(row["customer_id"], row["email"]))
    row.setdefault("net", Decimal(row["total"]) - Decimal(row["refunds"]))
    revenue_at = row.get(shop.revenue_date + "_at") or created_at
    row.setdefault("revenue_at", revenue_at)
    row.setdefault("revenue_day", revenue_at.astimezone(ZoneInfo(shop.timezone)).date())
    return _with_money(row)


def _with_money(row: Row, names: Iterable[str] = _MONEY) -> Row:
    for name in names:
        if row.get(name) is not None:
            row[name] = Decimal(row[name]).quantize(_CENT)
    return row


def _money_columns(schema: pa.Schema) -> list[str]:
    return [field.name for field in schema if pa.types.is_decimal(field.type)]


def customers_from_orders(
    orders: Iterable[Row], profiles: Mapping[str, Row] | None = None
) -> list[Row]:
    """The customers view the orders imply (sale orders count); ``profiles`` adds or
    overrides columns per customer_key (first_name, phone, registered_at, ...)."""
    grouped: dict[str, list[Row]] = {}
    for order in sorted(orders, key=lambda row: row["revenue_at"]):
        grouped.setdefault(order["customer_key"], []).append(order)
    profiles = profiles or {}
    return [_customer(key, rows) | dict(profiles.get(key, {})) for key, rows in grouped.items()]


def _customer(key: str, orders: list[Row]) -> Row:
    sales = [order for order in orders if order["is_sale"]]
    gross = sum((order["total"] for order in sales), Decimal("0.00"))
    refunds = sum((order["refunds"] for order in sales), Decimal("0.00"))
    last = orders[-1]
    return {
        "customer_key": key,
        "customer_id": last["customer_id"],
        "email": last["email"],
        "country": last.get("country"),
        "is_guest": last["customer_id"] == 0,
        "orders": len(sales),
        "gross": gross,
        "refunds": refunds,
        "net_spent": gross - refunds,
        "aov": ((gross - refunds) / len(sales)).quantize(_CENT) if sales else None,
        "first_order_at": sales[0]["revenue_at"] if sales else None,
        "last_order_at": sales[-1]["revenue_at"] if sales else None,
        "first_order_day": sales[0]["revenue_day"] if sales else None,
        "last_order_day": sales[-1]["revenue_day"] if sales else None,
    }


def _replace(path: Path, write: Any) -> Path:
    """Write through ``write(tmp_path)`` and rename into place atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name("." + path.name + "." + uuid.uuid4().hex + ".tmp")
    write(temporary)
    os.replace(temporary, path)
    return path


def write_view(data_dir: Path, shop_id: str, name: str, rows: Iterable[Row]) -> Path:
    """The view published whole, with exactly the contract schema (missing columns are
    null), through the processors' own view store; returns the views folder."""
    schema = VIEWS[name]
    money = _money_columns(schema)
    table = pa.Table.from_pylist([_with_money(dict(row), money) for row in rows], schema=schema)
    views_dir = shop_paths(data_dir, shop_id).views_dir
    ViewStore(views_dir).publish({name: Whole(table)}, VIEW_KEYS, datetime.now(UTC))
    return views_dir


def _write_json(path: Path, document: Mapping[str, Any]) -> Path:
    return _replace(path, lambda temporary: temporary.write_text(json.dumps(document)))


def write_manifest(
    data_dir: Path, shop_id: str, version: str, published_at: datetime | None = None
) -> Path:
    """The manifest of the views published so far, with ``version`` (what ETags use)."""
    views_dir = shop_paths(data_dir, shop_id).views_dir
    document = read_manifest(views_dir) | {
        "version": version,
        "published_at": (published_at or datetime.now(UTC)).isoformat(),
    }
    return _write_json(views_dir / MANIFEST, document)


def write_freshness(data_dir: Path, shop_id: str, **fields: Any) -> Path:
    """freshness.json; ``fields``: newest_event_at, last_applied_at (datetimes or ISO
    strings), lag_seconds, events_applied."""
    document = {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in fields.items()
    }
    return _write_json(shop_paths(data_dir, shop_id).views_dir / FRESHNESS, document)


def publish(
    data_dir: Path,
    shop_id: str,
    orders: list[Row],
    customers: list[Row] | None = None,
    version: str = "v1",
) -> None:
    """Write both views (customers derived from ``orders`` unless given), then the manifest."""
    write_view(data_dir, shop_id, "orders", orders)
    rows = customers_from_orders(orders) if customers is None else customers
    write_view(data_dir, shop_id, "customers", rows)
    write_manifest(data_dir, shop_id, version)


def read_views(views_dir: Path) -> dict[str, pa.Table]:
    """Every published view's rows (base and delta merged), sorted by key, by view name."""
    names = sorted(read_manifest(views_dir).get("files", {}))
    return {name: read_view(views_dir, name) for name in names}


def view_rows(views_dir: Path, name: str) -> list[Row]:
    """One published view's rows as dicts (none before it is published)."""
    table = read_view(views_dir, name)
    return [] if table is None else table.to_pylist()
