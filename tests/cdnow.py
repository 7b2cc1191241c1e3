"""The CDNOW sample's transactions (tests/fixtures/cdnow/CDNOW_sample.txt) as WooCommerce
orders: one completed order per transaction, the customer's id as ``customer_id``, at noon
UTC on its day, its amount as the total."""

from __future__ import annotations

from pathlib import Path

from tests import woo_payloads

CDNOW_SAMPLE = Path(__file__).parent / "fixtures" / "cdnow" / "CDNOW_sample.txt"
CDNOW_CUSTOMERS = 2357
CDNOW_TRANSACTIONS = 6919


def cdnow_orders() -> list[dict]:
    orders = []
    for n, line in enumerate(CDNOW_SAMPLE.read_text().splitlines(), start=1):
        _, customer, day, _, amount = line.split()
        created = f"{day[:4]}-{day[4:6]}-{day[6:]}T12:00:00"
        orders.append(
            woo_payloads.order(
                n,
                status="completed",
                customer_id=int(customer),
                email=f"c{int(customer)}@cdnow.example",
                total=f"{float(amount):.2f}",
                created=created,
            )
        )
    return orders
