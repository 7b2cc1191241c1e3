"""``wcpulse rejected SHOP``: the events a shop's processor refused, newest last, with why.

A refused event (a delivery the normaliser rejects, a job that fails) goes to the broker's
dead letters and, kept apart from the replayable raw log, into the shop's rejected log
(``store.rawlog.RejectedLog``); this command reads that log. Bodies are not printed: they
may hold personal data (``--json`` gives their size and hash).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from schemas.settings import Settings
from store.layout import shop_paths
from store.rawlog import RejectedLog
from wcpulse.wiring import find_shop

_SHOWN = ("rejected_at", "topic", "source", "resource_id", "envelope_id", "reason")


def list_rejected(args: argparse.Namespace, settings: Settings) -> int:
    shop = find_shop(settings, args.shop)
    records = RejectedLog(shop_paths(settings.data_dir, shop.shop_id).rejected_dir).records(
        args.limit
    )
    rows = [_public(record) for record in records]
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print(f"shop {shop.shop_id}: no refused events")
        return 0
    for row in rows:
        print("  ".join(str(row[name]) for name in _SHOWN))
    return 0


def _public(record: dict[str, Any]) -> dict[str, Any]:
    row = {name: record[name] for name in _SHOWN}
    row["rejected_at"] = record["rejected_at"].isoformat()
    row["body_bytes"] = len(str(record["body"]).encode())
    row["body_sha256"] = record["body_sha256"]
    return row


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError("use a whole number of 1 or more")
    return value


def register(sub: Any) -> None:
    """Add the ``rejected`` command."""
    rejected = sub.add_parser(
        "rejected",
        help="list the events a shop's processor refused, with the reason",
        description="List the events the shop's processor refused (dead-lettered): when, the "
        "topic, the source, the resource id, the envelope id and why. They are kept apart from "
        "the replayable raw log; an erasure scrubs them too.",
    )
    rejected.add_argument("shop", metavar="SHOP")
    rejected.add_argument("--limit", type=_limit, default=100, help="newest N (default 100)")
    rejected.add_argument("--json", action="store_true", help="JSON, with body size and hash")
    rejected.set_defaults(handler=list_rejected)
