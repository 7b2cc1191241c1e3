"""The demo shop: created once, its year of history sent as signed webhooks to the receiver."""

from __future__ import annotations

import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog

from ingest.demo import generate_demo_shop
from ingest.webhook_sender import SendReport, send_deliveries
from schemas.clock import Clock
from schemas.settings import Settings
from store.metadata import ShopRegistry
from wcpulse.errors import UserError

log = structlog.get_logger("wcpulse.demo")
DEMO_URL = "https://demo.wcpulse.local"


@dataclass(frozen=True)
class DemoShop:
    shop_id: str
    api_token: str
    created: bool


def demo_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-shop.json"


def ensure_demo_shop(settings: Settings, registry: ShopRegistry, clock: Clock) -> DemoShop:
    """The demo shop of this data folder, created on first start (token kept for reprinting)."""
    path = demo_file(settings)
    if path.exists():
        saved = json.loads(path.read_text())
        if registry.get(saved["shop_id"]) is not None:
            return DemoShop(saved["shop_id"], saved["api_token"], created=False)
    return create_demo_shop(settings, registry, clock)


def create_demo_shop(settings: Settings, registry: ShopRegistry, clock: Clock) -> DemoShop:
    new = registry.add_shop(
        name="Demo shop", url=DEMO_URL, timezone="Europe/Warsaw", currency="PLN", now=clock.now()
    )
    path = demo_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"shop_id": new.shop.shop_id, "api_token": new.api_token}, handle)
    return DemoShop(new.shop.shop_id, new.api_token, created=True)


def send_demo_history(
    base_url: str, shop_id: str, secret: str, clock: Clock, customers: int = 3000, seed: int = 7
) -> SendReport:
    """Generate the demo history and POST it, signed, to ``base_url``'s webhook receiver."""
    deliveries = generate_demo_shop(seed=seed, now=clock.now(), customers=customers)
    url = f"{base_url.rstrip('/')}/webhooks/woocommerce/{shop_id}"
    log.info("demo_sending", shop_id=shop_id, deliveries=len(deliveries))
    report = send_deliveries(
        url, secret, deliveries, source_url=DEMO_URL + "/", on_progress=_progress_printer()
    )
    log.info("demo_sent", shop_id=shop_id, sent=report.sent, failed=report.failed)
    return report


def send_in_background(base_url: str, shop_id: str, secret: str, clock: Clock) -> threading.Thread:
    thread = threading.Thread(
        target=send_demo_history, args=(base_url, shop_id, secret, clock), daemon=True
    )
    thread.start()
    return thread


def check_server(base_url: str) -> None:
    try:
        httpx.get(f"{base_url.rstrip('/')}/healthz", timeout=3.0).raise_for_status()
    except httpx.HTTPError:
        raise UserError(
            f"no wcpulse server answers at {base_url}; start it with `wcpulse run` first"
        ) from None


def _progress_printer():
    last = {"shown": -1}

    def show(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent // 10 != last["shown"] // 10 or done == total:
            last["shown"] = percent
            print(f"demo: {done}/{total} webhooks delivered ({percent}%)", file=sys.stderr)

    return show
