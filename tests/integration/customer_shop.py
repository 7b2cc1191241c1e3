"""A small shop for the customer analytics endpoints, built by the real processing code.

WooCommerce-shaped customer and order bodies go through ``ShopPipeline`` (handlers, DuckDB
state, two ``job.rfm`` rescorings, view publishing), so the customers, orders and
segment_history views the API reads are exactly what processors write. The shop is
``read_api_support.SHOP`` (Europe/Warsaw, PLN, token ``token-a``); the clock says
2024-04-10 10:00 UTC, so today is 2024-04-10 in Warsaw.

Who bought what (UTC times; all at 10:00 unless given; Warsaw days are the same except P8's):

    P1 id 1  Anna Nowak     PL  registered, e-mail yes, SMS no
             100.00 on 2023-11-05, 12-05, 2024-01-05, 02-05, 03-05, 04-05 (6 orders)
    P2 id 2  Jan Kowalski   DE  registered, e-mail no
             50.00 on 2024-01-15; 50.00 on 03-20 refunded 20.00            (net 80.00)
    P3 guest ola@           PL  order meta: e-mail yes, SMS yes
             30.00 on 2024-04-09 12:00 (processing)
    P4 id 4  Piotr          CZ  200.00 on 2023-06-10
    P5 id 5  Ewa            PL  20.00 on 2024-02-10 09:00 and 15:00, and on 03-01
    P6 id 6  Marta          DE  registered, one pending order on 04-08 (no sale)
    P7 id 7  Tom            US  40.00 on 2024-04-03; a cancelled 500.00 on 04-04
    P8 guest greta@         DE  25.00 on 2023-12-31 23:30 UTC = 2024-01-01 00:30 in Warsaw

Rescored as of 2024-03-31 (after the orders up to then) and 2024-04-10 (at the end).
Hand-computed results (SPEC §4: with ``worse`` the customers with a strictly worse value
among n, score = 1 + floor(5 * worse / n), so tied one-order buyers all have F = 1):

    as of 03-31  n = 5: P1 455 Loyal Customers, P2 533 Potential Loyalist, P4 114 At Risk,
                 P5 342 Needs Attention, P8 211 Hibernating
    as of 04-10  n = 7: P1 455 Loyal Customers, P2 333 Needs Attention, P3 511 Recent
                 Customers, P4 114 At Risk, P5 243 At Risk, P7 312 About to Sleep,
                 P8 111 Lost
    status       P1 Active (cycle 31, own), P2 Active (65, own), P3 New (30, shop),
                 P4 Lost, P5 At risk (20, own; 20 days overdue), P7 New, P8 Lost
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from api.app import create_app
from processors.pipeline import ShopPipeline
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.settings import Settings
from tests import woo_payloads
from tests.integration.read_api_support import SHOP, Tokens, get
from tests.views_builder import at, guest_key

NOW = at("2024-04-10 10:00")
FIRST_RESCORING = date(2024, 3, 31)


@dataclass(frozen=True)
class Person:
    id: int  # 0: guest
    email: str
    first_name: str
    last_name: str
    country: str
    phone: str = ""
    consents: dict[str, str] = field(default_factory=dict)  # meta key -> value
    registered: bool = False

    @property
    def key(self) -> str:
        return str(self.id) if self.id else guest_key(self.email)


P1 = Person(
    1,
    "anna@example.com",
    "Anna",
    "Nowak",
    "PL",
    "+48 600 100 200",
    {"marketing_consent_email": "yes", "marketing_consent_sms": "no"},
    registered=True,
)
P2 = Person(
    2,
    "jan@example.com",
    "Jan",
    "Kowalski",
    "DE",
    consents={"marketing_consent_email": "no"},
    registered=True,
)
P3 = Person(
    0,
    "ola@example.com",
    "Ola",
    "Guest",
    "PL",
    consents={"marketing_consent_email": "yes", "kl_sms_consent": "yes"},
)
P4 = Person(4, "piotr@example.com", "Piotr", "Zielinski", "CZ")
P5 = Person(5, "ewa@example.com", "Ewa", "Lis", "PL")
P6 = Person(6, "marta@example.com", "Marta", "Wolna", "DE", registered=True)
P7 = Person(7, "tom@example.com", "Tom", "Smith", "US")
P8 = Person(0, "greta@example.com", "Greta", "Guest", "DE")
PEOPLE = (P1, P2, P3, P4, P5, P6, P7, P8)

# order id, who, created (UTC), total, status, refunds
ORDERS: tuple[tuple[int, Person, str, str, str, tuple[str, ...]], ...] = (
    (1031, P4, "2023-06-10T10:00:00", "200.00", "completed", ()),
    (1001, P1, "2023-11-05T10:00:00", "100.00", "completed", ()),
    (1002, P1, "2023-12-05T10:00:00", "100.00", "completed", ()),
    (1071, P8, "2023-12-31T23:30:00", "25.00", "completed", ()),
    (1003, P1, "2024-01-05T10:00:00", "100.00", "completed", ()),
    (1011, P2, "2024-01-15T10:00:00", "50.00", "completed", ()),
    (1004, P1, "2024-02-05T10:00:00", "100.00", "completed", ()),
    (1041, P5, "2024-02-10T09:00:00", "20.00", "completed", ()),
    (1042, P5, "2024-02-10T15:00:00", "20.00", "completed", ()),
    (1043, P5, "2024-03-01T10:00:00", "20.00", "completed", ()),
    (1005, P1, "2024-03-05T10:00:00", "100.00", "completed", ()),
    (1012, P2, "2024-03-20T10:00:00", "50.00", "completed", ("20.00",)),
    (1061, P7, "2024-04-03T10:00:00", "40.00", "completed", ()),
    (1062, P7, "2024-04-04T10:00:00", "500.00", "cancelled", ()),
    (1006, P1, "2024-04-05T10:00:00", "100.00", "completed", ()),
    (1051, P6, "2024-04-08T10:00:00", "99.00", "pending", ()),
    (1021, P3, "2024-04-09T12:00:00", "30.00", "processing", ()),
)


def _meta(consents: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"id": 7000 + n, "key": key, "value": value}
        for n, (key, value) in enumerate(consents.items())
    ]


def _envelope(topic: str, resource_id: int, body: dict[str, Any], received: datetime) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, resource_id, json.dumps(body), received)


def customer_envelope(person: Person) -> Envelope:
    body = woo_payloads.customer(
        person.id, email=person.email, first_name=person.first_name, last_name=person.last_name
    )
    body["billing"] |= {"country": person.country, "phone": person.phone}
    body["meta_data"] = _meta(person.consents)
    return _envelope("customer.created", person.id, body, at("2023-01-01 09:00"))


def order_envelope(order: tuple[int, Person, str, str, str, tuple[str, ...]]) -> Envelope:
    order_id, person, created, total, status, refunds = order
    body = woo_payloads.order(
        order_id,
        status=status,
        customer_id=person.id,
        email=person.email,
        total=total,
        created=created,
        refunds=refunds,
    )
    body["billing"] |= {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "country": person.country,
        "phone": person.phone,
    }
    body["meta_data"] = [] if person.registered else _meta(person.consents)
    return _envelope("order.updated", order_id, body, datetime.fromisoformat(created + "+00:00"))


def shop_stream() -> list[Envelope]:
    """Customers, the orders in time order, and a rescoring after 03-31 and at the end."""
    customers = [customer_envelope(person) for person in PEOPLE if person.registered]
    orders = [order_envelope(order) for order in ORDERS]
    cut = at("2024-03-31 21:00")  # 23:00 in Warsaw
    return [
        *customers,
        *(envelope for envelope in orders if envelope.received_at <= cut),
        rescore_envelope(SHOP.shop_id, FIRST_RESCORING, cut),
        *(envelope for envelope in orders if envelope.received_at > cut),
        rescore_envelope(SHOP.shop_id, NOW.date(), NOW),
    ]


def publish_customer_shop(data_dir: Path) -> str:
    """Process the stream and publish the views under ``data_dir``; returns the version."""
    pipeline = ShopPipeline(data_dir, SHOP)
    try:
        _, failures = pipeline.apply(shop_stream(), NOW)
        assert failures == {}, failures
        return pipeline.publish(NOW)
    finally:
        pipeline.close()


def customer_api(data_dir: Path) -> Any:
    """A test client of the read API over ``data_dir``, its clock at NOW."""
    app = create_app(Settings(data_dir=data_dir), Tokens(), FixedClock(NOW))
    return app.test_client()


def keys_of(*people: Person) -> list[str]:
    return [person.key for person in people]


def ok(api, path: str) -> dict:
    response = get(api, path)
    assert response.status_code == 200, response.get_json()
    return response.get_json()
