"""The demo shop with real predictions, served by the read API over real HTTP, for tests.

The demo simulator (``ingest/demo/``) makes a year of a 400-customer shop's webhook
deliveries; they go through ``ShopPipeline`` as envelopes, then ``job.rfm``, ``job.clv``,
``job.backtest`` and ``job.churn`` run as of the last day and the views are published.
With seed 7 and the clock below, BG/NBD, Gamma-Gamma and MBG/NBD are all fitted and some
customers' median time to a next order is centuries away (churn probability just under
0.5): the rows the read API once answered with a 500.

The shop lives in a real SQLite registry (its token, its recorded runs) and the app is
served by waitress on a free port of 127.0.0.1, with the admin API on (erasures are queued
into the embedded queue, which nothing consumes here).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from waitress.server import create_server

from api.app import create_app
from ingest.demo.shop import DEMO_CURRENCY, DEMO_TIMEZONE, generate_demo_shop
from ingest.messaging.spool import SQLiteQueue
from processors.pipeline import ShopPipeline
from schemas.clock import FixedClock
from schemas.envelope import Envelope, split_topic
from schemas.jobs import dated_job_envelope
from schemas.jsoncodec import dumps_text
from schemas.settings import Settings, load_settings
from schemas.shop import ShopConfig
from store.layout import embedded_broker_path
from store.metadata import ShopRegistry
from wcpulse.shop_registry import default_open_registry

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
SEED = 7
CUSTOMERS = 400
ADMIN_TOKEN = "admin-token-for-tests"
JOBS = ("rfm", "clv", "backtest", "churn")


@dataclass(frozen=True)
class DemoApi:
    base_url: str  # http://127.0.0.1:<port>
    shop: ShopConfig
    api_token: str
    admin_token: str
    settings: Settings

    def url(self, tail: str) -> str:
        return f"{self.base_url}/api/v1/shops/{self.shop.shop_id}/{tail}"


def demo_envelopes(shop_id: str) -> list[Envelope]:
    deliveries = generate_demo_shop(seed=SEED, now=NOW, customers=CUSTOMERS)
    return [
        Envelope(
            shop_id, d.topic, *split_topic(d.topic), d.body.get("id"), dumps_text(d.body), d.at
        )
        for d in deliveries
    ]


def publish_demo_shop(data_dir: Path, shop: ShopConfig) -> None:
    """The demo history, the analytics jobs as of NOW's day, and one publish."""
    pipeline = ShopPipeline(data_dir, shop)
    try:
        _, failures = pipeline.apply(demo_envelopes(shop.shop_id), NOW)
        assert failures == {}, failures
        jobs = [dated_job_envelope(shop.shop_id, job, NOW.date(), NOW) for job in JOBS]
        _, failures = pipeline.apply(jobs, NOW)
        assert failures == {}, failures
        pipeline.publish(NOW)
    finally:
        pipeline.close()


def _registry(data_dir: Path) -> tuple[Settings, ShopRegistry]:
    env = {
        "WCPULSE_DATA_DIR": str(data_dir),
        "WCPULSE_SECRET_KEY": "0" * 64,
        "WCPULSE_ADMIN_TOKEN": ADMIN_TOKEN,
    }
    settings = load_settings(env)
    return settings, default_open_registry(settings)


@contextmanager
def serve(app, host: str = "127.0.0.1") -> Iterator[str]:
    """``app`` under waitress on a free port; yields its base URL, stops on exit."""
    server = create_server(app, host=host, port=0, threads=4)
    thread = threading.Thread(target=server.run, name="demo-api", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)


@contextmanager
def demo_api(data_dir: Path) -> Iterator[DemoApi]:
    """The demo shop with predictions, registered and served (stopped and closed on exit)."""
    settings, registry = _registry(data_dir)
    queue = SQLiteQueue(embedded_broker_path(settings.data_dir), settings.partitions)
    try:
        new = registry.add_shop(
            name="Demo", url="https://demo.example", timezone=DEMO_TIMEZONE,
            currency=DEMO_CURRENCY, now=NOW,
        )  # fmt: skip
        publish_demo_shop(settings.data_dir, new.shop)
        app = create_app(settings, registry, FixedClock(NOW), publisher=queue)
        with serve(app) as base_url:
            yield DemoApi(base_url, new.shop, new.api_token, ADMIN_TOKEN, settings)
    finally:
        queue.close()
        registry.close()
