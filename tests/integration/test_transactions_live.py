"""The live transactions feed (``transactions/live``) of a generated Auckland shop through the
real pipeline (normalise, DuckDB state, Parquet views) and the read API (Flask, JSON and
CSV), against this file's own reading of the raw order JSON it fed.

The reading here: each order's newest payload; SPEC §3's sale statuses (refunded ones
count, netted to zero); newest ``date_created_gmt`` first, the higher id first on a tie;
``since``/``until`` as Auckland days of that time; the name as the billing name each
customer always orders under (some guests give none); units as the lines' quantities.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
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

TIMEZONE = "Pacific/Auckland"  # +13 in January: a local day starts at 11:00 UTC the day before
ZONE = ZoneInfo(TIMEZONE)
SHOP = ShopConfig(
    "shop-live", "Kiwi Live", "https://live.example", timezone=TIMEZONE, currency="NZD"
)
TOKEN = "token-live"
AUTH = {"Authorization": "Bearer " + TOKEN}
SALE = {"processing", "completed", "on-hold", "refunded"}
STATUSES = ["completed"] * 4 + ["processing"] * 3 + ["on-hold", "refunded", "pending", "cancelled"]
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
LAST = datetime(2024, 3, 31, tzinfo=UTC)
PREFIX = "/api/v1/shops/shop-live/"
# Auckland's 1 February starts at 2024-01-31T11:00:00Z
EDGE_BEFORE = datetime(2024, 1, 31, 10, 59, 59, tzinfo=UTC)  # 31 January 23:59:59 there
EDGE_AFTER = datetime(2024, 1, 31, 11, 30, tzinfo=UTC)  # 1 February 00:30 there


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return SHOP if token == TOKEN else None


def _gmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _buyer(rng: random.Random) -> tuple[int, str, str, str]:
    """(customer id, e-mail, first name, last name): the same names every time."""
    if rng.random() < 0.5:
        who = rng.randrange(1, 60)
        return who, f"c{who}@example.com", f"First{who}", f"Last{who}"
    guest = rng.randrange(150)
    named = guest % 5 != 0  # every fifth guest gives no name
    return 0, f"g{guest}@example.com", f"Guest{guest}" if named else "", "Buyer" if named else ""


def _payloads(rng: random.Random, order_id: int, created: datetime) -> list[Body]:
    lines = [
        {"product_id": 90 + n, "total": str(Decimal(rng.randrange(300, 9000)) / 100),
         "quantity": rng.randrange(1, 4)}
        for n in range(rng.randrange(1, 4))
    ]  # fmt: skip
    status = rng.choice(STATUSES)
    who, email, first, last = _buyer(rng)
    made = {"customer_id": who, "email": email, "created": _gmt(created), "items": lines}
    refunds = ["5.00"] if status == "completed" and rng.random() < 0.2 else []
    bodies = [order(order_id, status=status, refunds=refunds, **made)]
    if rng.random() < 0.15:  # changed later: cancelled, or refunded in full
        changed = rng.choice(["cancelled", "refunded"])
        total = bodies[0]["total"]
        later = _gmt(created + timedelta(hours=rng.randrange(1, 100)))
        again = [total] if changed == "refunded" else []
        bodies.append(order(order_id, status=changed, modified=later, refunds=again, **made))
    for body in bodies:
        body["billing"] |= {"first_name": first, "last_name": last}
    return bodies


def _generated() -> list[Body]:
    rng = random.Random(1401)
    span = (LAST - FIRST).total_seconds()
    moments = [FIRST + timedelta(seconds=rng.uniform(0, span)) for _ in range(700)]
    moments = [moment.replace(microsecond=0) for moment in moments]
    moments += [EDGE_BEFORE, EDGE_AFTER, EDGE_AFTER]  # two orders at the same second
    bodies: list[Body] = []
    for order_id, created in enumerate(moments, start=3000):
        bodies += _payloads(rng, order_id, created)
    for body in bodies:  # the edge orders are sales
        if body["date_created_gmt"] in (_gmt(EDGE_BEFORE), _gmt(EDGE_AFTER)):
            body |= {"status": "completed", "refunds": []}
    return bodies


@dataclass(frozen=True)
class Served:
    client: Any
    bodies: list[Body]
    data_dir: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("live")
    bodies = _generated()
    feed_orders(data_dir, SHOP, bodies, LAST + timedelta(days=5))
    app = create_app(Settings(data_dir=data_dir), Tokens(), FixedClock(LAST + timedelta(days=5)))
    yield Served(app.test_client(), bodies, data_dir)


# --- this file's own reading -------------------------------------------------------------------


def _expected(bodies: list[Body], since=None, until=None, least=None) -> list[dict[str, Any]]:
    rows = []
    for body in newest_payloads(bodies):
        created = utc_created(body)
        local = created.astimezone(ZONE)
        if body["status"] not in SALE:
            continue
        if (since and local.date() < since) or (until and local.date() > until):
            continue
        if least is not None and Decimal(body["total"]) < least:
            continue
        refunded = sum((abs(Decimal(r["total"])) for r in body["refunds"]), Decimal(0))
        name = " ".join(
            part for part in (body["billing"]["first_name"], body["billing"]["last_name"]) if part
        )
        rows.append(
            {"order_id": body["id"], "number": str(body["id"]), "status": body["status"],
             "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "created_local": local.isoformat(), "email": body["billing"]["email"],
             "name": name or None, "total": body["total"],
             "net": f"{Decimal(body['total']) - refunded:.2f}",
             "items": sum(line["quantity"] for line in body["line_items"])}
        )  # fmt: skip
    return sorted(rows, key=lambda row: (row["created_at"], row["order_id"]), reverse=True)


def _without_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k not in ("customer_key", "customer_url")} for row in rows
    ]


def _get(served: Served, query: str = "", **headers: str):
    return served.client.get(PREFIX + "transactions/live?" + query, headers=AUTH | headers)


# --- the tests ----------------------------------------------------------------------------------


def test_the_first_page_is_the_newest_fifty_sale_orders(served):
    body = _get(served).get_json()
    expected = _expected(served.bodies)

    assert _without_links(body["data"]) == expected[:50]
    assert body["pagination"] == {
        "page": 1,
        "per_page": 50,
        "total": len(expected),
        "pages": -(-len(expected) // 50),
    }
    assert (body["currency"], body["timezone"]) == ("NZD", TIMEZONE)


@pytest.mark.parametrize(("page", "per_page"), [(3, 7), (2, 200), (9, 50), (40, 500)])
def test_every_page_continues_in_the_same_order(served, page, per_page):
    body = _get(served, f"page={page}&per_page={per_page}").get_json()
    start = (page - 1) * per_page

    assert _without_links(body["data"]) == _expected(served.bodies)[start : start + per_page]


def test_a_shop_whose_last_order_is_years_old_still_shows_its_newest_first(served):
    later = FixedClock(LAST + timedelta(days=3 * 365))
    client = create_app(Settings(data_dir=served.data_dir), Tokens(), later).test_client()

    body = client.get(PREFIX + "transactions/live?per_page=20", headers=AUTH).get_json()

    assert _without_links(body["data"]) == _expected(served.bodies)[:20]


@pytest.mark.parametrize(
    ("since", "until", "least"),
    [
        (date(2024, 2, 1), date(2024, 2, 1), None),
        (date(2024, 1, 31), date(2024, 1, 31), None),
        (date(2024, 2, 10), None, Decimal("120.50")),
        (None, date(2024, 1, 15), None),
        (None, None, Decimal("200")),
    ],
)
def test_since_until_and_min_value_keep_the_orders_of_those_auckland_days_and_totals(
    served, since, until, least
):
    query = "&".join(
        f"{name}={value}"
        for name, value in (("since", since), ("until", until), ("min_value", least))
        if value is not None
    )

    body = _get(served, query + "&per_page=500").get_json()

    expected = _expected(served.bodies, since, until, least)
    assert _without_links(body["data"]) == expected
    assert 0 < len(expected) < len(_expected(served.bodies))


def test_an_order_just_after_aucklands_midnight_belongs_to_the_next_day(served):
    first_of_february = _get(served, "since=2024-02-01&until=2024-02-01&per_page=500").get_json()
    last_of_january = _get(served, "since=2024-01-31&until=2024-01-31&per_page=500").get_json()

    late = [row for row in last_of_january["data"] if row["created_at"] == "2024-01-31T10:59:59Z"]
    early = [
        row for row in first_of_february["data"] if row["created_at"] == "2024-01-31T11:30:00Z"
    ]
    assert [row["created_local"] for row in late] == ["2024-01-31T23:59:59+13:00"]
    assert [row["created_local"] for row in early] == ["2024-02-01T00:30:00+13:00"] * 2
    assert early[0]["order_id"] > early[1]["order_id"]  # a tie: the higher id first


def test_each_customer_link_opens_that_customers_360(served):
    rows = _get(served, "per_page=20").get_json()["data"]

    for row in rows:
        assert row["customer_url"] == PREFIX + "customers/" + row["customer_key"]
        profile = served.client.get(row["customer_url"], headers=AUTH).get_json()["profile"]
        assert profile["email"] == row["email"]
    registered = [row for row in rows if row["email"].startswith("c")]
    assert registered and all(
        row["customer_key"] == row["email"][1:].split("@")[0] for row in registered
    )


def test_the_csv_of_a_date_range_is_every_matching_order_with_the_json_columns(served):
    query = "since=2024-02-01&until=2024-02-29"
    text = _get(served, query + "&format=csv").get_data(as_text=True)
    body = _get(served, query + "&per_page=500").get_json()

    header, *rows = list(csv.reader(io.StringIO(text)))
    assert header == body["columns"]
    expected = _expected(served.bodies, date(2024, 2, 1), date(2024, 2, 29))
    assert len(rows) == len(expected) > 50
    as_text = [
        ["" if row[name] is None else str(row[name]) for name in header] for row in body["data"]
    ]
    assert rows == as_text


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2024-02-02&until=2024-02-01", "since must be on or before until"),
        ("min_value=lots", "min_value must be an amount"),
        ("since=2024-02-30", "since must be a date"),
    ],
)
def test_unusable_filters_are_a_400_naming_the_problem(served, query, message):
    response = _get(served, query)

    assert response.status_code == 400
    assert message in response.get_json()["error"]["message"]


def test_the_json_fits_the_openapi_document(served):
    document = build_openapi(ROUTES)
    operation = document["paths"]["/api/v1/shops/{shop_id}/transactions/live"]["get"]

    body = _get(served, "per_page=30").get_json()

    assert (
        problems(
            document, operation["responses"]["200"]["content"]["application/json"]["schema"], body
        )
        == []
    )
    assert "since must be on or before until" in operation["description"]


def test_the_answer_says_when_its_data_is_as_of_and_answers_304_to_its_etag(served):
    newest = max(received_at(body) for body in served.bodies).strftime("%Y-%m-%dT%H:%M:%SZ")
    first = _get(served, "per_page=5")

    again = _get(served, "per_page=5", **{"If-None-Match": first.headers["ETag"]})

    assert first.get_json()["as_of_event"] == newest
    assert first.headers["X-Data-As-Of"] == newest
    assert again.status_code == 304
