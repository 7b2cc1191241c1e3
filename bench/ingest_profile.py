"""``ingest --profile``: the receiver in this process under cProfile (Flask test client).

The same app ``wcpulse ingest`` serves (``build_web_app(serve_api=False)``: cached shop
directory over the SQLite registry, the webhook journal in front of the embedded
SQLiteQueue), posted ``count`` signed deliveries, to show where a request's server time goes
beyond the bare HMAC check.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.logs import configure_discarded_logging
from bench.orders import Delivery
from bench.profiling import profiled
from bench.service import SECRET_KEY
from ingest.demo.webhook_sender import webhook_headers
from ingest.messaging.journal import JournaledPublisher
from ingest.messaging.spool import SQLiteQueue
from schemas.clock import SystemClock
from schemas.settings import Settings
from store.layout import broker_journal_dir, embedded_broker_path
from wcpulse.shop_registry import default_open_registry
from wcpulse.wiring import build_web_app


def profile_receiver(delivery: Delivery, count: int) -> None:
    configure_discarded_logging()
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), secret_key=SECRET_KEY, log_level="INFO")
        registry = default_open_registry(settings)
        queue = SQLiteQueue(embedded_broker_path(settings.data_dir), settings.partitions)
        journal = JournaledPublisher(queue, broker_journal_dir(settings.data_dir))
        try:
            shop = registry.add_shop(name="Bench", url="https://shop.example", now=clock.now())
            app = build_web_app(settings, registry, journal, clock, {}, serve_api=False)
            client = app.test_client()
            headers = webhook_headers(
                delivery.topic,
                delivery.body,
                shop.webhook_secret,
                source_url="https://shop.example",
            )
            url = f"/webhooks/woocommerce/{shop.shop.shop_id}"
            client.post(url, data=delivery.body, headers=headers)
            with profiled(True, f"{count:,} deliveries through the receiver (test client)"):
                for _ in range(count):
                    client.post(url, data=delivery.body, headers=headers)
        finally:
            journal.close()
            queue.close()
            registry.close()
