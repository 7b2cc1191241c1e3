"""``wcpulse customers erase SHOP CUSTOMER [--yes]``: GDPR erasure of one customer.

The erasure travels as ``job.erase`` into the shop's partition, so the shop's one writer
runs it in order with its events; the command then waits until the processor lists it in
the views folder's ``erasures.json``. The customer is named by their key (as the API and
views show it) or by an e-mail address, which is turned into a key here and never queued.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from processors.anonymise import is_customer_key
from processors.email_match import email_sha256, normalise_email
from schemas.clock import SystemClock
from schemas.envelope import Envelope
from schemas.jobs import erase_envelope
from schemas.settings import Settings
from schemas.shop import ShopConfig
from store.erasure import read_applied
from store.layout import shop_paths
from store.view_files import read_view
from wcpulse.errors import UserError
from wcpulse.waiting import unless_refused, wait_for_processor
from wcpulse.wiring import find_shop, open_messaging

KEY_FORMS = "a customer id, guest-<16 hex>, guest-order-<id> or an e-mail address"


def customer_key(views_dir: Path, customer: str) -> str:
    """The key of ``customer`` (a key, or an e-mail looked up in the customers view; an
    e-mail found nowhere is a guest's, whose key is made from it)."""
    if "@" not in customer:
        if not is_customer_key(customer):
            raise UserError(f"{customer!r} is not a customer key; use {KEY_FORMS}")
        return customer
    email = normalise_email(customer)
    table = read_view(views_dir, "customers")
    if table is not None:
        found = table.filter(pc.equal(pc.utf8_lower(table["email"]), email))
        keys = sorted(found["customer_key"].to_pylist())
        if keys:
            return keys[0]
    return "guest-" + email_sha256(email)[:16]


def _confirm(shop: ShopConfig, key: str) -> bool:
    if not sys.stdin.isatty():
        raise UserError(
            f"refusing to erase customer {key} of shop {shop.shop_id} without --yes (no terminal)"
        )
    answer = input(
        f"Erase customer {key} of shop {shop.shop_id} ({shop.name}) everywhere, raw history "
        "included? This cannot be undone. [y/N] "
    )
    return answer.strip().lower() in {"y", "yes"}


def _publish(settings: Settings, shop: ShopConfig, key: str) -> Envelope:
    clock = SystemClock()
    messaging = open_messaging(settings, clock)
    try:
        envelope = erase_envelope(shop.shop_id, key, clock.now())
        messaging.publisher.publish([envelope])
    finally:
        messaging.close()
    return envelope


def erase_customer(args: argparse.Namespace, settings: Settings) -> int:
    shop = find_shop(settings, args.shop)
    paths = shop_paths(settings.data_dir, shop.shop_id)
    key = customer_key(paths.views_dir, args.customer)
    if not args.yes and not _confirm(shop, key):
        print("Nothing erased.")
        return 1
    envelope = _publish(settings, shop, key)
    erasure_id = json.loads(envelope.body)["erasure_id"]
    if args.no_wait:
        print(f"queued erasure {erasure_id} of customer {key} of shop {shop.shop_id}")
        return 0
    print(f"queued erasure {erasure_id}; waiting for the shop's processor...", file=sys.stderr)
    what = f"erasure {erasure_id}"
    applied = partial(read_applied, paths.views_dir, erasure_id)
    done = wait_for_processor(
        unless_refused(applied, paths, envelope.envelope_id, what), args.wait, what
    )
    print(_summary(shop, key, done))
    return 0


def _summary(shop: ShopConfig, key: str, done: dict[str, Any]) -> str:
    if not done["found"]:
        return (
            f"customer {key} of shop {shop.shop_id} was not found; erasure {done['erasure_id']} "
            "is recorded, so later events of that customer are anonymised"
        )
    orders = f"{done['orders']} order" + ("" if done["orders"] == 1 else "s")
    return (
        f"erased customer {key} of shop {shop.shop_id}: {orders} anonymised "
        f"(erasure {done['erasure_id']})"
    )


def register(sub: Any) -> None:
    """Add the ``customers`` command."""
    customers = sub.add_parser("customers", help="customer data: GDPR erasure")
    commands = customers.add_subparsers(dest="customers_command", metavar="COMMAND", required=True)
    erase = commands.add_parser(
        "erase",
        help="erase one customer everywhere (state, views, raw log) and wait for it",
        description="Erase one customer of SHOP everywhere, Parquet history included: their "
        "own records are dropped, their orders keep their amounts but lose the person. Runs "
        "in the shop's processor; this command waits until it is applied.",
    )
    erase.add_argument("shop", metavar="SHOP")
    erase.add_argument("customer", metavar="CUSTOMER_KEY", help=KEY_FORMS)
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.add_argument("--wait", type=float, default=120.0, help="seconds to wait (default 120)")
    erase.add_argument("--no-wait", action="store_true", help="queue the erasure and return")
    erase.set_defaults(handler=erase_customer)
