"""``wcpulse shop set-predictions SHOP [...]``: a shop's own CLV and churn settings."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from schemas.clock import SystemClock
from schemas.settings import Settings
from store.metadata import ShopRegistry

OPTIONS = (
    ("discount_rate", "--discount-rate", "annual discount rate of predicted CLV (0.1 = 10%)"),
    ("high_value", "--high-value", "predicted 12-month CLV above this is High value"),
    ("medium_value", "--medium-value", "above this Medium value, else Low"),
    ("margin", "--margin", "margin of what customers buy (0.3 = 30%): caps win-back discounts"),
)


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
    parser = commands.add_parser(
        "set-predictions",
        help="set the shop's own CLV and churn settings (value segments, discounting, margin)",
        description="Set the shop's own CLV and churn settings; an option left out keeps its "
        "value (the default comes from the WCPULSE_CLV_* and WCPULSE_DEFAULT_MARGIN settings).",
    )
    parser.add_argument("shop", metavar="SHOP", help="shop id (shp_...)")
    for name, flag, help_text in OPTIONS:
        parser.add_argument(flag, dest=name, type=float, default=None, help=help_text)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=bind(_cmd_set_predictions))
