"""CLV and churn through the real pipeline on the CDNOW sample (SPEC §4, issue 5).

The 6,919 CDNOW transactions go in as WooCommerce orders (REST pages); ``job.clv`` as of
1997-09-30 fits on the 39-week calibration period, so the fitted parameters must be the
published ones with time in days (alpha x 7). ``job.backtest`` and ``job.churn`` run as of
the last day of the data.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ingest.rest.importer import rest_envelope
from processors.analytics.clv import CHURN_LEVELS
from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.jobs import dated_job_envelope
from schemas.shop import ShopConfig
from store.view_files import read_view
from tests import woo_payloads
from tests.cdnow import cdnow_orders

SHOP = ShopConfig(shop_id="shp_cdnow", name="CDNOW", url="https://cdnow.example")
NOW = datetime(1998, 7, 1, 12, tzinfo=UTC)
CALIBRATION_END = date(1997, 9, 30)
LAST_DAY = date(1998, 6, 30)
PAGE = 500


@pytest.fixture(scope="module")
def cdnow_views(tmp_path_factory):
    orders = cdnow_orders()
    pages = [
        rest_envelope(SHOP.shop_id, "order.imported", orders[i : i + PAGE], NOW, "import")
        for i in range(0, len(orders), PAGE)
    ]
    pipeline = ShopPipeline(tmp_path_factory.mktemp("cdnow") / "data", SHOP)
    try:
        pipeline.apply(pages, NOW)
        jobs = [
            dated_job_envelope(SHOP.shop_id, "clv", CALIBRATION_END, NOW),
            dated_job_envelope(SHOP.shop_id, "backtest", LAST_DAY, NOW),
            dated_job_envelope(SHOP.shop_id, "churn", LAST_DAY, NOW),
        ]
        pipeline.apply(jobs, NOW)
        pipeline.publish(NOW)
        views = pipeline.paths.views_dir
    finally:
        pipeline.close()
    tables = ("prediction_models", "clv", "churn", "backtests", "churn_timeline")
    read = {name: read_view(views, name).to_pylist() for name in tables}
    read["manifest"] = json.loads((views / "manifest.json").read_text())
    return read


def _model(views, name: str) -> dict:
    (row,) = [row for row in views["prediction_models"] if row["model"] == name]
    assert row["status"] == "fitted", row["message"]
    return row | {"params": json.loads(row["params"])}


def test_bgnbd_through_the_pipeline_gives_the_published_cdnow_parameters_in_days(cdnow_views):
    row = _model(cdnow_views, "bgnbd")
    p = row["params"]
    assert row["customers"] == 2357
    assert row["as_of"] == CALIBRATION_END
    assert (p["r"], p["a"], p["b"]) == pytest.approx((0.243, 0.793, 2.426), abs=1.5e-3)
    assert p["alpha"] == pytest.approx(4.414 * 7, abs=7 * 1.5e-3)
    # the same data in days: each repeat purchase's density is 1/7 of its density in weeks
    repeats = 2457  # sum of x in the CDNOW calibration summary
    assert row["log_likelihood"] == pytest.approx(-9582.4 - repeats * math.log(7), abs=0.5)


def test_mbgnbd_through_the_pipeline_gives_the_published_cdnow_parameters_in_days(cdnow_views):
    p = _model(cdnow_views, "mbgnbd")["params"]
    assert (p["r"], p["a"], p["b"]) == pytest.approx((0.525, 0.891, 1.614), abs=3e-3)
    assert p["alpha"] == pytest.approx(6.183 * 7, abs=7 * 3e-3)


def test_gamma_gamma_through_the_pipeline_fits_the_repeat_buyers_spend(cdnow_views):
    p = _model(cdnow_views, "gamma_gamma")["params"]
    # the published fit (p 6.25, q 3.74, gamma 15.44) used the summary's rounded means
    assert (p["p"], p["q"], p["gamma"]) == pytest.approx((6.25, 3.74, 15.44), rel=0.03)


def test_every_buyer_gets_a_clv_row_from_the_fitted_model_with_a_consistent_interval(cdnow_views):
    rows = cdnow_views["clv"]
    assert len(rows) == 2357
    assert {row["model"] for row in rows} == {"bgnbd"}
    for row in rows:
        assert 0 <= row["predicted_clv_6m"] <= row["predicted_clv_12m"]
        assert row["clv_12m_low"] <= row["predicted_clv_12m"] <= row["clv_12m_high"] or (
            row["clv_12m_high"] < row["predicted_clv_12m"] and row["clv_12m_low"] == 0
        )
        assert 0 <= row["confidence"] <= 1
        expected_band = (
            "high" if row["confidence"] >= 0.8 else "medium" if row["confidence"] >= 0.5 else "low"
        )
        assert row["confidence_band"] == expected_band
        value = float(row["predicted_clv_12m"])
        assert row["value_segment"] == (
            "High" if value > 2000 else "Medium" if value > 500 else "Low"
        )
    assert cdnow_views["manifest"]["predictions_as_of"] == LAST_DAY.isoformat()


def test_more_repeat_purchases_predict_more_future_purchases(cdnow_views):
    by_days = {}
    for row in cdnow_views["clv"]:
        by_days.setdefault(row["purchase_days"], []).append(row["expected_purchases_12m"])
    means = [sum(v) / len(v) for _, v in sorted(by_days.items()) if len(v) >= 20]
    assert len(means) >= 4
    assert means == sorted(means)


def test_every_buyer_gets_a_churn_row_with_its_level_discount_and_reasons(cdnow_views):
    rows = cdnow_views["churn"]
    assert len(rows) == 2357
    bounds = [0.25, 0.5, 0.75]
    for row in rows:
        level = CHURN_LEVELS[sum(row["churn_probability"] >= b for b in bounds)]
        assert row["churn_level"] == level
        assert row["winback_discount_pct"] <= 30  # the default margin
        low, high = {"Low": (0, 0), "Medium": (10, 10), "High": (15, 20), "Critical": (25, 30)}[
            level
        ]
        assert low <= row["winback_discount_pct"] <= high
        assert ("days overdue" in row["risk_factors"]) == (row["days_overdue"] > 0)
        if row["expected_next_order"] is not None:
            assert row["expected_next_order"] >= LAST_DAY
    assert {row["model"] for row in rows} == {"mbgnbd"}
    # most of the sample stopped buying long before mid-1998
    levels = Counter(row["churn_level"] for row in rows)
    assert levels["Critical"] > levels["Low"]


def test_the_churn_timeline_counts_every_buyer_once_on_the_job_day(cdnow_views):
    rows = cdnow_views["churn_timeline"]
    assert [row["churn_level"] for row in rows] == sorted(CHURN_LEVELS)
    assert {row["day"] for row in rows} == {LAST_DAY}
    assert sum(row["customers"] for row in rows) == 2357


def test_the_backtest_compares_180_days_of_predictions_with_what_happened(cdnow_views):
    (row,) = cdnow_views["backtests"]
    assert row["cutoff"] == date(1998, 1, 1) and row["horizon_days"] == 180
    assert row["model"] == "bgnbd" and row["customers"] == 2357
    assert row["actual_purchases"] > 0
    assert abs(row["purchases_error_pct"]) < 35
    assert row["correlation"] > 0.4
    assert 0.6 <= row["interval_coverage"] <= 1.0


def test_a_new_order_moves_its_customers_prediction_with_the_current_parameters(tmp_path):
    orders = cdnow_orders()
    pipeline = ShopPipeline(tmp_path / "data", SHOP)
    try:
        pipeline.apply([rest_envelope(SHOP.shop_id, "order.imported", orders, NOW, "import")], NOW)
        pipeline.apply([dated_job_envelope(SHOP.shop_id, "clv", CALIBRATION_END, NOW)], NOW)
        pipeline.publish(NOW)
        views = pipeline.paths.views_dir
        before = {r["customer_key"]: r for r in read_view(views, "clv").to_pylist()}
        models = read_view(views, "prediction_models")
        body = woo_payloads.order(
            99_999, status="completed", customer_id=2, total="50.00", created="1998-06-30T12:00:00"
        )
        envelope = rest_envelope(SHOP.shop_id, "order.imported", [body], NOW, "import")
        pipeline.apply([envelope], NOW)
        pipeline.publish(NOW)
        after = {r["customer_key"]: r for r in read_view(views, "clv").to_pylist()}
        assert read_view(views, "prediction_models").equals(models)
    finally:
        pipeline.close()
    assert after["2"]["purchase_days"] == before["2"]["purchase_days"] + 1
    assert after["2"]["expected_purchases_12m"] > before["2"]["expected_purchases_12m"]
    assert after["2"]["historical_clv"] == before["2"]["historical_clv"] + 50
    assert after["3"] == before["3"]


def test_replay_rebuilds_the_fits_predictions_timeline_and_backtest_byte_for_byte(tmp_path):
    orders = cdnow_orders()
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        pipeline.apply([rest_envelope(SHOP.shop_id, "order.imported", orders, NOW, "import")], NOW)
        jobs = [
            dated_job_envelope(SHOP.shop_id, job, day, NOW)
            for job, day in (("clv", CALIBRATION_END), ("backtest", LAST_DAY), ("churn", LAST_DAY))
        ]
        pipeline.apply(jobs, NOW)
        pipeline.publish(NOW)
        views = pipeline.paths.views_dir
    finally:
        pipeline.close()
    names = ("prediction_models", "clv", "churn", "backtests", "churn_timeline")
    before = {name: read_view(views, name) for name in names}
    replay_shop(tmp_path, SHOP, FixedClock(NOW))
    after = {name: read_view(views, name) for name in names}
    assert all(after[name].equals(before[name]) for name in names)


def _fitted_shop(tmp_path, bodies: list[dict]) -> Path:
    """Import ``bodies``, run job.clv as of 2024-07-01, publish; the views folder."""
    now = datetime(2024, 7, 1, 12, tzinfo=UTC)
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        pipeline.apply([rest_envelope(SHOP.shop_id, "order.imported", bodies, now, "import")], now)
        pipeline.apply([dated_job_envelope(SHOP.shop_id, "clv", now.date(), now)], now)
        pipeline.publish(now)
        return pipeline.paths.views_dir
    finally:
        pipeline.close()


def test_a_shop_too_small_to_fit_gets_the_fallback_for_every_buyer_and_says_why(tmp_path):
    # 30 one-time buyers and 5 repeat buyers: too few repeat buyers for a fit
    bodies = [
        woo_payloads.order(n, status="completed", customer_id=n, total="40.00",
                           created=f"2024-0{1 + n % 5}-1{n % 9}T10:00:00")
        for n in range(1, 31)
    ] + [
        woo_payloads.order(100 + n, status="completed", customer_id=n, total="60.00",
                           created="2024-06-20T10:00:00")
        for n in range(1, 6)
    ]  # fmt: skip
    views = _fitted_shop(tmp_path, bodies)
    models = read_view(views, "prediction_models").to_pylist()
    assert {m["model"]: m["status"] for m in models} == dict.fromkeys(
        ("bgnbd", "gamma_gamma", "mbgnbd"), "failed"
    )
    assert all("too few repeat buyers to fit (5 < 20)" in m["message"] for m in models)
    clv = read_view(views, "clv").to_pylist()
    churn = read_view(views, "churn").to_pylist()
    assert len(clv) == len(churn) == 30
    assert {row["model"] for row in clv} == {"fallback"}
    assert {row["model"] for row in churn} == {"fallback"}
    assert all(row["confidence"] <= 0.3 and row["confidence_band"] == "low" for row in clv)
    repeat = next(row for row in clv if row["customer_key"] == "1")
    assert repeat["purchase_days"] == 2 and repeat["predicted_clv_12m"] > 0


def test_a_backtest_before_any_order_records_why_and_the_shop_keeps_going(tmp_path):
    now = datetime(2024, 7, 1, 12, tzinfo=UTC)
    late = woo_payloads.order(1, status="completed", customer_id=1, created="2024-06-20T10:00:00")
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        jobs = [
            dated_job_envelope(SHOP.shop_id, job, date(2024, 7, 1), now)
            for job in ("backtest", "churn")
        ]
        pipeline.apply(
            [*jobs, rest_envelope(SHOP.shop_id, "order.imported", [late], now, "import")], now
        )
        pipeline.publish(now)
        views = pipeline.paths.views_dir
    finally:
        pipeline.close()
    (row,) = read_view(views, "backtests").to_pylist()
    assert row["customers"] == 0 and "no customer had a sale order" in row["message"]
    assert read_view(views, "clv").num_rows == 1
    timeline = read_view(views, "churn_timeline").to_pylist()
    # the job recorded no buyer yet, but the prediction day shows the churn view as it is now
    assert sum(r["customers"] for r in timeline) == 1 and len(timeline) == 4


def test_a_fit_without_an_interior_maximum_is_reported_and_the_shop_uses_the_fallback(tmp_path):
    # 32 customers who buy every 10 days up to today: nobody has dropped out, so the
    # likelihood keeps growing as the dropout probability runs off to zero
    bodies, order_id = [], 0
    for customer in range(1, 33):
        repeats = 3 + customer % 4
        for k in range(repeats + 1):
            order_id += 1
            day = date(2024, 7, 1) - timedelta(days=10 * (repeats - k))
            bodies.append(
                woo_payloads.order(order_id, status="completed", customer_id=customer,
                                   total="25.00", created=f"{day.isoformat()}T10:00:00")
            )  # fmt: skip
    views = _fitted_shop(tmp_path, bodies)
    models = {m["model"]: m for m in read_view(views, "prediction_models").to_pylist()}
    for name in ("bgnbd", "mbgnbd"):
        assert models[name]["status"] == "failed" and not models[name]["converged"]
        assert "no interior maximum" in models[name]["message"]
    clv = read_view(views, "clv").to_pylist()
    assert len(clv) == 32 and {row["model"] for row in clv} == {"fallback"}
