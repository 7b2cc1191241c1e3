"""The sales summary tiles (``sales/summary``) of a generated Auckland shop through the real
pipeline (normalise, DuckDB state, Parquet views) and the read API (Flask, JSON and CSV),
against this file's own computation over the raw order JSON it fed.

The computation here buckets each order's ``date_created_gmt`` into Auckland days itself
and works the periods out with plain date arithmetic: the newest payload of an order wins;
sale statuses are SPEC §3's (refunded counts, netted to zero); net = total less refunds;
a period that stops at a time of day keeps the orders of its last day whose Auckland wall
time is before ``now``'s. The clocks below keep every cut day clear of DST changes, where
a wall time and an instant differ (the unit tests cover those).
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from api.app import create_app
from api.catalog import ROUTES
from api.openapi import build_openapi
from schemas.clock import FixedClock
from schemas.settings import Settings
from schemas.shop import ShopConfig
from tests.integration.openapi_check import problems
from tests.integration.pipeline_feed import feed_orders
from tests.woo_payloads import order

TIMEZONE = "Pacific/Auckland"  # +13 in summer (NZDT), +12 in winter: days start before UTC's
ZONE = ZoneInfo(TIMEZONE)
SHOP = ShopConfig("shop-nz", "Kiwi", "https://nz.example", timezone=TIMEZONE, currency="NZD")
TOKEN = "token-nz"
AUTH = {"Authorization": "Bearer " + TOKEN}
SALE = {"processing", "completed", "on-hold", "refunded"}
STATUSES = ["completed"] * 5 + ["processing"] * 3 + ["on-hold", "refunded", "pending", "failed"]
FIRST = datetime(2024, 11, 1, tzinfo=UTC)
# Auckland wall times: a mid-quarter morning; 1 April 04:30 (a new quarter in Auckland,
# still 31 March in UTC); 1 January 00:30 (a new year, 11:30 UTC on 31 December)
NOWS = [
    datetime(2026, 2, 17, 9, 45, tzinfo=ZONE),
    datetime(2026, 4, 1, 4, 30, tzinfo=ZONE),
    datetime(2026, 1, 1, 0, 30, tzinfo=ZONE),
]
LAST = max(NOWS).astimezone(UTC) + timedelta(hours=6)  # some orders come after a clock
CENT = Decimal("0.01")
Body = dict[str, Any]


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return SHOP if token == TOKEN else None


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _near_cuts(now: datetime) -> list[datetime]:
    """Instants around the time of day ``now`` shows, on the days the tiles cut at it, and
    around midnights: exactly at it, a second either side, and further."""
    today = now.date()
    days = [
        today,
        today - timedelta(days=1),
        today - timedelta(days=45),
        today - timedelta(days=91),
    ]
    days += [_same_date_last_year(today), _previous_quarter_days(today)[1]]
    moments = []
    for day in days:
        cut = datetime.combine(day, now.timetz().replace(tzinfo=None), ZONE)
        midnight = datetime.combine(day, time(0), ZONE)
        for seconds in (-5400, -1, 0, 1, 7200):
            moments += [cut + timedelta(seconds=seconds), midnight + timedelta(seconds=seconds)]
    return moments


def _versions(rng: random.Random, order_id: int, created: datetime) -> list[Body]:
    """One order's payloads, oldest first: placed, and sometimes changed later."""
    total = Decimal(rng.randrange(500, 40000)) / 100
    status = rng.choice(STATUSES)
    refunds = [str(total)] if status == "refunded" else []
    if status == "completed" and rng.random() < 0.15:
        refunds = [str((total * Decimal("0.3")).quantize(CENT))]
    placed = order(
        order_id, status=status, total=str(total), created=_gmt(created), refunds=refunds
    )
    if rng.random() > 0.2:
        return [placed]
    later = _gmt(created + timedelta(hours=rng.randrange(1, 200)))
    changed = rng.choice(["cancelled", "refunded", "completed"])
    again = [str(total)] if changed == "refunded" else []
    return [placed, order(order_id, status=changed, total=str(total), created=_gmt(created),
                          modified=later, refunds=again)]  # fmt: skip


def _generated() -> list[Body]:
    rng = random.Random(14)
    span = (LAST - FIRST).total_seconds()
    moments = [FIRST + timedelta(seconds=rng.uniform(0, span)) for _ in range(1500)]
    moments += [moment for now in NOWS for moment in _near_cuts(now)]
    bodies: list[Body] = []
    for order_id, created in enumerate(moments, start=1000):
        bodies += _versions(rng, order_id, created)
    return bodies


@dataclass(frozen=True)
class Served:
    client: Any
    clock: FixedClock
    bodies: list[Body]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("summary")
    bodies = _generated()
    feed_orders(data_dir, SHOP, bodies, LAST)
    clock = FixedClock(NOWS[0])
    app = create_app(Settings(data_dir=data_dir), Tokens(), clock)
    yield Served(app.test_client(), clock, bodies)


# --- this file's own computation --------------------------------------------------------------


def _same_date_last_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return date(day.year - 1, 2, 28)


def _previous_quarter_days(today: date) -> tuple[date, date]:
    """The previous quarter's first day, and its day as far into it as today is into ours
    (at most its last day)."""
    start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    month, year = start.month - 3, start.year
    if month < 1:
        month, year = month + 12, year - 1
    first = date(year, month, 1)
    return first, min(first + (today - start), start - timedelta(days=1))


Days = tuple[date, date, bool]  # first day, last day, cut at the time of day


def _back(today: date, count: int) -> tuple[Days, Days]:
    """``count`` whole days before today, and as many before those."""
    last, first = today - timedelta(days=1), today - timedelta(days=count)
    before = first - timedelta(days=1)
    return (first, last, False), (before - timedelta(days=count - 1), before, False)


def _periods(now: datetime) -> dict[str, tuple[Days, Days]]:
    today = now.astimezone(ZONE).date()
    yesterday = today - timedelta(days=1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    last_year = (date(today.year - 1, 1, 1), _same_date_last_year(today), True)
    return {
        "today": ((today, today, True), (yesterday, yesterday, True)),
        "yesterday": _back(today, 1),
        "last_7_days": _back(today, 7),
        "last_30_days": _back(today, 30),
        "quarter_to_date": ((quarter, today, True), (*_previous_quarter_days(today), True)),
        "year_to_date": ((date(today.year, 1, 1), today, True), last_year),
    }


def _sales(bodies: list[Body]) -> list[tuple[datetime, Decimal]]:
    """Each order's newest payload, if a sale: its Auckland wall time and its net."""
    newest: dict[int, Body] = {}
    for body in bodies:
        kept = newest.get(body["id"])
        if kept is None or body["date_modified_gmt"] >= kept["date_modified_gmt"]:
            newest[body["id"]] = body
    sales = []
    for body in newest.values():
        if body["status"] in SALE:
            created = datetime.fromisoformat(body["date_created_gmt"] + "+00:00").astimezone(ZONE)
            refunded = sum((abs(Decimal(r["total"])) for r in body["refunds"]), Decimal(0))
            sales.append((created.replace(tzinfo=None), Decimal(body["total"]) - refunded))
    return sales


def _totals(sales, first: date, last: date, cut: bool, clock: time) -> tuple[Decimal, int]:
    chosen = [
        net
        for wall, net in sales
        if first <= wall.date() <= last
        and not (cut and wall.date() == last and wall.time() >= clock)
    ]
    return sum(chosen, Decimal("0.00")), len(chosen)


def _pct(value: Decimal, base: Decimal) -> float | None:
    if base == 0:
        return None
    return float(((value - base) * 100 / abs(base)).quantize(CENT, rounding=ROUND_HALF_UP))


def _aov(net: Decimal, orders: int) -> Decimal | None:
    return (net / orders).quantize(CENT, rounding=ROUND_HALF_UP) if orders else None


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _compared(name: str, value, base, money: bool) -> dict[str, Any]:
    change = None if value is None or base is None else value - base
    shown = _money if money else (lambda number: number)
    return {
        name: shown(value),
        "previous_" + name: shown(base),
        name + "_change": shown(change),
        name + "_change_pct": None if change is None else _pct(Decimal(value), Decimal(base)),
    }


def _expected(sales, now: datetime) -> dict[str, dict[str, Any]]:
    clock = now.astimezone(ZONE).time().replace(tzinfo=None)
    tiles = {}
    for name, (current, previous) in _periods(now).items():
        net, orders = _totals(sales, *current, clock)
        before_net, before_orders = _totals(sales, *previous, clock)
        days = [day.isoformat() for day in (*current[:2], *previous[:2])]
        tiles[name] = (
            dict(zip(("from", "to", "previous_from", "previous_to"), days, strict=True))
            | _compared("revenue", net, before_net, money=True)
            | _compared("orders", orders, before_orders, money=False)
            | _compared("aov", _aov(net, orders), _aov(before_net, before_orders), money=True)
        )
    return tiles


# --- the tests ----------------------------------------------------------------------------------


def _summary(served: Served, now: datetime, **headers: str):
    served.clock.set(now)
    return served.client.get("/api/v1/shops/shop-nz/sales/summary", headers=AUTH | headers)


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.isoformat())
def test_every_tile_equals_the_sums_over_the_raw_orders_by_auckland_day(served, now):
    body = _summary(served, now).get_json()
    expected = _expected(_sales(served.bodies), now)

    assert (body["currency"], body["timezone"]) == ("NZD", TIMEZONE)
    assert body["as_of"] == now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert list(body["tiles"]) == list(expected)
    for name, tile in body["tiles"].items():
        assert {key: tile[key] for key in expected[name]} == expected[name], name
    assert body["tiles"]["today"]["orders"] > 0  # the generated orders reach every tile
    assert all(tile["previous_orders"] > 0 for tile in body["tiles"].values())


def test_the_csv_has_one_row_per_tile_with_the_json_values(served):
    now = NOWS[0]
    body = _summary(served, now).get_json()
    text = _summary(served, now, Accept="text/csv").get_data(as_text=True)

    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header[0] == "tile"
    assert [row[0] for row in rows] == list(body["tiles"])
    for row in rows:
        tile = body["tiles"][row[0]]
        assert row[1:] == ["" if tile[key] is None else str(tile[key]) for key in header[1:]]


def test_the_json_fits_the_openapi_document(served):
    document = build_openapi(ROUTES)
    schema = document["paths"]["/api/v1/shops/{shop_id}/sales/summary"]["get"]["responses"]
    body = _summary(served, NOWS[1]).get_json()

    assert problems(document, schema["200"]["content"]["application/json"]["schema"], body) == []


def test_the_etag_holds_within_a_minute_and_changes_with_the_clock(served):
    first = _summary(served, NOWS[0])
    again = _summary(
        served, NOWS[0] + timedelta(seconds=20), **{"If-None-Match": first.headers["ETag"]}
    )
    later = _summary(
        served, NOWS[0] + timedelta(minutes=1), **{"If-None-Match": first.headers["ETag"]}
    )

    assert again.status_code == 304
    assert later.status_code == 200
    assert later.headers["ETag"] != first.headers["ETag"]
