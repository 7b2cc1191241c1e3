"""What the read API tests share: one shop's orders and customers, and request helpers.

The shop is in Europe/Warsaw (CET +1 until 2024-03-31 01:00 UTC, CEST +2 after). The clock
says 2024-04-10 10:00 UTC, so today is 2024-04-10 and last_7_days is 04-03..04-09, compared
with 03-27..04-02. The fixtures (``clock``, ``client``, ``shop``) are in this folder's
conftest.py.
"""

from __future__ import annotations

import csv
import io

from schemas.shop import ShopConfig
from tests.views_builder import at, customers_from_orders, guest_key, order_row, publish

SHOP = ShopConfig("shop-a", "A", "https://a.example", timezone="Europe/Warsaw", currency="PLN")
OTHER = ShopConfig("shop-b", "B", "https://b.example")
TOKENS = {"token-a": SHOP, "token-b": OTHER}
AUTH = {"Authorization": "Bearer token-a"}
NOW = at("2024-04-10 10:00")
GUEST = guest_key("a@example.com")


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return TOKENS.get(token)


# id, created at (UTC), status, total, refunds, customer_id (0: guest), billing e-mail
ORDERS = [
    # last_7_days: 04-03..04-09 in Warsaw
    (101, "2024-04-03 08:00", "completed", "100.00", "0.00", 25, None),
    (102, "2024-04-05 12:00", "processing", "50.00", "20.00", 0, "A@Example.com"),  # part refund
    (103, "2024-04-06 09:00", "refunded", "40.00", "40.00", 25, None),  # all refunded: 0 net
    (104, "2024-04-07 09:00", "pending", "999.00", "0.00", 30, None),
    (105, "2024-04-07 10:00", "cancelled", "500.00", "0.00", 25, None),
    (106, "2024-04-08 10:00", "failed", "300.00", "0.00", 32, None),
    (107, "2024-04-09 22:30", "on-hold", "10.00", "0.00", 31, None),  # Warsaw 04-10: today
    (108, "2024-04-02 22:30", "completed", "60.00", "0.00", 32, None),  # Warsaw 04-03
    # the 7 days before: 03-27..04-02
    (109, "2024-03-28 10:00", "completed", "80.00", "0.00", 25, None),
    (110, "2024-03-30 23:30", "completed", "20.00", "0.00", 0, "a@example.com"),  # CET: 03-31
]


def _orders() -> list[dict]:
    return [
        order_row(
            order_id,
            at(created),
            SHOP,
            status=status,
            total=total,
            refunds=refunds,
            customer_id=customer_id,
            email=email,
        )
        for order_id, created, status, total, refunds, customer_id, email in ORDERS
    ]


PROFILES = {
    "25": {"first_name": "Anna", "last_name": "Nowak", "phone": "+48 600 100 200", "country": "PL"},
    GUEST: {"first_name": "Jan", "last_name": "Kowalski", "country": "DE"},
    "30": {"first_name": "Piotr", "country": "PL"},
    "31": {"first_name": "Ola", "country": "pl"},
    "32": {"first_name": "Ewa", "country": "CZ"},
}


def publish_views(data_dir, version="v1") -> None:
    orders = _orders()
    publish(data_dir, SHOP.shop_id, orders, customers_from_orders(orders, PROFILES), version)


def get(client, path: str, **headers):
    return client.get("/api/v1/shops/shop-a/" + path, headers=AUTH | headers)


def kpis(client, query: str) -> dict:
    response = get(client, "kpis?" + query)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def ids(response) -> list[int]:
    return [row["order_id"] for row in response.get_json()["data"]]


def keys(response) -> list[str]:
    return [row["customer_key"] for row in response.get_json()["data"]]


def kpi(value, previous, change, change_pct) -> dict:
    return {"value": value, "previous": previous, "change": change, "change_pct": change_pct}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def as_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def json_table(body: dict) -> list[list[str]]:
    columns = body["columns"]
    return [columns] + [[as_cell(row[name]) for name in columns] for row in body["data"]]
