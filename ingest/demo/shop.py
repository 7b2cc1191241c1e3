"""A realistic year of a small WooCommerce shop, as the webhook deliveries it would send.

Pure: a seed and ``now`` in, deliveries out (same input, same output). The shop, a coffee
and tea roastery in Poland (``DEMO_CURRENCY`` PLN, prices including 23% VAT, books kept in
``DEMO_TIMEZONE``), opens ``days`` before ``now``: its products are created in the first
hour, then ``customers`` people arrive over the year with a daily and weekly rhythm, a
November/December peak (Black Friday the busiest) and a growing trend. About a quarter
check out as guests (``customer_id`` 0, known by billing e-mail, sometimes typed in another
case; a few make an account later with the same e-mail); most buy once, a long tail buys 5
to 20 times, some go quiet. Orders move through WooCommerce's statuses as separate
deliveries (``order.created`` then ``order.updated``...); some fail or are cancelled,
refunded in part or in full, or trashed (``order.deleted`` with ``{"id": N}``). Prices
change a few times (rises, a Black Friday sale) and stock runs down and is restocked, as
``product.updated``. Within one resource, deliveries are in order and ``date_modified_gmt``
strictly increases; every delivery is at or before ``now``.

Figures for the defaults are checked in ``tests/unit/test_demo.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from ingest.demo.catalog import IdSequence, Outgoing
from ingest.demo.habits import make_people
from ingest.demo.lifecycle import OrderPlan, plan_occasion
from ingest.demo.orders import CURRENCY, PlacedOrder, order_body
from ingest.demo.people import Person, customer_body
from ingest.demo.products import open_shop, price_changes
from ingest.demo.shop_calendar import SHOP_TIMEZONE, ShopCalendar, send_delay
from ingest.demo.timeline import Timeline

DEMO_TIMEZONE = SHOP_TIMEZONE
DEMO_CURRENCY = CURRENCY


@dataclass(frozen=True)
class DemoDelivery:
    topic: str
    body: dict
    at: datetime


def generate_demo_shop(
    *, seed: int, now: datetime, customers: int = 3000, days: int = 365
) -> list[DemoDelivery]:
    """Every webhook delivery of the demo shop's last ``days`` days, sorted by ``at``."""
    rng = random.Random(seed)
    cal = ShopCalendar.ending(now, days)
    ids = {
        "posts": IdSequence(12, skip_rate=0.03),
        "items": IdSequence(1),
        "meta": IdSequence(300),
    }
    catalog, outgoing = open_shop(rng, cal, ids["posts"], ids["meta"])
    people = make_people(rng, cal, customers)
    plans = plan_orders(rng, cal, people)
    timeline = Timeline(rng, catalog, ids)
    timeline.run(plans, price_changes(rng, cal, catalog))
    outgoing += timeline.outgoing
    outgoing += customer_changes(rng, cal, people)
    outgoing += order_changes(cal, timeline.placed)
    return _deliver(rng, cal, outgoing)


def plan_orders(rng: random.Random, cal: ShopCalendar, people: list[Person]) -> list[OrderPlan]:
    """Every order's lifecycle, in order of creation; marks when accounts start paying."""
    plans = [
        plan
        for person in people
        for occasion in person.occasions
        for plan in plan_occasion(rng, cal, person, occasion)
    ]
    plans.sort(key=lambda plan: plan.created)
    for plan in plans:
        person = plan.person
        if plan.paid_at is None or not person.customer_id_at(plan.created):
            continue
        if person.paying_since is None or plan.paid_at < person.paying_since:
            person.paying_since = plan.paid_at
    return plans


def customer_changes(rng: random.Random, cal: ShopCalendar, people: list[Person]) -> list[Outgoing]:
    """``customer.created`` at sign-up, ``customer.updated`` when the first order is paid."""
    outgoing: list[Outgoing] = []
    for person in people:
        if person.registered_at is None:
            continue
        created = person.registered_at + rng.randint(1, 3)
        outgoing.append(
            (created, "customer.created", customer_body(cal, person, created, paying=False))
        )
        if person.paying_since is not None:
            paying = max(person.paying_since + rng.randint(1, 5), created + 1)
            body = customer_body(cal, person, paying, paying=True)
            outgoing.append((paying, "customer.updated", body))
    return outgoing


def order_changes(cal: ShopCalendar, placed: list[PlacedOrder]) -> list[Outgoing]:
    outgoing: list[Outgoing] = []
    for order in placed:
        for step in order.plan.steps:
            if step.topic == "order.deleted":
                outgoing.append((step.ts, step.topic, {"id": order.id}))
            else:
                outgoing.append((step.ts, step.topic, order_body(cal, order, step)))
    return outgoing


def _deliver(rng: random.Random, cal: ShopCalendar, outgoing: list[Outgoing]) -> list[DemoDelivery]:
    """Each change leaves the shop a few seconds after it happened, in order per resource;
    what would leave after ``now`` (and anything after it for that resource) is not sent."""
    outgoing.sort(key=lambda change: change[0])
    last: dict[tuple[str, int], int] = {}
    sent: list[tuple[int, str, dict]] = []
    for ts, topic, body in outgoing:
        key = (topic.partition(".")[0], body["id"])
        at = max(ts + send_delay(rng), last.get(key, 0) + 1)
        last[key] = at
        if at <= cal.end:
            sent.append((at, topic, body))
    sent.sort(key=lambda delivery: delivery[0])
    return [DemoDelivery(topic, body, datetime.fromtimestamp(at, UTC)) for at, topic, body in sent]
