"""``wcpulse demo [--customers N] [--reset]``: the data folder's one demo shop, filled through
a running server.

The demo shop is the one ``wcpulse run --demo`` (``make run``) creates, reused: a second
``wcpulse demo`` finds it and says so. Its history is sent only when it has not all arrived
yet (the same history again, so nothing counts twice); ``--reset`` deletes the demo shop and
its data and sends a new one's history. A size that is not a whole number from 1 to
``MAX_DEMO_CUSTOMERS`` is an argument mistake (one line, exit status 2).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import Any

import httpx

from schemas.clock import SystemClock
from schemas.settings import Settings
from wcpulse import demo as demo_shop
from wcpulse.commands import queue_analytics
from wcpulse.demo import MAX_DEMO_CUSTOMERS, MIN_DEMO_CUSTOMERS, DemoShop
from wcpulse.errors import UserError
from wcpulse.ready import ready_line
from wcpulse.wiring import open_messaging, open_registry


def demo_size(text: str) -> int:
    """``--customers``: a whole number of people from 1 to MAX_DEMO_CUSTOMERS."""
    problem = f"use a whole number from {MIN_DEMO_CUSTOMERS} to {MAX_DEMO_CUSTOMERS}"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{problem} (got {text!r})") from None
    if not MIN_DEMO_CUSTOMERS <= value <= MAX_DEMO_CUSTOMERS:
        raise argparse.ArgumentTypeError(f"{problem} (got {value})")
    return value


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "demo",
        help="fill the demo shop through a running server (one demo shop, reused)",
        description="Create the data folder's demo shop, unless it has one (the one "
        "`wcpulse run --demo` made), and send its history as signed webhooks to the server "
        "running at WCPULSE_PUBLIC_URL. A demo shop whose history has arrived is left as it "
        "is; --reset replaces it with a new one.",
    )
    parser.add_argument(
        "--customers",
        type=demo_size,
        default=demo_shop.DEFAULT_DEMO_CUSTOMERS,
        help=f"people in a new demo shop, {MIN_DEMO_CUSTOMERS} to {MAX_DEMO_CUSTOMERS} "
        f"(default {demo_shop.DEFAULT_DEMO_CUSTOMERS})",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="delete the demo shop and its data, and send a new demo shop's history",
    )
    parser.set_defaults(handler=demo)


def demo(args: argparse.Namespace, settings: Settings) -> int:
    base_url = settings.public_url
    demo_shop.check_server(base_url)
    shop = _chosen_shop(settings, args.customers, args.reset)
    if shop.history_complete:
        print(f"demo shop {shop.shop_id} is here already with its history; --reset replaces it")
        _say_ready(base_url, shop)
        return 0
    if not shop.created:
        print(f"demo shop {shop.shop_id}: sending the rest of its history (the same one)")
    secret = _secret_if_known(settings, base_url, shop)
    report = demo_shop.send_demo_history(base_url, shop, secret, SystemClock())
    print(f"demo shop {shop.shop_id}: {report.sent} webhooks delivered, {report.failed} failed")
    if report.failed:
        return 1
    _finish(settings, shop)
    _say_ready(base_url, shop)
    return 0


def _chosen_shop(settings: Settings, customers: int, reset: bool) -> DemoShop:
    clock = SystemClock()
    registry = open_registry(settings)
    try:
        found = demo_shop.find_demo_shop(settings, registry)
        if found is not None and reset:
            demo_shop.delete_demo_shop(settings, registry, found)
            print(f"deleted demo shop {found.shop_id} and its data")
        elif found is not None:
            return found
        return demo_shop.create_demo_shop(settings, registry, clock, customers)
    finally:
        registry.close()


def _secret_if_known(settings: Settings, base_url: str, shop: DemoShop) -> str:
    """The shop's webhook secret, once the server proved it reads the same shops as this
    command (its API takes the shop's token); otherwise a demo shop made now is deleted
    again and the command refuses."""
    registry = open_registry(settings)
    try:
        if not _server_knows(base_url, shop):
            if shop.created:
                demo_shop.delete_demo_shop(settings, registry, shop)
            raise UserError(
                f"the server at {base_url} does not know demo shop {shop.shop_id}: it uses "
                f"another data directory than {settings.data_dir.resolve()} (set "
                "WCPULSE_DATA_DIR to the server's)"
            )
        return registry.webhook_secret(shop.shop_id) or ""
    finally:
        registry.close()


def _server_knows(base_url: str, shop: DemoShop) -> bool:
    url = f"{base_url.rstrip('/')}/api/v1/shops/{shop.shop_id}/freshness"
    headers = {"Authorization": f"Bearer {shop.api_token}"}
    try:
        status = httpx.get(url, headers=headers, timeout=10.0).status_code
    except httpx.HTTPError:
        return True  # cannot tell: the history's delivery will say what is wrong
    return status != 401


def _finish(settings: Settings, shop: DemoShop) -> None:
    """Mark the history complete and queue the analytics it needs now."""
    demo_shop.save_demo_shop(settings, replace(shop, history_complete=True, created=False))
    registry = open_registry(settings)
    messaging = open_messaging(settings, SystemClock())
    try:
        queue_analytics(registry, messaging.publisher, shop.shop_id)
    finally:
        messaging.close()
        registry.close()


def _say_ready(base_url: str, shop: DemoShop) -> None:
    print(ready_line(base_url, shop.shop_id, shop.api_token))
