"""Alerts raised by the real pipeline (raw log, DuckDB state, published views) from
WooCommerce-shaped payloads: each type fires on its condition and stays quiet just below
its threshold, a condition that stays true is one alert per cool-down, a replay restores
the same alerts and raises none, an acknowledgement reaches the view.

Every expected figure is worked out here from the payloads this file builds.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from processors.pipeline import ShopPipeline
from processors.replay import replay_shop
from schemas.alerts import AlertSettings
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import (
    acknowledge_envelope,
    dated_job_envelope,
    erase_envelope,
    health_envelope,
)
from schemas.jsoncodec import dumps_text
from schemas.shop import PredictionSettings, ShopConfig
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.demo_prediction_shop import JOBS as DEMO_JOBS
from tests.integration.demo_prediction_shop import NOW as DEMO_NOW
from tests.integration.demo_prediction_shop import demo_envelopes, publish_demo_shop
from tests.integration.erasure_support import files_mentioning
from tests.integration.live_publish import publish_live

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
TODAY = date(2024, 6, 1)
SHOP = ShopConfig(shop_id="shp_alerts", name="Alert Shop", url="https://alerts.example")
LOW_BAR = PredictionSettings(high_value=1.0, medium_value=0.5)  # every buyer is High value


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S")


def webhook(topic: str, body: dict, received: datetime = NOW) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope(SHOP.shop_id, topic, resource, event, body["id"], dumps_text(body), received)


def order(
    order_id: int,
    at: datetime,
    customer: int = 7,
    product: int = 93,
    quantity: int = 1,
    price: int = 10,
    status: str = "completed",
    paid: datetime | None = None,
) -> Envelope:
    body = woo.order(
        order_id,
        status=status,
        customer_id=customer,
        email=f"c{customer}@example.com",
        created=stamp(at),
        paid=stamp(paid or at),
        completed=stamp(at) if status == "completed" else None,
        items=[{"product_id": product, "quantity": quantity, "total": f"{quantity * price}.00"}],
    )
    return webhook("order.created", body)  # received now: imported history, not lag


class Shop:
    """A pipeline on ``tmp_path`` publishing as the live processor does (alerts on)."""

    def __init__(self, tmp_path, shop: ShopConfig = SHOP) -> None:
        self.tmp_path, self.shop = tmp_path, shop
        self.pipeline = ShopPipeline(tmp_path, shop)
        self.closed = False

    def feed(self, envelopes: list[Envelope], at: datetime = NOW) -> list[dict]:
        _, failures = self.pipeline.apply(envelopes, at)
        assert failures == {}, failures
        publish_live(self.pipeline, at)
        return self.alerts()

    def alerts(self) -> list[dict]:
        table = read_view(self.pipeline.paths.views_dir, "alerts")
        return [] if table is None else table.to_pylist()

    def of(self, alert_type: str) -> list[dict]:
        return [a for a in self.alerts() if a["type"] == alert_type]

    def close(self) -> None:
        if not self.closed:
            self.pipeline.close()
            self.closed = True


@pytest.fixture
def make_shop(tmp_path):
    made: list[Shop] = []

    def make(shop: ShopConfig = SHOP, name: str = "a") -> Shop:
        made.append(Shop(tmp_path / name, shop))
        return made[-1]

    yield make
    for shop in made:
        shop.close()


def _history(customers: range = range(1, 9)) -> list[Envelope]:
    """A year of repeat orders of a few customers (enough for the CLV fit or its fallback)."""
    envelopes, order_id = [], 100
    for customer in customers:
        for n in range(customer % 4 + 2):
            at = NOW - timedelta(days=300 - 40 * n - customer)
            envelopes.append(order(order_id, at, customer, price=20 + customer))
            order_id += 1
    return envelopes


def _vip_shop(make_shop, predictions: PredictionSettings, name: str = "a") -> Shop:
    shop = make_shop(replace(SHOP, predictions=predictions), name)
    history = [woo.product(93, price="10.00")]
    shop.feed([webhook("product.created", history[0]), *_history()])
    shop.feed([dated_job_envelope(SHOP.shop_id, "clv", TODAY, NOW)])
    return shop


def test_a_vip_order_alerts_once_per_cool_down_however_many_orders_follow(make_shop):
    shop = _vip_shop(make_shop, LOW_BAR)
    assert shop.of("vip_activity") == []  # history raises nothing: not recent
    first = shop.feed([order(5000, NOW - timedelta(minutes=5))])
    (vip,) = [a for a in first if a["type"] == "vip_activity"]
    assert (vip["subject_kind"], vip["subject_id"], vip["severity"]) == ("customer", "7", "info")
    assert vip["threshold"] == 1.0 and vip["measured"] > 1.0
    assert "against a threshold of" in vip["why"]
    for batch in range(3):  # a flood within the 24-hour cool-down
        at = NOW + timedelta(hours=batch + 1)
        shop.feed([order(6000 + batch * 100 + n, at, quantity=1) for n in range(40)], at)
    assert len(shop.of("vip_activity")) == 1
    later = NOW + timedelta(hours=25)
    shop.feed([order(7000, later)], later)
    assert len(shop.of("vip_activity")) == 2  # the cool-down is over


def _scored_vip_shop(make_shop) -> Shop:
    """A VIP shop after a rescoring: its publishes refresh what changed (a whole build, as
    before any rescoring, checks the alert rules at once)."""
    shop = _vip_shop(make_shop, LOW_BAR)
    shop.feed([dated_job_envelope(SHOP.shop_id, "rfm", TODAY, NOW)])
    return shop


def test_publishes_between_two_alert_checks_leave_their_changes_to_the_next_one(make_shop):
    shop = _scored_vip_shop(make_shop)  # checked at its publishes so far
    pipeline = shop.pipeline
    pipeline.alert_every = 3600.0  # the next check is an hour away
    pipeline.apply([order(5000, NOW - timedelta(minutes=5))], NOW)
    pipeline.publish(NOW, alerts=True)
    assert shop.of("vip_activity") == [] and pipeline.follow_up  # a check is owed
    pipeline.publish(NOW, alerts=True)  # nothing new: still owed
    assert shop.of("vip_activity") == [] and pipeline.follow_up
    pipeline.alert_every = 0.0  # the hour is over
    publish_live(pipeline, NOW)
    (vip,) = shop.of("vip_activity")
    assert vip["subject_id"] == "7" and not pipeline.follow_up


def test_changes_left_to_the_next_alert_check_survive_a_restart(make_shop, tmp_path):
    shop = _scored_vip_shop(make_shop)
    shop.pipeline.alert_every = 3600.0
    shop.pipeline.apply([order(5000, NOW - timedelta(minutes=5))], NOW)
    shop.pipeline.publish(NOW, alerts=True)
    assert shop.of("vip_activity") == []
    shop.close()  # the processor stops (or dies) before the check
    restarted = ShopPipeline(tmp_path / "a", shop.shop, alert_every=3600.0)
    try:
        publish_live(restarted, NOW)  # a new processor checks at its first publish
        vips = [a for a in read_view(restarted.paths.views_dir, "alerts").to_pylist()
                if a["type"] == "vip_activity"]  # fmt: skip
    finally:
        restarted.close()
    assert [a["subject_id"] for a in vips] == ["7"]


def test_a_due_scheduled_check_runs_at_once_whatever_the_interval(make_shop):
    shop = _sales_shop(make_shop, last_week=6, week_before=10)  # -40%
    shop.pipeline.alert_every = 3600.0
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
    assert len(shop.of("sales_drop")) == 1


def test_an_order_of_a_customer_below_the_high_value_bar_raises_no_vip_alert(make_shop):
    shop = _vip_shop(make_shop, PredictionSettings(high_value=1e9, medium_value=1e8))
    shop.feed([order(5000, NOW - timedelta(minutes=5))])
    assert shop.of("vip_activity") == []


def _sales_shop(make_shop, last_week: int, week_before: int, name: str = "a") -> Shop:
    """Orders of 100.00 each: ``week_before`` a day from 14 to 8 days ago, ``last_week`` a
    day from 7 to 1 days ago (full days before TODAY)."""
    shop = make_shop(SHOP, name)
    envelopes, order_id = [], 1
    for back in range(1, 15):
        per_day = last_week if back <= 7 else week_before
        for n in range(per_day):
            at = datetime.combine(TODAY - timedelta(days=back), datetime.min.time(), UTC)
            envelopes.append(order(order_id, at + timedelta(hours=10 + n), customer=order_id))
            order_id += 1
    shop.feed(envelopes)
    return shop


def test_a_sales_drop_of_more_than_30_percent_is_one_critical_alert(make_shop):
    shop = _sales_shop(make_shop, last_week=6, week_before=10)  # -40%
    assert shop.of("sales_drop") == []  # only job.alerts looks
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
    (drop,) = shop.of("sales_drop")
    assert drop["severity"] == "critical" and drop["measured"] == pytest.approx(40.0)
    assert drop["threshold"] == 30.0 and drop["subject_kind"] == "shop"
    later = NOW + timedelta(hours=1)
    then = later + timedelta(minutes=1)
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, then)], then)
    assert len(shop.of("sales_drop")) == 1  # still true: the cool-down holds it


def test_a_sales_drop_just_under_the_threshold_stays_quiet(make_shop):
    shop = _sales_shop(make_shop, last_week=8, week_before=11)  # -27.3%
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
    assert shop.of("sales_drop") == []


def test_a_paid_order_not_completed_within_the_sla_alerts_once(make_shop):
    shop = make_shop()
    late = order(1, NOW - timedelta(hours=50), status="processing")
    on_time = order(2, NOW - timedelta(hours=47), status="processing")
    done = order(3, NOW - timedelta(hours=60), status="completed")
    shop.feed([late, on_time, done])
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
    (delayed,) = shop.of("fulfillment_delayed")
    assert (delayed["subject_kind"], delayed["subject_id"]) == ("order", "1")
    assert delayed["severity"] == "warning" and delayed["measured"] == pytest.approx(50.0)
    later = NOW + timedelta(hours=2)
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, later)], later)
    ids = sorted(a["subject_id"] for a in shop.of("fulfillment_delayed"))
    assert ids == ["1", "2"]  # order 2 is now 49 hours old; order 1 alerted only once


def _product_shop(make_shop, stock: int, name: str = "a") -> Shop:
    """Product 93 sells 2 a day on each of the 30 days up to today (velocity 2.0), product
    60 one every 3 days."""
    shop = make_shop(SHOP, name)
    envelopes = [
        webhook("product.created", woo.product(93, price="10.00", stock_quantity=stock)),
        webhook("product.created", woo.product(60, price="25.00", stock_quantity=500)),
    ]
    for back in range(30):
        at = NOW - timedelta(days=back, hours=1)
        envelopes.append(order(1000 + back, at, customer=back, quantity=2))
        if back % 3 == 0:
            envelopes.append(order(2000 + back, at, customer=back, product=60, price=25))
    shop.feed(envelopes)
    shop.feed([dated_job_envelope(SHOP.shop_id, "products", TODAY, NOW)])
    return shop


def test_a_best_seller_with_less_cover_than_the_lead_time_alerts(make_shop):
    shop = _product_shop(make_shop, stock=500)
    assert shop.of("stock_low") == []
    later = NOW + timedelta(minutes=5)
    update = woo.product(93, price="10.00", stock_quantity=12, modified=stamp(later))
    shop.feed([webhook("product.updated", update, later)], later)
    (low,) = shop.of("stock_low")
    assert (low["subject_id"], low["severity"]) == ("93", "warning")
    assert low["measured"] == pytest.approx(12 / 2.0) and low["threshold"] == 7.0  # 6 days


def test_cover_of_exactly_the_lead_time_stays_quiet(make_shop):
    shop = _product_shop(make_shop, stock=500)
    later = NOW + timedelta(minutes=5)
    update = woo.product(93, price="10.00", stock_quantity=14, modified=stamp(later))
    shop.feed([webhook("product.updated", update, later)], later)  # 7.0 days: not under 7
    assert shop.of("stock_low") == []


def _trend_shop(make_shop, before: int, last: int, name: str = "a") -> Shop:
    shop = make_shop(SHOP, name)
    envelopes = [webhook("product.created", woo.product(93, price="10.00"))]
    for back in range(1, 15):
        at = NOW - timedelta(days=back, hours=1)
        units = last if back <= 7 else before
        envelopes.append(order(3000 + back, at, customer=back, quantity=units))
    shop.feed(envelopes)
    shop.feed([dated_job_envelope(SHOP.shop_id, "products", TODAY, NOW)])
    return shop


def test_a_product_selling_half_as_much_again_as_the_week_before_is_trending(make_shop):
    shop = _trend_shop(make_shop, before=2, last=3)  # 21 units against 14: +50%
    (trend,) = shop.of("trending_product")
    assert trend["subject_id"] == "93" and trend["measured"] == pytest.approx(50.0)


def test_a_rise_under_50_percent_is_not_trending(make_shop):
    shop = _trend_shop(make_shop, before=3, last=4)  # 28 against 21: +33%
    assert shop.of("trending_product") == []


def _priced_orders() -> list[Envelope]:
    """Product 93 at five prices over 60 days, demand falling with price (elastic)."""
    envelopes = []
    for back in range(60):
        price = (8, 9, 10, 11, 12)[back % 5]
        quantity = max(1, round(2000 * price**-1.5))
        at = NOW - timedelta(days=back + 1)
        envelopes.append(order(4000 + back, at, customer=back, quantity=quantity, price=price))
    return envelopes


@pytest.mark.parametrize(("min_gap", "fires"), [(10, True), (20, False)])
def test_an_optimal_price_far_from_the_price_is_a_pricing_opportunity(make_shop, min_gap, fires):
    settings = AlertSettings(overrides=(("pricing_opportunity", (("min_gap_pct", min_gap),)),))
    shop = make_shop(replace(SHOP, alerts=settings))
    shop.feed([webhook("product.created", woo.product(93, price="10.00")), *_priced_orders()])
    shop.feed([dated_job_envelope(SHOP.shop_id, "products", TODAY, NOW)])
    found = shop.of("pricing_opportunity")
    # elastic demand: -20% of the price, a gap of exactly 20%, which must exceed min_gap
    assert [(a["subject_id"], a["measured"]) for a in found] == ([("93", 20.0)] if fires else [])


def test_a_replay_restores_the_same_alerts_and_raises_none_of_its_own(make_shop):
    shop = _sales_shop(make_shop, last_week=6, week_before=10)
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
    shop.feed([order(9000, NOW, status="processing", paid=NOW - timedelta(hours=72))])
    before = sorted(shop.alerts(), key=lambda a: a["alert_id"])
    assert {a["type"] for a in before} == {"sales_drop", "fulfillment_delayed"}
    shop.close()
    replay_shop(shop.tmp_path, SHOP, FixedClock(NOW + timedelta(days=3)))
    reopened = Shop(shop.tmp_path, SHOP)
    try:
        assert sorted(reopened.alerts(), key=lambda a: a["alert_id"]) == before
    finally:
        reopened.close()


def test_an_acknowledgement_reaches_the_view(make_shop):
    shop = _sales_shop(make_shop, last_week=6, week_before=10)
    (drop,) = [
        a
        for a in shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, NOW)])
        if a["type"] == "sales_drop"
    ]
    assert not drop["acknowledged"]
    later = NOW + timedelta(minutes=1)
    shop.feed([acknowledge_envelope(SHOP.shop_id, drop["alert_id"], later)], later)
    (acked,) = shop.of("sales_drop")
    assert acked["acknowledged"] and acked["acknowledged_at"] == later


@pytest.mark.parametrize("levels", ["High,Critical", "Critical"])
def test_valuable_customers_at_high_churn_risk_alert_after_the_churn_job(tmp_path, levels):
    """The demo shop (a year of 400 customers, fitted models; High value above 100 PLN of
    predicted 12-month value): after a churn job every High-value customer whose churn level
    is one of ``levels`` alerts, and nobody else (13 at High and 1 at Critical)."""
    settings = AlertSettings(overrides=(("churn_risk", (("levels", levels),)),))
    predictions = PredictionSettings(high_value=100.0, medium_value=50.0)
    shop = ShopConfig(
        "shp_demo", "Demo", "https://demo.example", predictions=predictions, alerts=settings
    )
    publish_demo_shop(tmp_path, shop)
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        later = DEMO_NOW + timedelta(minutes=1)
        pipeline.apply([dated_job_envelope(shop.shop_id, "churn", DEMO_NOW.date(), later)], later)
        publish_live(pipeline, later)
        churn = read_view(pipeline.paths.views_dir, "churn").to_pylist()
        alerts = read_view(pipeline.paths.views_dir, "alerts").to_pylist()
    finally:
        pipeline.close()
    wanted = levels.split(",")
    expected = {
        row["customer_key"]
        for row in churn
        if row["value_segment"] == "High" and row["churn_level"] in wanted
    }
    found = [a for a in alerts if a["type"] == "churn_risk"]
    assert expected and {a["subject_id"] for a in found} == expected
    assert len(found) == len(expected)
    assert all(a["severity"] == "critical" for a in found)
    assert min(a["measured"] for a in found) >= (75.0 if levels == "Critical" else 50.0)


def test_a_change_to_a_customer_at_risk_raises_no_churn_alert_until_churn_is_predicted_again(
    tmp_path,
):
    """A customer change (here: their profile, as a history arriving by webhook sends it) is
    no news about their churn; the next whole prediction (the churn job) is, and alerts."""
    predictions = PredictionSettings(high_value=100.0, medium_value=50.0)
    shop = ShopConfig("shp_demo", "Demo", "https://demo.example", predictions=predictions)
    publish_demo_shop(tmp_path, shop)
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        churn = read_view(pipeline.paths.views_dir, "churn").to_pylist()
        customers = read_view(pipeline.paths.views_dir, "customers").to_pylist()
        emails = {row["customer_key"]: row["email"] for row in customers}
        at_risk = sorted(
            int(row["customer_key"])
            for row in churn
            if row["value_segment"] == "High"
            and row["churn_level"] in ("High", "Critical")
            and row["customer_key"].isdigit()
        )
        assert at_risk
        later = DEMO_NOW + timedelta(minutes=1)
        changes = []
        for customer_id in at_risk:
            body = woo.customer(customer_id, email=emails[str(customer_id)])
            body["date_modified_gmt"] = later.strftime("%Y-%m-%dT%H:%M:%S")
            changes.append(
                Envelope(
                    shop.shop_id,
                    "customer.updated",
                    "customer",
                    "updated",
                    customer_id,
                    dumps_text(body),
                    later,
                )  # fmt: skip
            )
        pipeline.apply(changes, later)
        publish_live(pipeline, later)
        after_changes = read_view(pipeline.paths.views_dir, "alerts")
        job = dated_job_envelope(shop.shop_id, "churn", DEMO_NOW.date(), later)
        pipeline.apply([job], later)
        publish_live(pipeline, later)
        after_job = read_view(pipeline.paths.views_dir, "alerts").to_pylist()
    finally:
        pipeline.close()
    raised = [] if after_changes is None else after_changes.to_pylist()
    assert [a for a in raised if a["type"] == "churn_risk"] == []
    alerted = {a["subject_id"] for a in after_job if a["type"] == "churn_risk"}
    assert {str(customer_id) for customer_id in at_risk} <= alerted


def test_a_history_arriving_before_any_rescoring_raises_churn_alerts_only_after_the_jobs(
    tmp_path,
):
    """The demo's way in: its history by webhook, published live in batches before any
    rescoring (every publish builds the views whole, each buyer seen half-way), then the
    analytics jobs. Only the jobs' predictions alert: the High-value customers they put at
    High or Critical churn, and no one else."""
    predictions = PredictionSettings(high_value=100.0, medium_value=50.0)
    shop = ShopConfig("shp_demo", "Demo", "https://demo.example", predictions=predictions)
    history = demo_envelopes(shop.shop_id)
    pipeline = ShopPipeline(tmp_path, shop)
    try:
        for start in range(0, len(history), 400):
            _, failures = pipeline.apply(history[start : start + 400], DEMO_NOW)
            assert failures == {}
            publish_live(pipeline, DEMO_NOW)
        during = read_view(pipeline.paths.views_dir, "alerts")
        jobs = [
            dated_job_envelope(shop.shop_id, job, DEMO_NOW.date(), DEMO_NOW) for job in DEMO_JOBS
        ]
        pipeline.apply(jobs, DEMO_NOW)
        publish_live(pipeline, DEMO_NOW)
        churn = read_view(pipeline.paths.views_dir, "churn").to_pylist()
        after = read_view(pipeline.paths.views_dir, "alerts").to_pylist()
    finally:
        pipeline.close()
    early = [] if during is None else during.to_pylist()
    assert [a for a in early if a["type"] == "churn_risk"] == []
    expected = {
        row["customer_key"]
        for row in churn
        if row["value_segment"] == "High" and row["churn_level"] in ("High", "Critical")
    }
    assert expected
    assert {a["subject_id"] for a in after if a["type"] == "churn_risk"} == expected


def test_erasing_a_customer_removes_the_alerts_about_them_and_their_orders(make_shop, tmp_path):
    shop = _vip_shop(make_shop, LOW_BAR)
    paid = NOW - timedelta(hours=72)
    shop.feed([order(5000, NOW - timedelta(minutes=5), status="processing", paid=paid)])
    about = {(a["type"], a["subject_id"]) for a in shop.alerts()}
    assert {("vip_activity", "7"), ("fulfillment_delayed", "5000")} <= about
    later = NOW + timedelta(minutes=5)
    shop.feed([erase_envelope(SHOP.shop_id, "7", later)], later)
    left = {(a["type"], a["subject_id"]) for a in shop.alerts()}
    assert not {s for _, s in left} & {"7", "5000"}
    shop.close()
    assert files_mentioning(tmp_path / "a", "c7@example.com") == []


@pytest.mark.parametrize(
    ("waited", "fires"), [(timedelta(minutes=6), True), (timedelta(minutes=4), False)]
)
def test_events_that_waited_past_the_lag_limit_are_a_pipeline_health_alert(
    make_shop, waited, fires
):
    shop = make_shop()
    shop.feed([order(1, NOW - timedelta(days=3), customer=1)])
    late = order(2, NOW - timedelta(days=2), customer=2)
    shop.feed([msgspec.structs.replace(late, received_at=NOW - waited)])  # applied at NOW
    lag = [a for a in shop.of("pipeline_health") if a["dedup_key"] == "lag"]
    assert [(a["measured"], a["threshold"]) for a in lag] == ([(6.0, 5.0)] if fires else [])


def test_an_event_the_processor_could_not_handle_is_a_pipeline_health_alert(make_shop):
    shop = make_shop()
    broken = webhook("order.created", {"id": 77, "line_items": "not a list"})
    _, failures = shop.pipeline.apply([broken, order(1, NOW - timedelta(days=3))], NOW)
    assert list(failures) == [0]
    publish_live(shop.pipeline, NOW)
    (health,) = shop.of("pipeline_health")
    assert (health["dedup_key"], health["measured"]) == ("rejected", 1.0)
    later = NOW + timedelta(minutes=1)
    shop.feed([order(2, NOW - timedelta(days=2))], later)  # nothing rejected since
    assert len(shop.of("pipeline_health")) == 1


def test_a_flood_of_10000_vip_orders_is_one_alert_per_cool_down(make_shop):
    shop = _vip_shop(make_shop, LOW_BAR)
    for batch in range(10):  # 1,000 orders a publish over 10 hours, then 10 more after a day
        at = NOW + timedelta(hours=batch)
        shop.feed([order(10_000 + batch * 1000 + n, at) for n in range(1000)], at)
    assert len(shop.of("vip_activity")) == 1
    later = NOW + timedelta(hours=30)
    shop.feed([order(30_000 + n, later) for n in range(10)], later)
    assert len(shop.of("vip_activity")) == 2


def test_what_the_sync_and_the_webhook_check_noted_alerts_once_and_replays_the_same(make_shop):
    shop = make_shop()
    shop.feed([order(1, NOW - timedelta(days=3))])
    notes = [
        health_envelope(SHOP.shop_id, "webhook_disabled", 1, "order.updated (disabled)", NOW),
        health_envelope(SHOP.shop_id, "gaps_repaired", 4, "3 orders, 1 refunds", NOW),
    ]
    shop.feed(notes)
    found = {a["dedup_key"]: a for a in shop.of("pipeline_health")}
    assert set(found) == {"webhook_disabled", "gaps_repaired"}
    assert "order.updated (disabled)" in found["webhook_disabled"]["title"]
    assert found["gaps_repaired"]["measured"] == 4.0
    later = NOW + timedelta(minutes=5)
    shop.feed([order(2, NOW - timedelta(days=2))], later)  # checked already: nothing new
    assert len(shop.of("pipeline_health")) == 2
    before = sorted(shop.alerts(), key=lambda a: a["alert_id"])
    shop.close()
    replay_shop(shop.tmp_path, SHOP, FixedClock(NOW + timedelta(hours=1)))
    again = Shop(shop.tmp_path, SHOP)
    try:
        assert sorted(again.alerts(), key=lambda a: a["alert_id"]) == before
        at = NOW + timedelta(hours=2)
        fresh = msgspec.structs.replace(order(3, NOW - timedelta(days=1)), received_at=at)
        again.feed([fresh], at)  # a live publish after the replay
        assert len(again.of("pipeline_health")) == 2  # the notes were checked before
    finally:
        again.close()


def test_job_fulfillment_checks_the_overdue_orders_and_not_the_sales_drop(make_shop):
    shop = _sales_shop(make_shop, last_week=6, week_before=10)  # a sales drop is there too
    shop.feed([order(9000, NOW, status="processing", paid=NOW - timedelta(hours=47))])
    assert shop.of("fulfillment_delayed") == []  # 47 hours: within the SLA
    later = NOW + timedelta(hours=2)
    shop.feed([dated_job_envelope(SHOP.shop_id, "fulfillment", TODAY, later)], later)
    assert [a["subject_id"] for a in shop.of("fulfillment_delayed")] == ["9000"]
    assert shop.of("sales_drop") == []  # job.fulfillment checks only the orders
    then = later + timedelta(minutes=1)
    shop.feed([dated_job_envelope(SHOP.shop_id, "alerts", TODAY, then)], then)
    assert len(shop.of("sales_drop")) == 1
