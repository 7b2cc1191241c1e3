"""Segment shares over time (``segments/history``) of a shop built through the real pipeline
(orders as WooCommerce JSON, rescoring jobs on several days, DuckDB state, Parquet views)
and read through the real read API (Flask, JSON and CSV).

The expectation is this file's own: right after each rescoring the published customers view
says every scored customer's segment; this file counts those snapshots per segment, keeps
the rescoring days on which some customer's segment differs from the snapshot before, and
works shares and changes out with plain fractions. It never reads the segment history.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest

from api.app import create_app
from api.catalog import ROUTES
from api.openapi import build_openapi
from processors.pipeline import ShopPipeline
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.jsoncodec import dumps_text
from schemas.settings import Settings
from schemas.shop import ShopConfig
from tests import woo_payloads as woo
from tests.integration.openapi_check import problems
from tests.views_builder import view_rows

SHOP = ShopConfig("shop-seg", "Segments", "https://seg.example")
TOKEN = "token-seg"
AUTH = {"Authorization": "Bearer " + TOKEN}
NOW = datetime(2024, 7, 1, 9, tzinfo=UTC)
SEGMENTS = (
    "Champions",
    "Loyal Customers",
    "Potential Loyalist",
    "Recent Customers",
    "Promising",
    "Needs Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
)  # fmt: skip  (the 11 RFM segments of SPEC §4, in the fixed order)
# rescoring days; the month before each brings new orders, except before 03-20 (none)
RESCORINGS = [date(2024, 2, 1), date(2024, 3, 1), date(2024, 3, 20), date(2024, 4, 1),
              date(2024, 5, 1), date(2024, 6, 1)]  # fmt: skip
PATH = "/api/v1/shops/shop-seg/segments/history"


class Tokens:
    def shop_for_token(self, token: str) -> ShopConfig | None:
        return SHOP if token == TOKEN else None


def _order(order_id: int, email: str, day: date, rng: random.Random) -> Envelope:
    created = f"{day.isoformat()}T{rng.randint(8, 20):02d}:00:00"
    body = woo.order(order_id, email=email, total=f"{rng.randint(5, 400)}.00", created=created)
    return Envelope(SHOP.shop_id, "order.created", "order", "created", order_id,
                    dumps_text(body), NOW)  # fmt: skip


def _orders_before(rescoring: date, previous: date, first_id: int, rng: random.Random):
    """Orders of some of 40 guests between the rescoring before and this one."""
    envelopes = []
    if rescoring == date(2024, 3, 20):
        return envelopes
    for n in range(rng.randint(15, 30)):
        email = f"guest{rng.randint(0, 39)}@example.com"
        day = date.fromordinal(rng.randint(previous.toordinal(), rescoring.toordinal() - 1))
        envelopes.append(_order(first_id + n, email, day, rng))
    return envelopes


def _snapshot(pipeline: ShopPipeline) -> dict[str, str]:
    pipeline.publish(NOW)
    rows = view_rows(pipeline.paths.views_dir, "customers")
    return {row["customer_key"]: row["segment"] for row in rows if row["segment"] is not None}


def _build(data_dir) -> dict[date, dict[str, str]]:
    """Orders and rescorings through the pipeline; each rescoring day's segments."""
    rng = random.Random(14)
    pipeline = ShopPipeline(data_dir, SHOP)
    snapshots = {}
    try:
        previous = date(2024, 1, 1)
        for n, day in enumerate(RESCORINGS):
            orders = _orders_before(day, previous, 1000 * (n + 1), rng)
            job = rescore_envelope(SHOP.shop_id, day, NOW)
            _, failures = pipeline.apply([*orders, job], NOW)
            assert failures == {}
            snapshots[day] = _snapshot(pipeline)
            previous = day
    finally:
        pipeline.close()
    return snapshots


@dataclass
class Served:
    client: Any
    snapshots: dict[date, dict[str, str]]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("segment-shares")
    snapshots = _build(data_dir)
    app = create_app(Settings(data_dir=data_dir), Tokens(), FixedClock(NOW))
    yield Served(app.test_client(), snapshots)


# --- the expectation, from the snapshots ------------------------------------------------------


def _changed_days(snapshots: dict[date, dict[str, str]]) -> list[date]:
    days, before = [], {}
    for day in sorted(snapshots):
        if snapshots[day] != before:
            days.append(day)
        before = snapshots[day]
    return days


def _expected_rows(snapshots, first: date, last: date) -> list[dict[str, Any]]:
    rows = []
    for day in _changed_days(snapshots):
        if first <= day <= last:
            counts, total = Counter(snapshots[day].values()), len(snapshots[day])
            rows += [
                {"day": day.isoformat(), "segment": name, "customers": counts[name],
                 "scored_customers": total, "share": round(counts[name] / total, 4)}
                for name in SEGMENTS
            ]  # fmt: skip
    return rows


def _expected_changes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    start = {row["segment"]: row for row in rows if row["day"] == rows[0]["day"]}
    end = {row["segment"]: row for row in rows if row["day"] == rows[-1]["day"]}
    changes = []
    for name in SEGMENTS:
        a, b = start[name], end[name]
        before = a["customers"] / a["scored_customers"]
        now = b["customers"] / b["scored_customers"]
        changes.append({
            "segment": name, "first_customers": a["customers"],
            "last_customers": b["customers"], "first_share": a["share"],
            "last_share": b["share"], "share_change_pp": round((now - before) * 100, 2),
            "share_change_pct": round((now - before) * 100 / before, 2) if before else None,
        })  # fmt: skip
    return changes


def _get(served: Served, query: str = "", **headers: str):
    return served.client.get(PATH + query, headers=AUTH | headers)


# --- the tests ----------------------------------------------------------------------------------


def test_the_shop_has_moves_on_most_rescorings_and_none_on_the_quiet_one(served):
    days = _changed_days(served.snapshots)
    assert len(days) >= 4
    assert date(2024, 3, 20) not in days  # no orders since 03-01: nobody moved


def test_every_segment_on_every_changed_day_equals_the_customers_view_snapshots(served):
    body = _get(served, "?from=2024-01-01&to=2024-06-30").get_json()
    expected = _expected_rows(served.snapshots, date(2024, 1, 1), date(2024, 6, 30))

    assert body["data"] == expected
    assert body["segments"] == list(SEGMENTS)
    assert (body["first_day"], body["last_day"]) == (expected[0]["day"], expected[-1]["day"])
    assert body["changes"] == _expected_changes(expected)
    assert any(change["share_change_pp"] != 0 for change in body["changes"])


def test_a_period_starting_later_carries_the_segments_scored_before_it(served):
    body = _get(served, "?period=custom&from=2024-03-02&to=2024-05-15").get_json()
    expected = _expected_rows(served.snapshots, date(2024, 3, 2), date(2024, 5, 15))

    assert body["data"] == expected
    assert body["first_day"] == "2024-04-01" and body["last_day"] == "2024-05-01"
    assert body["changes"] == _expected_changes(expected)


def test_a_period_without_a_changed_day_is_empty_with_no_changes(served):
    body = _get(served, "?from=2024-03-10&to=2024-03-25").get_json()

    assert (body["data"], body["changes"]) == ([], [])
    assert body["first_day"] is None and body["last_day"] is None


def test_a_named_period_is_resolved_from_the_shops_today(served):
    body = _get(served, "?period=last_90_days").get_json()  # 2024-04-02..2024-06-30

    assert body["period"] == {"name": "last_90_days", "from": "2024-04-02", "to": "2024-06-30"}
    assert body["data"] == _expected_rows(served.snapshots, date(2024, 4, 2), date(2024, 6, 30))


def test_the_csv_tables_have_the_json_rows(served):
    query = "?from=2024-01-01&to=2024-06-30"
    body = _get(served, query).get_json()
    days = list(csv.DictReader(io.StringIO(_get(served, query + "&format=csv").get_data(True))))
    changes = _get(served, query + "&format=csv&table=changes").get_data(as_text=True)

    def text(row: dict[str, Any]) -> dict[str, str]:
        return {key: "" if value is None else str(value) for key, value in row.items()}

    assert days == [text(row) for row in body["data"]]
    assert list(csv.DictReader(io.StringIO(changes))) == [text(row) for row in body["changes"]]


def test_the_json_fits_the_openapi_document_and_an_etag_answers_304(served):
    document = build_openapi(ROUTES)
    schema = document["paths"]["/api/v1/shops/{shop_id}/segments/history"]["get"]["responses"]
    first = _get(served, "?period=year_to_date")
    again = _get(served, "?period=year_to_date", **{"If-None-Match": first.headers["ETag"]})

    body = first.get_json()
    assert problems(document, schema["200"]["content"]["application/json"]["schema"], body) == []
    assert again.status_code == 304


def test_a_bad_period_is_a_400_that_names_the_rule(served):
    response = _get(served, "?from=2024-05-01&to=2024-04-01")

    assert response.status_code == 400
    assert "from must be on or before to" in response.get_json()["error"]["message"]
