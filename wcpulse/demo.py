"""The demo shop: created once, its year of history sent as signed webhooks to the receiver."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import httpx
import structlog

from ingest.demo.shop import generate_demo_shop
from ingest.demo.webhook_sender import SendReport, send_deliveries
from schemas.clock import Clock, SystemClock
from schemas.settings import Settings
from store.layout import shop_paths
from store.metadata import ShopRegistry
from wcpulse.errors import UserError

log = structlog.get_logger("wcpulse.demo")
DEMO_URL = "https://demo.wcpulse.local"
DEMO_SEED = 7


MIN_DEMO_CUSTOMERS = 1
MAX_DEMO_CUSTOMERS = 20_000  # about 100,000 webhooks: several minutes to send
DEFAULT_DEMO_CUSTOMERS = 3000


@dataclass(frozen=True)
class DemoShop:
    shop_id: str
    api_token: str
    created: bool
    history_complete: bool = False
    # when its history was generated and of how many people: a resend (after an interrupted
    # first start) repeats that same history, so nothing is added twice
    history_at: datetime | None = None
    customers: int = DEFAULT_DEMO_CUSTOMERS


def demo_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-shop.json"


DEMO_RECIPIENT = "owner@demo-shop.example"
DEMO_VALUE_SEGMENTS: dict[str, float | None] = {"high_value": 300.0, "medium_value": 100.0}


def find_demo_shop(settings: Settings, registry: ShopRegistry) -> DemoShop | None:
    """The demo shop of this data folder, if it has one that the registry still holds."""
    path = demo_file(settings)
    if not path.exists():
        return None
    saved = json.loads(path.read_text())
    if registry.get(saved["shop_id"]) is None:
        return None
    at = saved.get("history_at")
    return DemoShop(
        saved["shop_id"],
        saved["api_token"],
        created=False,
        history_complete=bool(saved.get("history_complete")),
        history_at=datetime.fromisoformat(at) if at else None,
        customers=int(saved.get("customers") or DEFAULT_DEMO_CUSTOMERS),
    )


def ensure_demo_shop(
    settings: Settings,
    registry: ShopRegistry,
    clock: Clock,
    customers: int = DEFAULT_DEMO_CUSTOMERS,
) -> DemoShop:
    """The demo shop of this data folder, created on first start (token kept for reprinting)."""
    found = find_demo_shop(settings, registry)
    return found if found is not None else create_demo_shop(settings, registry, clock, customers)


def create_demo_shop(
    settings: Settings,
    registry: ShopRegistry,
    clock: Clock,
    customers: int = DEFAULT_DEMO_CUSTOMERS,
) -> DemoShop:
    new = registry.add_shop(
        name="Demo shop", url=DEMO_URL, timezone="Europe/Warsaw", currency="PLN", now=clock.now()
    )
    # a recipient, so the demo's alert e-mails land in the Maildir (or the SMTP server), and
    # value segments that suit a small roastery (its best customers are High value)
    registry.set_alerts(new.shop.shop_id, clock.now(), recipients=(DEMO_RECIPIENT,))
    registry.set_predictions(new.shop.shop_id, DEMO_VALUE_SEGMENTS, clock.now())
    shop = DemoShop(
        new.shop.shop_id, new.api_token, True, history_at=clock.now(), customers=customers
    )
    save_demo_shop(settings, shop)
    return shop


def delete_demo_shop(settings: Settings, registry: ShopRegistry, shop: DemoShop) -> None:
    """Forget the demo shop: its registry entry (its webhooks and token stop working), its
    data folder and the file that names it."""
    registry.delete(shop.shop_id)
    shutil.rmtree(shop_paths(settings.data_dir, shop.shop_id).root, ignore_errors=True)
    demo_file(settings).unlink(missing_ok=True)
    log.info("demo_shop_deleted", shop_id=shop.shop_id)


def save_demo_shop(settings: Settings, shop: DemoShop) -> None:
    """Keep the demo shop's id and token (0600) so later starts can print them again."""
    path = demo_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "shop_id": shop.shop_id,
                "api_token": shop.api_token,
                "history_complete": shop.history_complete,
                "history_at": shop.history_at.isoformat() if shop.history_at else None,
                "customers": shop.customers,
            },
            handle,
        )


def send_demo_history(
    base_url: str,
    shop: DemoShop,
    secret: str,
    clock: Clock,
    stop: threading.Event | None = None,
) -> SendReport:
    """Generate the demo history and POST it, signed, to ``base_url``'s webhook receiver."""
    now = shop.history_at or clock.now()
    deliveries = generate_demo_shop(seed=DEMO_SEED, now=now, customers=shop.customers)
    url = f"{base_url.rstrip('/')}/webhooks/woocommerce/{shop.shop_id}"
    log.info("demo_sending", shop_id=shop.shop_id, deliveries=len(deliveries))
    report = send_deliveries(
        url,
        secret,
        deliveries,
        source_url=DEMO_URL + "/",
        on_progress=_progress_logger(shop.shop_id),
        stop=stop,
    )
    log.info("demo_sent", shop_id=shop.shop_id, sent=report.sent, failed=report.failed)
    return report


def send_in_background(
    settings: Settings,
    base_url: str,
    shop: DemoShop,
    secret: str,
    stop: threading.Event,
    delivered: Callable[[], None] = lambda: None,
) -> threading.Thread:
    """Send the history; mark it complete only when all of it was delivered (idempotent to
    resend, so an interrupted first start finishes on the next one), then call
    ``delivered`` (the analytics jobs, so the demo shows fitted predictions at once)."""

    def send() -> None:
        report = send_demo_history(base_url, shop, secret, SystemClock(), stop)
        if report.failed == 0 and not stop.is_set():
            save_demo_shop(settings, replace(shop, history_complete=True))
            delivered()
        elif report.failed:
            log.warning("demo_history_incomplete", shop_id=shop.shop_id, failed=report.failed)

    thread = threading.Thread(target=send, name="wcpulse-demo", daemon=True)
    thread.start()
    return thread


def check_server(base_url: str) -> None:
    try:
        httpx.get(f"{base_url.rstrip('/')}/healthz", timeout=3.0).raise_for_status()
    except httpx.HTTPError:
        raise UserError(
            f"no wcpulse server answers at {base_url}; start it with `wcpulse run` first"
        ) from None


def _progress_logger(shop_id: str) -> Callable[[int, int], None]:
    """A log event at every tenth of the history (and its end)."""
    last = {"shown": -1}

    def show(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent // 10 != last["shown"] // 10 or done == total:
            last["shown"] = percent
            log.info("demo_progress", shop_id=shop_id, delivered=done, total=total)

    return show
