"""RFM and status through the real pipeline on a generated shop, checked independently.

The shop's history comes from the WooCommerce-compatible generator as REST pages; the
processor imports it and runs ``job.rfm``. The check recomputes RFM straight from the raw
order bodies with DuckDB SQL (its own key rules, the SPEC §4 tie rule as counts of strictly
worse customers compared with the five fifths, and the grid typed in again) and must find
the same scores and segments for every customer.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime

import duckdb
import pytest

from ingest.rest.importer import rest_envelope
from processors.analytics.rfm import SEGMENTS
from processors.pipeline import ShopPipeline
from schemas.jobs import rescore_envelope
from schemas.shop import ShopConfig
from store.view_files import read_view
from tests.woo_server.generate import generate_history

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
AS_OF = date(2026, 7, 1)
SHOP = ShopConfig(shop_id="shp_scores", name="Scores", url="https://shop.example")
PAGE = 100

# SPEC §4, typed again: (R, FM) -> segment.
GRID = {
    5: ("Recent Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"),
    4: (
        "Promising",
        "Potential Loyalist",
        "Potential Loyalist",
        "Loyal Customers",
        "Loyal Customers",
    ),
    3: (
        "About to Sleep",
        "About to Sleep",
        "Needs Attention",
        "Loyal Customers",
        "Loyal Customers",
    ),
    2: ("Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
    1: ("Lost", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"),
}

INDEPENDENT_RFM = """
WITH raw AS (
    SELECT id, status, customer_id, lower(trim(billing.email)) AS email,
        CAST(total AS DECIMAL(18, 2)) AS total,
        coalesce(list_sum([abs(CAST(r.total AS DECIMAL(18, 2))) FOR r IN refunds]), 0) AS refunded,
        CAST(CAST(date_created_gmt AS TIMESTAMP) AS DATE) AS day
    FROM read_json($orders, format = 'newline_delimited')
), owners AS (
    SELECT email, min(id) AS owner FROM (
        SELECT lower(trim(email)) AS email, id FROM read_json($customers,
            format = 'newline_delimited')
        UNION ALL SELECT email, customer_id FROM raw WHERE customer_id > 0
    ) WHERE email <> '' GROUP BY email
), keyed AS (
    SELECT CASE WHEN customer_id > 0 THEN customer_id::VARCHAR
        WHEN o.owner IS NOT NULL THEN o.owner::VARCHAR
        ELSE 'guest-' || left(sha256(raw.email), 16) END AS customer_key,
        total - refunded AS net, day
    FROM raw LEFT JOIN owners o ON raw.customer_id = 0 AND raw.email = o.email
    WHERE status IN ('processing', 'completed', 'on-hold', 'refunded')
), c AS (
    SELECT customer_key, count(*) AS f, sum(net) AS m, $as_of - max(day) AS rec
    FROM keyed GROUP BY customer_key
), ranked AS (
    -- SPEC §4: a tie group scores its lowest position, i.e. the number of customers with a
    -- strictly worse value; p = worse / n falls in one of five fifths [0, 1/5), ..., [4/5, 1)
    SELECT customer_key, (SELECT count(*) FROM c) AS n,
        (SELECT count(*) FROM c AS o WHERE o.rec > c.rec) AS r_worse,
        (SELECT count(*) FROM c AS o WHERE o.f < c.f) AS f_worse,
        (SELECT count(*) FROM c AS o WHERE o.m < c.m) AS m_worse
    FROM c
)
SELECT customer_key,
    CASE WHEN 5 * r_worse < n THEN 1 WHEN 5 * r_worse < 2 * n THEN 2
        WHEN 5 * r_worse < 3 * n THEN 3 WHEN 5 * r_worse < 4 * n THEN 4 ELSE 5 END AS r,
    CASE WHEN 5 * f_worse < n THEN 1 WHEN 5 * f_worse < 2 * n THEN 2
        WHEN 5 * f_worse < 3 * n THEN 3 WHEN 5 * f_worse < 4 * n THEN 4 ELSE 5 END AS f,
    CASE WHEN 5 * m_worse < n THEN 1 WHEN 5 * m_worse < 2 * n THEN 2
        WHEN 5 * m_worse < 3 * n THEN 3 WHEN 5 * m_worse < 4 * n THEN 4 ELSE 5 END AS m
FROM ranked ORDER BY customer_key
"""


def _pages(topic: str, items: list[dict]) -> list:
    return [
        rest_envelope(SHOP.shop_id, topic, items[i : i + PAGE], NOW, "import")
        for i in range(0, len(items), PAGE)
    ]


def _ndjson(path, items) -> str:
    path.write_text("\n".join(json.dumps(item) for item in items))
    return str(path)


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("scores")
    history = generate_history(
        3000, seed=11, now=int(NOW.timestamp()), site="https://shop.example/"
    )
    customers, orders = list(history.customers.values()), list(history.orders.values())
    pipeline = ShopPipeline(tmp / "data", SHOP)
    try:
        pipeline.apply(
            _pages("customer.imported", customers) + _pages("order.imported", orders), NOW
        )
        pipeline.apply([rescore_envelope(SHOP.shop_id, AS_OF, NOW)], NOW)
        pipeline.publish(NOW)
        views = pipeline.paths.views_dir
    finally:
        pipeline.close()
    view = read_view(views, "customers").to_pylist()
    expected = duckdb.sql(
        INDEPENDENT_RFM,
        params={
            "orders": _ndjson(tmp / "orders.ndjson", orders),
            "customers": _ndjson(tmp / "customers.ndjson", customers),
            "as_of": AS_OF,
        },
    ).fetchall()
    return view, expected, views


def test_independent_sql_over_the_raw_orders_gives_every_customer_the_same_scores(scored):
    view, expected, _ = scored
    ours = sorted((c["customer_key"], c["r"], c["f"], c["m"]) for c in view if c["orders"] > 0)
    assert len(expected) > 500
    assert ours == [tuple(row) for row in expected]


def test_independent_segments_match_the_spec_grid(scored):
    view, expected, _ = scored
    by_key = {c["customer_key"]: c for c in view}
    for key, r, f, m in expected:
        assert by_key[key]["segment"] == GRID[r][(f + m + 1) // 2 - 1], key
        assert by_key[key]["rfm_score"] == f"{r}{f}{m}"


def test_segment_counts_sum_to_the_customers_with_orders_and_use_several_segments(scored):
    view, _, _ = scored
    buyers = [c for c in view if c["orders"] > 0]
    counts = Counter(c["segment"] for c in buyers)
    assert sum(counts.values()) == len(buyers)
    assert set(counts) <= set(SEGMENTS)
    assert len(counts) >= 8
    assert all(c["segment"] is None and c["status"] is None for c in view if c["orders"] == 0)


def test_every_scored_customer_has_a_status_and_an_expected_return_after_the_last_order(scored):
    view, _, _ = scored
    buyers = [c for c in view if c["orders"] > 0]
    assert {c["status"] for c in buyers} <= {"New", "Active", "At risk", "Lost"}
    assert {c["status"] for c in buyers} == {"New", "Active", "At risk", "Lost"}
    assert all(c["expected_return"] > c["last_order_day"] for c in buyers)
    assert all(c["recency_days"] == (AS_OF - c["last_order_day"]).days for c in buyers)


def test_the_rescoring_is_recorded_as_every_scored_customers_first_segment(scored):
    view, _, views = scored
    history = read_view(views, "segment_history").to_pylist()
    manifest = json.loads((views / "manifest.json").read_text())
    assert manifest["scores_as_of"] == AS_OF.isoformat()
    first = {(h["customer_key"], h["segment"]) for h in history}
    assert first == {(c["customer_key"], c["segment"]) for c in view if c["orders"] > 0}
    assert all(h["changed_on"] == AS_OF and h["previous_segment"] is None for h in history)


def test_the_generated_shops_one_order_buyers_all_have_f_one_and_no_top_segment(scored):
    view, _, _ = scored
    one_order = [c for c in view if c["orders"] == 1]
    assert len(one_order) > 100
    assert {c["f"] for c in one_order} == {1}
    assert not {"Champions", "Loyal Customers"} & {c["segment"] for c in one_order}
