"""``wcpulse shop set|set-predictions|set-products|set-retention SHOP [...]``: a shop's
timezone, currency and locale, its own CLV and churn settings, its product scoring settings
and how many days of raw events it keeps whole."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from schemas.clock import SystemClock
from schemas.settings import Settings
from schemas.shop import MAX_RETENTION_DAYS, MIN_RETENTION_DAYS, PRICE_OBJECTIVES
from store.metadata import ShopRegistry
from wcpulse.errors import UserError

OPTIONS = (
    ("discount_rate", "--discount-rate", "annual discount rate of predicted CLV (0.1 = 10%%)"),
    ("high_value", "--high-value", "predicted 12-month CLV above this is High value"),
    ("medium_value", "--medium-value", "above this Medium value, else Low"),
    ("margin", "--margin", "margin of what customers buy (0.3 = 30%%): caps win-back discounts"),
)


def _shop_command(commands: Any, name: str, help_text: str, description: str) -> Any:
    """``wcpulse shop NAME SHOP ...``: the subcommand's parser, with its SHOP argument."""
    parser = commands.add_parser(name, help=help_text, description=description)
    parser.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    return parser


def _cmd_set_predictions(
    registry: ShopRegistry, args: argparse.Namespace, settings: Settings
) -> int:
    values = {name: getattr(args, name) for name, _, _ in OPTIONS}
    shop = registry.set_predictions(args.shop, values, SystemClock().now())
    chosen = asdict(shop.predictions)
    if args.json:
        print(json.dumps({"shop_id": shop.shop_id, "predictions": chosen}))
        return 0
    print(f"prediction settings of {shop.shop_id} (they apply at the shop's next publish):")
    for name, value in chosen.items():
        print(f"  {name:<14}{value:g}")
    return 0


def register_set_predictions(commands: Any, bind: Any) -> None:
    parser = _shop_command(
        commands,
        "set-predictions",
        "set the shop's own CLV and churn settings (value segments, discounting, margin)",
        "Set the shop's own CLV and churn settings; an option left out keeps its "
        "value (the default comes from the WCPULSE_CLV_* and WCPULSE_DEFAULT_MARGIN settings).",
    )
    for name, flag, help_text in OPTIONS:
        parser.add_argument(flag, dest=name, type=float, default=None, help=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=bind(_cmd_set_predictions))


PRODUCT_OPTIONS = (
    ("window_days", "--window-days", int, "days of sales a score looks at (default 30)"),
    ("lead_time_days", "--lead-time-days", float, "restocking lead time: less cover is low stock"),
    ("trend_min_units", "--trend-min-units", float, "net units in 7 days a trending product needs"),
    ("trend_rise_pct", "--trend-rise-pct", float, "rise on the 7 days before that is trending"),
)


def _weights(text: str) -> tuple[float, float, float]:
    try:
        velocity, revenue, margin = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("use three numbers like 40,40,20") from None
    return velocity, revenue, margin


def _cmd_set_products(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    values: dict[str, Any] = {name: getattr(args, name) for name, *_ in PRODUCT_OPTIONS}
    values["price_objective"] = args.price_objective
    if args.weights is not None:
        names = ("weight_velocity", "weight_revenue", "weight_margin")
        values.update(zip(names, args.weights, strict=True))
    shop = registry.set_products(args.shop, values, SystemClock().now())
    chosen = asdict(shop.products)
    if args.json:
        print(json.dumps({"shop_id": shop.shop_id, "products": chosen}))
        return 0
    print(f"product settings of {shop.shop_id}:")
    for name, value in chosen.items():
        print(f"  {name:<17}{value}")
    _at_next_job(
        "Prices, cover and trends follow at the next publish; scores at the next products",
        "products",
        shop.shop_id,
    )
    return 0


def _at_next_job(what: str, job: str, shop_id: str) -> None:
    """``what`` happens at the job's next run (the sentence ends with how to run it now)."""
    print(what)
    print(f"job (or now: `wcpulse jobs run {job} --shop {shop_id}`).")


def register_set_products(commands: Any, bind: Any) -> None:
    parser = _shop_command(
        commands,
        "set-products",
        "set the shop's product scoring window, weights, lead time and price objective",
        "Set the shop's own product scoring settings; an option left out keeps "
        "its value. Products without a cost assume the shop's margin (set-predictions "
        "--margin).",
    )
    for name, flag, kind, help_text in PRODUCT_OPTIONS:
        parser.add_argument(flag, dest=name, type=kind, default=None, help=help_text)
    parser.add_argument(
        "--weights",
        type=_weights,
        default=None,
        metavar="V,R,M",
        help="weights of velocity, revenue and margin ranks (default 40,40,20)",
    )
    parser.add_argument(
        "--price-objective",
        choices=PRICE_OBJECTIVES,
        default=None,
        help="what the optimal price maximises (default revenue)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=bind(_cmd_set_products))


BROWSER_LOCALE = "(none: each reader's browser language)"


def _cmd_set(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    values = {name: getattr(args, name) for name in ("timezone", "currency", "locale")}
    if all(value is None for value in values.values()):
        raise UserError("nothing to change: give --timezone, --currency or --locale")
    shop = registry.update_settings(args.shop, **values, now=SystemClock().now())
    chosen = {"timezone": shop.timezone, "currency": shop.currency, "locale": shop.locale}
    if args.json:
        print(json.dumps({"shop_id": shop.shop_id} | chosen))
        return 0
    print(f"settings of {shop.shop_id}:")
    for name, value in chosen.items():
        print(f"  {name:<10}{value or BROWSER_LOCALE}")
    if args.timezone is not None:
        print("Daily figures follow the new timezone at the shop's next publish.")
    return 0


def register_set(commands: Any, bind: Any) -> None:
    parser = _shop_command(
        commands,
        "set",
        "change the shop's timezone, currency or locale",
        "Change the shop's timezone (its days: daily figures are recomputed at "
        "the next publish), currency (how money is labelled) or locale (how the dashboard "
        "writes money, numbers and dates); an option left out keeps its value.",
    )
    parser.add_argument("--timezone", default=None, help="IANA timezone, e.g. Europe/Warsaw")
    parser.add_argument("--currency", default=None, help="ISO 4217 currency code, e.g. PLN")
    parser.add_argument(
        "--locale",
        default=None,
        help="language tag such as pl-PL or de-CH; an empty value lets each reader's browser "
        "decide (the default)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=bind(_cmd_set))


def _retention(text: str) -> int | None:
    """DAYS (a whole number) or ``off``."""
    if text.strip().lower() == "off":
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"use a whole number of days from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}, or off"
        ) from None


def _cmd_set_retention(registry: ShopRegistry, args: argparse.Namespace, settings: Settings) -> int:
    shop = registry.set_retention(args.shop, args.days, SystemClock().now())
    days = shop.raw_retention_days
    if args.json:
        print(json.dumps({"shop_id": shop.shop_id, "raw_retention_days": days}))
        return 0
    if days is None:
        print(f"raw event retention of {shop.shop_id}: off (every event is kept)")
        return 0
    print(f"raw event retention of {shop.shop_id}: {days} days")
    _at_next_job(
        "Older events a replay no longer needs leave the raw log at the next daily retention",
        "retention",
        shop.shop_id,
    )
    return 0


def register_set_retention(commands: Any, bind: Any) -> None:
    parser = _shop_command(
        commands,
        "set-retention",
        "set how many days of raw events the shop keeps whole (or off)",
        "Set how many days of raw events the shop keeps whole. The daily "
        "retention job drops from the raw log the older events that a newer version of the "
        "same order, customer, coupon, refund or ticket supersedes, and the rejected "
        "envelopes received before the window, so a replay still rebuilds the same views. "
        "off (the default) keeps every event.",
    )
    parser.add_argument(
        "days",
        metavar="DAYS",
        type=_retention,
        help=f"days from {MIN_RETENTION_DAYS} to {MAX_RETENTION_DAYS}, or off",
    )
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=bind(_cmd_set_retention))
