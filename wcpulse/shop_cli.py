"""``wcpulse shop ...``: add, list, show, rotate-secret, rotate-token, set-credentials,
set-predictions, set-products, set-cost-keys and delete shops.

``register(subparsers, open_registry)`` adds the ``shop`` command to the main parser; every
subcommand stores a ``handler(args, settings) -> int`` with ``set_defaults``, made by
wcpulse/shop_registry.py's ``bind``, which opens the registry around the command. Mistakes
the user can fix become ``UserError`` (one line on stderr, exit 1, printed by the main CLI).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import asdict
from typing import Any

from schemas.clock import SystemClock
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.metadata import ShopRegistry
from wcpulse.errors import UserError
from wcpulse.shop_registry import OpenRegistry, bind, default_open_registry
from wcpulse.shop_settings import (
    register_set,
    register_set_predictions,
    register_set_products,
    register_set_retention,
)


def _emit(payload: Any) -> None:
    print(json.dumps(payload, ensure_ascii=False))


def _describe(registry: ShopRegistry, shop: ShopConfig, settings: Settings) -> dict[str, Any]:
    """What ``show``/``list`` reveal: settings, never secrets or tokens."""
    return {
        "shop_id": shop.shop_id,
        "name": shop.name,
        "url": shop.url,
        "timezone": shop.timezone,
        "currency": shop.currency,
        "locale": shop.locale,
        "paid_statuses": list(shop.paid_statuses),
        "revenue_date": shop.revenue_date,
        "webhook_url": settings.webhook_url(shop.shop_id),
        "api_credentials": registry.has_credentials(shop.shop_id),
        "predictions": asdict(shop.predictions),
        "cost_keys": list(shop.cost_keys),
        "products": asdict(shop.products),
        "raw_retention_days": shop.raw_retention_days,
    }


def _cmd_add(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    created = registry.add_shop(
        name=args.name,
        url=args.url,
        timezone=args.timezone,
        currency=args.currency,
        locale=args.locale,
        consumer_key=args.consumer_key,
        consumer_secret=args.consumer_secret,
        allow_http=settings.allow_http_shops,
        now=SystemClock().now(),
    )
    shop = created.shop
    result = {
        "shop_id": shop.shop_id,
        "name": shop.name,
        "url": shop.url,
        "timezone": shop.timezone,
        "currency": shop.currency,
        "locale": shop.locale,
        "webhook_url": settings.webhook_url(shop.shop_id),
        "webhook_secret": created.webhook_secret,
        "api_token": created.api_token,
    }
    if args.json:
        _emit(result)
        return 0
    print(f"Added shop {shop.shop_id} ({shop.name}, {shop.url})")
    print(f"  webhook URL:    {result['webhook_url']}")
    print(f"  webhook secret: {created.webhook_secret}")
    print(f"  API token:      {created.api_token}")
    print("In WooCommerce > Settings > Advanced > Webhooks, add webhooks for orders, customers")
    print("and products with this delivery URL and secret. Keep the API token now: it is not")
    print("stored and cannot be shown again (`wcpulse shop rotate-token` issues a new one).")
    return 0


def _cmd_list(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shops = [_describe(registry, shop, settings) for shop in registry.list_shops()]
    if args.json:
        _emit(shops)
        return 0
    if not shops:
        print("No shops yet. Add one with: wcpulse shop add --name NAME --url URL")
        return 0
    for shop in shops:
        print("{shop_id}  {name}  {url}  {timezone}  {currency}".format(**shop))
    return 0


def _cmd_show(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shop = _describe(registry, registry.require(args.shop), settings)
    if args.json:
        _emit(shop)
        return 0
    shop["paid_statuses"] = ", ".join(shop["paid_statuses"])
    shop["api_credentials"] = "set" if shop["api_credentials"] else "not set"
    shop["predictions"] = ", ".join(f"{k} {v:g}" for k, v in shop["predictions"].items())
    shop["cost_keys"] = ", ".join(shop["cost_keys"])
    shop["products"] = ", ".join(f"{k} {v}" for k, v in shop["products"].items())
    days = shop.pop("raw_retention_days")
    shop["retention"] = f"{days} days of raw events" if days else "off (every event is kept)"
    for key, value in shop.items():
        print(f"{key + ':':<17}{value}")
    return 0


def _cmd_rotate_secret(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    secret = registry.rotate_secret(args.shop, SystemClock().now())
    webhook_url = settings.webhook_url(args.shop)
    if args.json:
        _emit({"shop_id": args.shop, "webhook_url": webhook_url, "webhook_secret": secret})
        return 0
    print(f"New webhook secret for {args.shop}: {secret}")
    print(f"Put it into every WooCommerce webhook delivering to {webhook_url};")
    print("deliveries signed with the old secret are rejected from now on.")
    return 0


def _cmd_rotate_token(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    token = registry.rotate_token(args.shop, SystemClock().now())
    if args.json:
        _emit({"shop_id": args.shop, "api_token": token})
        return 0
    print(f"New API token for {args.shop}: {token}")
    print("The old token stops working within a second (a running API remembers a token")
    print("for a second). Keep this one now: it cannot be shown again.")
    return 0


def _cmd_set_credentials(
    registry: ShopRegistry, args: argparse.Namespace, settings: Settings
) -> int:
    registry.set_credentials(
        args.shop, args.consumer_key, args.consumer_secret, SystemClock().now()
    )
    print(f"REST API keys stored (encrypted) for {args.shop}; check them with `wcpulse sync`.")
    return 0


def _cmd_set_cost_keys(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shop = registry.set_cost_keys(args.shop, args.keys, SystemClock().now())
    if args.json:
        _emit({"shop_id": shop.shop_id, "cost_keys": list(shop.cost_keys)})
        return 0
    print(f"cost meta keys of {shop.shop_id}: {', '.join(shop.cost_keys)}")
    print("They apply to product payloads processed from now on; to recost the products")
    print(f"stored already, stop the processors and run `wcpulse replay {shop.shop_id}`.")
    return 0


def _cmd_delete(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shop = registry.require(args.shop)
    if not args.yes and not _confirm(shop):
        print("Nothing deleted.")
        return 1
    folder = shop_paths(settings.data_dir, shop.shop_id).root
    if folder.exists():
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise UserError(f"cannot remove {folder}: {exc.strerror or exc}") from None
    registry.delete(shop.shop_id)
    print(f"Deleted shop {shop.shop_id} ({shop.name}) and its data in {folder}")
    return 0


def _confirm(shop: ShopConfig) -> bool:
    if not sys.stdin.isatty():
        raise UserError(f"refusing to delete shop {shop.shop_id} without --yes (no terminal)")
    answer = input(f"Delete shop {shop.shop_id} ({shop.name}) and all its data? [y/N] ")
    return answer.strip().lower() in {"y", "yes"}


def register(subparsers: Any, open_registry: OpenRegistry = default_open_registry) -> None:
    """Add ``shop`` and its subcommands to the main parser's subparsers."""
    shop = subparsers.add_parser(
        "shop",
        help="add, list, show, rotate secrets of, or delete shops",
        description="Manage the shops wcpulse receives webhooks from.",
    )
    commands = shop.add_subparsers(dest="shop_command", metavar="COMMAND", required=True)
    _register_add(commands, open_registry)
    simple = [
        ("list", _cmd_list, "list the shops", False),
        ("show", _cmd_show, "show a shop's settings (never its secrets)", True),
        ("rotate-secret", _cmd_rotate_secret, "issue a new webhook secret", True),
        (
            "rotate-token",
            _cmd_rotate_token,
            "issue a new API token (the old one stops working)",
            True,
        ),
    ]
    for name, command, help_text, takes_shop in simple:
        parser = commands.add_parser(name, help=help_text, description=help_text.capitalize() + ".")
        if takes_shop:
            parser.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.set_defaults(handler=bind(command, open_registry))
    creds = commands.add_parser(
        "set-credentials",
        help="store the shop's WooCommerce REST API keys (for import and sync)",
        description="Store the shop's WooCommerce REST API keys (encrypted at rest).",
    )
    creds.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    creds.add_argument("--consumer-key", required=True, help="consumer key (ck_...)")
    creds.add_argument("--consumer-secret", required=True, help="consumer secret (cs_...)")
    creds.set_defaults(handler=bind(_cmd_set_credentials, open_registry))
    register_set(commands, lambda command: bind(command, open_registry))
    register_set_predictions(commands, lambda command: bind(command, open_registry))
    register_set_products(commands, lambda command: bind(command, open_registry))
    register_set_retention(commands, lambda command: bind(command, open_registry))
    cost = commands.add_parser(
        "set-cost-keys",
        help="set the product meta keys that hold a cost (first usable one wins)",
        description="Set the shop's product meta keys holding a cost of goods, in order: the "
        "first with a number (not negative) wins; WooCommerce's own cost of goods field wins "
        "over all of them (the default comes from WCPULSE_COST_KEYS).",
    )
    cost.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    cost.add_argument("keys", metavar="KEY", nargs="+", help="meta key, e.g. _wc_cog_cost")
    cost.add_argument("--json", action="store_true", help="print JSON")
    cost.set_defaults(handler=bind(_cmd_set_cost_keys, open_registry))
    delete = commands.add_parser(
        "delete",
        help="delete a shop and all its data",
        description="Delete a shop and all its data.",
    )
    delete.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=bind(_cmd_delete, open_registry))


def _register_add(commands: Any, open_registry: OpenRegistry) -> None:
    add = commands.add_parser(
        "add",
        help="register a shop and print its webhook URL, secret and API token",
        description="Register a WooCommerce shop; prints its webhook URL, secret and API token.",
    )
    add.add_argument("--name", required=True, help="display name")
    add.add_argument("--url", required=True, help="shop URL (https://..., as in WooCommerce)")
    add.add_argument("--consumer-key", help="WooCommerce REST API consumer key (ck_...)")
    add.add_argument("--consumer-secret", help="WooCommerce REST API consumer secret (cs_...)")
    add.add_argument("--timezone", default="UTC", help="IANA timezone for daily figures (UTC)")
    add.add_argument("--currency", default="USD", help="ISO 4217 currency code (USD)")
    add.add_argument(
        "--locale",
        default=None,
        help="how the dashboard writes money and dates, e.g. pl-PL (default: the reader's "
        "browser language)",
    )
    add.add_argument("--json", action="store_true", help="print one JSON object")
    add.set_defaults(handler=bind(_cmd_add, open_registry), creates_data=True)
