"""The timeseries with ``compare`` (previous period, a year earlier, none) of a generated
Warsaw shop through the real pipeline (normalise, DuckDB state, Parquet views) and the read
API (Flask, JSON and CSV), against this file's own computation over the raw order JSON.

The computation here takes each order's newest payload, keeps SPEC §3's sale statuses
(refunded counts, netted to zero), dates it by ``date_created_gmt`` on the Warsaw calendar,
names a customer by id (guests by e-mail, which never meets a registered one's), and works
the periods, buckets and facing buckets out with plain date arithmetic as the route's
description words them.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from tests.integration.pipeline_feed import (
    Body,
    feed_orders,
    newest_payloads,
    received_at,
    utc_created,
)
from tests.woo_payloads import order

TIMEZONE = "Europe/Warsaw"
ZONE = ZoneInfo(TIMEZONE)
SHOP = ShopConfig("shop-ts", "Series", "https://ts.example", timezone=TIMEZONE, currency="PLN")
TOKEN = "token-ts"
AUTH = {"Authorization": "Bearer " + TOKEN}
SALE = {"processing", "completed", "on-hold", "refunded"}
STATUSES = ["completed"] * 5 + ["processing"] * 3 + ["on-hold", "refunded", "pending", "failed"]
FIRST = datetime(2023, 1, 1, tzinfo=UTC)
LAST = datetime(2024, 6, 30, tzinfo=UTC)
APRIL = datetime(2024, 4, 10, 9, 0, tzinfo=ZONE)  # last month: March (31) against February (29)
MARCH = datetime(2024, 3, 15, 9, 0, tzinfo=ZONE)  # last month: February against January (31)
CENT = Decimal("0.01")
URL = "/api/v1/shops/shop-ts/timeseries?"


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return SHOP if token == TOKEN else None


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _payloads(rng: random.Random, order_id: int, created: datetime) -> list[Body]:
    """One order's payloads, oldest first: placed, and sometimes changed later."""
    total = Decimal(rng.randrange(500, 40000)) / 100
    status = rng.choice(STATUSES)
    refunds = [str(total)] if status == "refunded" else []
    if status == "completed" and rng.random() < 0.15:
        refunds = [str((total * Decimal("0.3")).quantize(CENT))]
    registered = rng.random() < 0.6
    who = rng.randrange(1, 250) if registered else 0
    email = f"c{who}@example.com" if registered else f"g{rng.randrange(400)}@example.com"
    common = {"total": str(total), "created": _gmt(created), "customer_id": who, "email": email}
    placed = order(order_id, status=status, refunds=refunds, **common)
    if rng.random() > 0.2:
        return [placed]
    later = _gmt(created + timedelta(hours=rng.randrange(1, 200)))
    changed = rng.choice(["cancelled", "refunded", "completed"])
    again = [str(total)] if changed == "refunded" else []
    return [placed, order(order_id, status=changed, modified=later, refunds=again, **common)]


def _generated() -> list[Body]:
    rng = random.Random(1414)
    span = (LAST - FIRST).total_seconds()
    moments = [FIRST + timedelta(seconds=rng.uniform(0, span)) for _ in range(2400)]
    # around Warsaw midnights at the month edges the tests look at
    for edge in ("2024-01-01", "2024-02-01", "2024-02-29", "2024-03-01", "2024-04-01"):
        midnight = datetime.combine(date.fromisoformat(edge), datetime.min.time(), ZONE)
        moments += [midnight + timedelta(seconds=s) for s in (-61, -1, 0, 1, 3600)]
    bodies: list[Body] = []
    for order_id, created in enumerate(moments, start=5000):
        bodies += _payloads(rng, order_id, created)
    return bodies


@dataclass(frozen=True)
class Served:
    client: Any
    clock: FixedClock
    bodies: list[Body]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("series")
    bodies = _generated()
    feed_orders(data_dir, SHOP, bodies, LAST)
    clock = FixedClock(APRIL)
    app = create_app(Settings(data_dir=data_dir), Tokens(), clock)
    yield Served(app.test_client(), clock, bodies)


# --- this file's own computation --------------------------------------------------------------


@dataclass(frozen=True)
class Sale:
    day: date  # Warsaw
    gross: Decimal
    net: Decimal
    customer: str


def _sales(bodies: list[Body]) -> list[Sale]:
    sales = []
    for body in newest_payloads(bodies):
        if body["status"] not in SALE:
            continue
        gross = Decimal(body["total"])
        refunded = sum((abs(Decimal(r["total"])) for r in body["refunds"]), Decimal(0))
        who = body["customer_id"]
        customer = str(who) if who else "guest " + body["billing"]["email"]
        day = utc_created(body).astimezone(ZONE).date()
        sales.append(Sale(day, gross, gross - refunded, customer))
    return sales


def _first_days(sales: list[Sale]) -> list[date]:
    firsts: dict[str, date] = {}
    for sale in sales:
        firsts[sale.customer] = min(firsts.get(sale.customer, sale.day), sale.day)
    return list(firsts.values())


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def _figures(sales: list[Sale], firsts: list[date], span: tuple[date, date]) -> dict[str, Any]:
    inside = [sale for sale in sales if span[0] <= sale.day <= span[1]]
    gross = sum((sale.gross for sale in inside), Decimal(0))
    net = sum((sale.net for sale in inside), Decimal(0))
    return {
        "gross_revenue": _money(gross),
        "net_revenue": _money(net),
        "orders": len(inside),
        "aov": _money(net / len(inside)) if inside else None,
        "new_customers": sum(1 for day in firsts if span[0] <= day <= span[1]),
    }


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _bucket_of(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1) if interval == "month" else day


def _split(first: date, last: date, interval: str) -> list[tuple[date, date]]:
    """Consecutive days grouped by their day, Monday or first of the month."""
    groups: dict[date, list[date]] = {}
    for day in _days(first, last):
        groups.setdefault(_bucket_of(day, interval), []).append(day)
    return [(days[0], days[-1]) for days in groups.values()]


def _months_back(day: date, count: int) -> date:
    months = day.year * 12 + day.month - 1 - count
    return date(months // 12, months % 12 + 1, 1)


def _a_year_earlier(day: date) -> date:
    if (day.month, day.day) == (2, 29):
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def _compared(first: date, last: date, compare: str) -> tuple[date, date] | None:
    if compare == "none":
        return None
    if compare == "year":
        return _a_year_earlier(first), _a_year_earlier(last)
    if first.day == 1 and (last + timedelta(days=1)).day == 1:  # whole months
        months = (last.year - first.year) * 12 + last.month - first.month + 1
        return _months_back(first, months), first - timedelta(days=1)
    length = (last - first).days + 1
    return first - timedelta(days=length), first - timedelta(days=1)


def _facing(buckets, first: date, before: tuple[date, date], interval: str) -> list:
    if interval == "month":
        theirs = _split(*before, "month")
        return [theirs[n] if n < len(theirs) else None for n in range(len(buckets))]
    shift = first - before[0]
    return [
        (start - shift, min(end - shift, before[1])) if start - shift <= before[1] else None
        for start, end in buckets
    ]


def _expected_rows(sales, span, interval, compare) -> list[dict[str, Any]]:
    firsts = _first_days(sales)
    buckets = _split(*span, interval)
    before = _compared(*span, compare)
    facing = _facing(buckets, span[0], before, interval) if before else [None] * len(buckets)
    rows = []
    for (start, end), face in zip(buckets, facing, strict=True):
        mine = _figures(sales, firsts, (start, end))
        theirs = _figures(sales, firsts, face) if face else dict.fromkeys(mine)
        rows.append(
            {"bucket_start": start.isoformat(), "bucket_end": end.isoformat(),
             "total_customers": sum(1 for day in firsts if day <= end),
             "new_customers": mine["new_customers"], "net_revenue": mine["net_revenue"],
             "transactions": mine["orders"], "gross_revenue": mine["gross_revenue"],
             "orders": mine["orders"], "aov": mine["aov"],
             "previous_bucket_start": face and face[0].isoformat(),
             "previous_bucket_end": face and face[1].isoformat()}
            | {"previous_" + name: value for name, value in theirs.items()}
        )  # fmt: skip
    return rows


def _preset(name: str, today: date) -> tuple[date, date]:
    if name.startswith("last_") and name.endswith("_days"):
        return today - timedelta(days=int(name.split("_")[1])), today - timedelta(days=1)
    if name == "previous_week":
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    end = today.replace(day=1) - timedelta(days=1)  # last_month
    return end.replace(day=1), end


# --- the tests ----------------------------------------------------------------------------------


def _get(served: Served, query: str, now: datetime = APRIL, **headers: str):
    served.clock.set(now)
    return served.client.get(URL + query, headers=AUTH | headers)


CASES = [
    # (query: period, interval, compare), clock
    (("last_30_days", "day", "previous"), APRIL),
    (("last_90_days", "week", "previous"), APRIL),
    (("previous_week", "day", "year"), APRIL),
    (("last_month", "day", "previous"), APRIL),  # March against February: 30, 31 face none
    (("last_month", "day", "previous"), MARCH),  # February against January
    (("last_month", "week", "year"), MARCH),
    (("last_month", "month", "previous"), APRIL),
    (("2024-01-15..2024-04-09", "month", "previous"), APRIL),
    (("2023-10-01..2024-03-31", "month", "previous"), APRIL),  # whole months: Apr-Sep 2023
    (("2024-02-01..2024-03-31", "day", "year"), APRIL),  # 29 February faces 1 March 2023
    (("2024-02-26..2024-03-05", "week", "previous"), APRIL),
    (("last_30_days", "week", "none"), APRIL),
]


def _query(period: str, interval: str, compare: str) -> str:
    if ".." in period:
        first, last = period.split("..")
        return f"from={first}&to={last}&interval={interval}&compare={compare}"
    return f"period={period}&interval={interval}&compare={compare}"


def _span(period: str, now: datetime) -> tuple[date, date]:
    if ".." in period:
        first, last = period.split("..")
        return date.fromisoformat(first), date.fromisoformat(last)
    return _preset(period, now.astimezone(ZONE).date())


@pytest.mark.parametrize(("case", "now"), CASES, ids=lambda value: str(value))
def test_every_bucket_and_its_facing_bucket_equal_sums_over_the_raw_orders(served, case, now):
    period, interval, compare = case
    body = _get(served, _query(*case), now).get_json()
    span = _span(period, now)
    sales = _sales(served.bodies)

    assert body["data"] == _expected_rows(sales, span, interval, compare)
    assert (body["compare"], body["interval"]) == (compare, interval)
    assert (body["period"]["from"], body["period"]["to"]) == tuple(d.isoformat() for d in span)
    before = _compared(*span, compare)
    firsts = _first_days(sales)
    assert body["totals"] == _figures(sales, firsts, span)
    if before is None:
        assert body["previous_period"] is None and body["previous_totals"] is None
    else:
        assert body["previous_period"] == {"from": str(before[0]), "to": str(before[1])}
        assert body["previous_totals"] == _figures(sales, firsts, before)
    assert sum(row["orders"] for row in body["data"]) > 0  # the generated orders reach it


def test_march_faces_february_day_by_day_and_its_last_two_days_face_nothing(served):
    body = _get(served, "period=last_month&compare=previous").get_json()
    rows = body["data"]

    assert body["previous_period"] == {"from": "2024-02-01", "to": "2024-02-29"}
    assert len(rows) == 31
    assert (rows[28]["bucket_start"], rows[28]["previous_bucket_start"]) == (
        "2024-03-29",
        "2024-02-29",
    )
    assert [row["previous_bucket_start"] for row in rows[29:]] == [None, None]
    assert all(row["previous_orders"] is None for row in rows[29:])


def test_february_leaves_the_last_two_days_of_january_to_the_previous_totals(served):
    body = _get(served, "period=last_month&compare=previous", MARCH).get_json()
    faced = sum(row["previous_orders"] for row in body["data"])
    sales = _sales(served.bodies)
    late_january = [s for s in sales if date(2024, 1, 30) <= s.day <= date(2024, 1, 31)]

    assert body["previous_period"] == {"from": "2024-01-01", "to": "2024-01-31"}
    assert body["data"][-1]["previous_bucket_end"] == "2024-01-29"
    assert body["previous_totals"]["orders"] == faced + len(late_january)


PLAIN_QUERIES = [
    "period=last_30_days",
    "period=last_month&interval=week",
    "from=2023-06-01&to=2024-03-31&interval=month",
]


@pytest.mark.parametrize("query", PLAIN_QUERIES)
def test_the_original_six_columns_are_the_same_with_and_without_compare(served, query):
    plain = _get(served, query).get_json()
    compared = _get(served, query + "&compare=previous").get_json()

    assert plain["columns"] == compared["columns"][:6]
    assert [row for row in plain["data"]] == [
        {name: row[name] for name in plain["columns"]} for row in compared["data"]
    ]
    assert "compare" not in plain


def test_the_csv_has_the_columns_and_rows_of_the_json(served):
    query = "period=last_month&compare=previous"
    body = _get(served, query).get_json()
    text = _get(served, query + "&format=csv").get_data(as_text=True)

    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == body["columns"]
    as_text = [
        ["" if row[name] is None else str(row[name]) for name in header] for row in body["data"]
    ]
    assert rows == as_text


@pytest.mark.parametrize(
    "query",
    [
        "period=last_30_days",
        "period=last_month&compare=previous",
        "period=last_7_days&compare=none",
    ],
)
def test_the_json_fits_the_openapi_document(served, query):
    document = build_openapi(ROUTES)
    responses = document["paths"]["/api/v1/shops/{shop_id}/timeseries"]["get"]["responses"]

    body = _get(served, query).get_json()

    assert problems(document, responses["200"]["content"]["application/json"]["schema"], body) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("compare=weekly", "compare must be one of previous, year, none"),
        ("from=0001-01-01&to=0001-03-01&compare=year", "too early to compare"),
        ("from=0001-01-01&to=0001-03-01&compare=previous", "too early to compare"),
    ],
)
def test_an_unusable_compare_is_a_400_naming_the_problem(served, query, message):
    response = _get(served, query)

    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


# --- data as of ---------------------------------------------------------------------------------


def _newest_event(served: Served) -> str:
    return max(received_at(body) for body in served.bodies).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    "path", ["timeseries?compare=year", "timeseries", "kpis", "orders?per_page=1", "freshness"]
)
def test_every_answer_says_the_newest_applied_event_in_x_data_as_of(served, path):
    response = served.client.get("/api/v1/shops/shop-ts/" + path, headers=AUTH)
    as_csv = served.client.get(
        "/api/v1/shops/shop-ts/" + path, headers=AUTH | {"Accept": "text/csv"}
    )
    again = served.client.get(
        "/api/v1/shops/shop-ts/" + path, headers=AUTH | {"If-None-Match": response.headers["ETag"]}
    )

    assert response.headers["X-Data-As-Of"] == _newest_event(served)
    assert as_csv.headers["X-Data-As-Of"] == _newest_event(served)
    assert (again.status_code, again.headers["X-Data-As-Of"]) == (304, _newest_event(served))


def test_the_timeseries_json_carries_the_same_time_as_as_of_event(served):
    for query in ("period=last_30_days", "period=last_30_days&compare=previous"):
        assert _get(served, query).get_json()["as_of_event"] == _newest_event(served)


def test_the_openapi_document_names_x_data_as_of_on_the_shop_views(served):
    document = build_openapi(ROUTES)
    operation = document["paths"]["/api/v1/shops/{shop_id}/kpis"]["get"]

    for status in ("200", "304"):
        assert "X-Data-As-Of" in operation["responses"][status]["headers"]


def test_a_shop_without_applied_events_answers_without_x_data_as_of(tmp_path):
    app = create_app(Settings(data_dir=tmp_path), Tokens(), FixedClock(APRIL))

    response = app.test_client().get(URL + "compare=previous", headers=AUTH)

    assert response.status_code == 200
    assert "X-Data-As-Of" not in response.headers
    assert response.get_json()["as_of_event"] is None
    assert response.get_json()["totals"]["orders"] == 0
