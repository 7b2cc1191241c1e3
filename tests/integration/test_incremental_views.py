"""The views a publish refreshes from what changed equal the views built whole from the same
state, after every publish of any stream: orders and customers sharing addresses (guests who
register, customers who change address), duplicates, stale and reordered deliveries, trash,
refunds, products and their variations, rescoring, prediction and products jobs, an
erasure. Real pipeline, DuckDB and Parquet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from processors.pipeline import ShopPipeline
from processors.projections import engine
from processors.projections import sql as projection_sql
from processors.projections.engine import ViewEngine
from processors.replay import replay_shop
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.jobs import dated_job_envelope, erase_envelope
from schemas.shop import ShopConfig
from schemas.views import VIEW_KEYS
from store import state_rows
from store.layout import shop_paths
from store.view_files import live_files, read_manifest
from tests import woo_payloads as woo
from tests.views_builder import read_views

SHOP = ShopConfig("shp_incr", "Incremental", "https://incr.example", timezone="Europe/Warsaw")
NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
DAY0 = date(2024, 1, 1)
EMAILS = [f"p{n}@example.com" for n in range(5)]
STATUSES = ["processing", "completed", "on-hold", "refunded", "cancelled", "pending"]


def webhook(topic: str, body: dict, received: datetime) -> Envelope:
    resource, _, event = topic.partition(".")
    text = php_json_encode(body).decode()
    return Envelope(SHOP.shop_id, topic, resource, event, body.get("id"), text, received)


def stamp(day: int, hour: int = 10) -> str:
    return (datetime(2024, 1, 1, hour, tzinfo=UTC) + timedelta(days=day)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )


@st.composite
def order_event(draw: st.DrawFn) -> Envelope:
    order_id = draw(st.integers(1, 25))
    day = draw(st.integers(0, 150))
    items = draw(st.lists(line_item(), min_size=1, max_size=2))
    paid = sum(int(item["total"].split(".")[0]) for item in items)
    body = woo.order(
        order_id,
        status=draw(st.sampled_from(STATUSES)),
        customer_id=draw(st.sampled_from([0, 0, 1, 2, 3, 4])),
        email=draw(st.sampled_from(EMAILS)),
        total=f"{paid + draw(st.sampled_from([0, 0, 7]))}.00",
        created=stamp(order_id),
        modified=stamp(order_id + day, draw(st.integers(0, 23))),
        refunds=draw(st.sampled_from([(), ("3.00",)])),
        items=items,
    )
    body["coupon_lines"] = draw(st.sampled_from(COUPON_LINES))
    return webhook("order.updated", body, NOW)


COUPON_LINES = [
    [],
    [],
    [{"id": 1, "code": "spring", "discount": "2.00", "discount_tax": "0.00"}],
    [
        {"id": 1, "code": "spring", "discount": "1.50", "discount_tax": "0.00"},
        {"id": 2, "code": "vip", "discount": "3.00", "discount_tax": "0.69"},
    ],
]


# (product_id, variation_id): simple products 93 and 60, variations 51 and 52 of 50
SOLD = [(93, 0), (93, 0), (60, 0), (50, 51), (50, 52)]


@st.composite
def line_item(draw: st.DrawFn) -> dict:
    product_id, variation_id = draw(st.sampled_from(SOLD))
    quantity = draw(st.integers(1, 3))
    price = draw(st.sampled_from([8, 10, 12]))
    return {
        "product_id": product_id,
        "variation_id": variation_id,
        "quantity": quantity,
        "total": f"{price * quantity}.00",
    }


@st.composite
def product_event(draw: st.DrawFn) -> Envelope:
    product_id = draw(st.sampled_from([93, 60, 50, 51, 52]))
    kind = {50: "variable", 51: "variation", 52: "variation"}.get(product_id, "simple")
    body = woo.product(
        product_id,
        price=f"{draw(st.sampled_from([8, 10, 12]))}.00",
        type=kind,
        parent_id=50 if kind == "variation" else 0,
        modified=stamp(draw(st.integers(0, 150))),
        stock_quantity=draw(st.sampled_from([None, 0, 5, 40])),
        cost=draw(st.sampled_from([None, "4.00"])),
    )
    return webhook("product.updated", body, NOW)


@st.composite
def customer_event(draw: st.DrawFn) -> Envelope:
    customer_id = draw(st.integers(1, 4))
    body = woo.customer(customer_id, email=draw(st.sampled_from(EMAILS)))
    body["date_modified_gmt"] = stamp(draw(st.integers(0, 150)))
    return webhook("customer.updated", body, NOW)


@st.composite
def trash_event(draw: st.DrawFn) -> Envelope:
    resource = draw(st.sampled_from(["order", "customer"]))
    rid = draw(st.integers(1, 25 if resource == "order" else 4))
    at = NOW + timedelta(minutes=draw(st.integers(0, 600)))
    return Envelope(
        SHOP.shop_id, f"{resource}.deleted", resource, "deleted", rid, f'{{"id":{rid}}}', at
    )


@st.composite
def job_event(draw: st.DrawFn) -> Envelope:
    job = draw(st.sampled_from(["rfm", "rfm", "clv", "churn", "backtest", "products"]))
    day = DAY0 + timedelta(days=draw(st.integers(20, 200)))
    return dated_job_envelope(SHOP.shop_id, job, day, NOW)


@st.composite
def erasure_event(draw: st.DrawFn) -> Envelope:
    key = draw(st.sampled_from(["1", "2", "guest-order-3"]))
    return erase_envelope(SHOP.shop_id, key, NOW)


event = st.one_of(
    order_event(),
    order_event(),
    order_event(),
    customer_event(),
    product_event(),
    trash_event(),
    job_event(),
)
batch = st.lists(event, min_size=1, max_size=8)


def rows(table: pa.Table | None, name: str) -> list[dict]:
    if table is None:
        return []
    keys = [(column, "ascending") for column in VIEW_KEYS[name]]
    return table.sort_by(keys).to_pylist()


def assert_published_equals_whole(pipeline: ShopPipeline) -> None:
    published = read_views(pipeline.paths.views_dir)
    whole = ViewEngine(pipeline.state.connection, SHOP).full_tables()
    for name, table in whole.items():
        assert rows(published.get(name), name) == rows(table, name), name
    counted = live_files(read_manifest(pipeline.paths.views_dir))
    for name, table in published.items():  # the manifest's counts, against the files' rows
        assert counted[name].rows == table.num_rows, name


def _each_publish_equals_whole(folder, batches, erase_at, erasure) -> None:
    pipeline = ShopPipeline(folder, SHOP)
    try:
        first_rescoring = [dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 3, 1), NOW)]
        for index, envelopes in enumerate([first_rescoring, *batches]):
            if index == erase_at:
                envelopes = [*envelopes, erasure]
            _, failures = pipeline.apply(envelopes, NOW)
            assert failures == {}
            pipeline.publish(NOW)
            assert_published_equals_whole(pipeline)
    finally:
        pipeline.close()


PROPERTY = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CASES = given(
    batches=st.lists(batch, min_size=2, max_size=5),
    erase_at=st.one_of(st.none(), st.integers(0, 6)),
    erasure=erasure_event(),
)


@PROPERTY
@CASES
def test_every_publish_equals_the_views_built_whole(tmp_path_factory, batches, erase_at, erasure):
    _each_publish_equals_whole(tmp_path_factory.mktemp("shop"), batches, erase_at, erasure)


@PROPERTY
@CASES
def test_the_same_holds_when_every_id_list_is_a_join(
    tmp_path_factory, monkeypatch, batches, erase_at, erasure
):
    """A backlog's long id lists are semi-joins, a live batch's short ones index lookups
    (``JOIN_FROM`` in processors/projections/sql.py and store/state_rows.py): here every
    list is a join, so the joins give the same views as well."""
    monkeypatch.setattr(projection_sql, "JOIN_FROM", 1)
    monkeypatch.setattr(state_rows, "JOIN_FROM", 1)
    _each_publish_equals_whole(tmp_path_factory.mktemp("shop"), batches, erase_at, erasure)


def test_a_publish_after_a_rescoring_refreshes_only_the_changed_customers(tmp_path):
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        orders = [
            webhook("order.created", woo.order(n, email=EMAILS[n % 5], created=stamp(n)), NOW)
            for n in range(1, 11)
        ]
        pipeline.apply(
            [*orders, dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 2, 1), NOW)], NOW
        )
        pipeline.publish(NOW)
        more = woo.order(11, email=EMAILS[1], created=stamp(40))
        pipeline.apply([webhook("order.created", more, NOW)], NOW)
        pipeline.publish(NOW)
        files = live_files(read_manifest(pipeline.paths.views_dir))
        assert_published_equals_whole(pipeline)
    finally:
        pipeline.close()
    assert files["orders"].delta is not None and files["customers"].delta is not None
    assert files["segment_history"].delta is None  # untouched by an order


def test_the_churn_timeline_follows_the_last_sale_when_it_is_cancelled(tmp_path):
    """The refresh keeps the churn levels' counts and the last sale day instead of counting
    them: when the shop's latest sale is cancelled, the timeline's current day falls back
    to the rescoring's day (the sale before it is earlier), and its counts stay those of
    the churn view."""
    as_of = date(2024, 1, 20)
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        orders = [
            webhook("order.created", woo.order(n, email=EMAILS[n % 5], created=stamp(n)), NOW)
            for n in range(1, 11)
        ]
        latest = woo.order(11, email=EMAILS[1], created=stamp(40))
        rescoring = dated_job_envelope(SHOP.shop_id, "rfm", as_of, NOW)
        pipeline.apply([*orders, rescoring, webhook("order.created", latest, NOW)], NOW)
        pipeline.publish(NOW)
        assert current_days(pipeline) == {DAY0 + timedelta(days=40)}
        cancelled = woo.order(
            11, email=EMAILS[1], created=stamp(40), modified=stamp(41), status="cancelled"
        )
        pipeline.apply([webhook("order.updated", cancelled, NOW)], NOW)
        pipeline.publish(NOW)
        assert current_days(pipeline) == {as_of}  # the last sale left (day 10) is earlier
        assert_published_equals_whole(pipeline)
        views = read_views(pipeline.paths.views_dir)
        timeline = views["churn_timeline"].to_pylist()
        today = [row for row in timeline if row["day"] == as_of]
        assert sum(row["customers"] for row in today) == views["churn"].num_rows == 5
    finally:
        pipeline.close()


def current_days(pipeline: ShopPipeline) -> set[date]:
    """The timeline's days that no ``job.churn`` recorded (none ran here): the current one."""
    timeline = read_views(pipeline.paths.views_dir)["churn_timeline"]
    return set(timeline["day"].to_pylist())


def test_erasing_a_registered_customer_the_state_never_saw_shows_in_the_versions(tmp_path):
    """Found by the property above: the erasure keeps customer 1 as trashed in the versions
    view (so a sync does not fetch them again), and its publish, a refresh (no order or
    address of theirs: nothing to rebuild), must say so too."""
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        orders = [
            webhook("order.created", woo.order(n, email=EMAILS[n % 5], created=stamp(n)), NOW)
            for n in range(2, 12)
        ]
        rescoring = dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 2, 1), NOW)
        pipeline.apply([*orders, rescoring], NOW)
        pipeline.publish(NOW)
        more = webhook("order.created", woo.order(12, email=EMAILS[1], created=stamp(40)), NOW)
        pipeline.apply([more, erase_envelope(SHOP.shop_id, "1", NOW + timedelta(hours=1))], NOW)
        pipeline.publish(NOW)
        versions = read_views(pipeline.paths.views_dir)["versions"].to_pylist()
        assert_published_equals_whole(pipeline)
    finally:
        pipeline.close()
    erased = [row for row in versions if (row["resource"], row["resource_id"]) == ("customer", 1)]
    assert len(erased) == 1 and erased[0]["trashed"]


def test_two_replays_of_one_log_publish_the_same_files_and_version(tmp_path):
    pipeline = ShopPipeline(tmp_path, SHOP)
    try:
        orders = [
            webhook("order.created", woo.order(n, email=EMAILS[n % 5], created=stamp(n)), NOW)
            for n in range(1, 9)
        ]
        pipeline.apply(orders[:4], NOW)
        pipeline.publish(NOW)
        pipeline.apply([dated_job_envelope(SHOP.shop_id, "rfm", date(2024, 2, 1), NOW)], NOW)
        pipeline.apply(orders[4:], NOW)
        pipeline.publish(NOW)
    finally:
        pipeline.close()
    published = []
    for day in (1, 2):
        replay_shop(tmp_path, SHOP, FixedClock(NOW + timedelta(days=day)))
        manifest = read_manifest(shop_paths(tmp_path, SHOP.shop_id).views_dir)
        published.append((manifest["version"], manifest["files"]))
    assert published[0] == published[1]


@PROPERTY
@CASES
def test_the_same_holds_when_a_backlog_is_built_whole(
    tmp_path_factory, monkeypatch, batches, erase_at, erasure
):
    """A publish of many changes builds the views whole when that is cheaper
    (``ViewEngine._cheaper_whole``); here that happens whenever half the shop's orders
    changed, so whole builds and refreshes alternate, and each refresh after a whole build
    starts from the materialised rows that build kept."""
    monkeypatch.setattr(engine, "CHEAPER_WHOLE_FROM", 1)
    monkeypatch.setattr(engine, "WHOLE_SHARE", 2)
    _each_publish_equals_whole(tmp_path_factory.mktemp("shop"), batches, erase_at, erasure)
