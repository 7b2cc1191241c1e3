"""GDPR erasure of one customer inside their shop's processor.

``apply_erasure`` runs at the erasure's place in the shop's stream (``job.erase`` or a
``customer.deleted`` webhook), after everything before it is applied. Live, it

1. identifies the customer in the state: their id, e-mail addresses and orders;
2. writes the tombstone (hashes and ids only) to the ledger beside the raw log;
3. rewrites the raw log without them (``processors.anonymise``): their own records
   dropped, their orders anonymised but keeping their amounts, their address replaced
   everywhere; the batch being applied is in the log already and is scrubbed with it; the
   rejected log (envelopes the processor refused) is scrubbed the same way;
4. rebuilds the state from the scrubbed log into a fresh DuckDB file and swaps it in
   (the rebuild also applies the rest of the batch and records the tombstone);
5. removes stale temporary files and publishes the views (and ``erasures.json``).

In a replay (not live) the log is scrubbed already: it only records the tombstone, from
the ledger. ``tombstones`` scrubs with every tombstone to new envelopes before they are
logged or applied, so a late webhook or a re-import cannot bring the customer back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import structlog

from processors.anonymise import Scrubber, registered_id
from processors.email_match import email_sha256
from processors.projections.sql import ALL_GUEST_EMAILS, ORDERS_SQL, WHOLE, order_params
from processors.rebuild import rebuild_state
from processors.shop_unit import ShopUnit
from schemas.control_events import ErasureRequested
from schemas.erasure import Erasure
from schemas.shop import ShopConfig
from store.erasure import (
    ErasureLedger,
    load_erasures,
    record_erasure,
    remove_stale_temp_files,
)

log = structlog.get_logger("wcpulse.erasure")


@dataclass(frozen=True)
class Identity:
    """A customer key in the state, attributed exactly as the views attribute orders, plus
    guest orders with one of their addresses (``customer.deleted`` trashes the customer
    before the erasure runs, which would otherwise cut their guest orders loose);
    ``emails`` are plain and stay in memory."""

    customer_id: int
    emails: frozenset[str]
    order_ids: frozenset[int]

    def erasure(self, erasure_id: str, customer_key: str, at: datetime) -> Erasure:
        hashes = frozenset(email_sha256(e) for e in self.emails)
        return Erasure(erasure_id, customer_key, self.customer_id, hashes, self.order_ids, at)


def identify(con: duckdb.DuckDBPyConnection, shop: ShopConfig, customer_key: str) -> Identity:
    customer_id = registered_id(customer_key)
    orders = ORDERS_SQL.format(scope=WHOLE, emails=ALL_GUEST_EMAILS)
    rows = con.sql(
        f"SELECT order_id, email FROM ({orders}) WHERE customer_key = $key",
        params=order_params(shop) | {"key": customer_key},
    ).fetchall()
    emails = {email for _, email in rows if email}
    emails |= {
        email
        for (email,) in con.execute(
            "SELECT email FROM customers WHERE customer_id = ? AND email <> ''", [customer_id]
        ).fetchall()
    }
    guests = con.execute(
        "SELECT order_id FROM orders WHERE customer_id = 0 AND email IN (SELECT UNNEST(?))",
        [sorted(emails)],
    ).fetchall()
    order_ids = {order_id for order_id, _ in rows} | {order_id for (order_id,) in guests}
    return Identity(customer_id, frozenset(emails), frozenset(order_ids))


def apply_erasure(
    unit: ShopUnit, event: ErasureRequested, live: bool, now: datetime | None = None
) -> bool:
    """Erase the customer; True when the state was rebuilt from the log, which then
    holds the whole batch being applied (scrubbed) and its jobs."""
    found = identify(unit.state.connection, unit.shop, event.customer_key)
    erasure = _tombstone(unit, event, found)
    unit.tombstones = None  # read again after this erasure
    if not live:
        record_erasure(unit.state.connection, erasure)
        return False
    scrubber = Scrubber([erasure], found.emails)
    changed = unit.rawlog.rewrite(scrubber.envelope)
    unit.rejected.rewrite(scrubber.envelope)  # what was refused is scrubbed alike
    rebuilt = bool(changed or found.order_ids or found.emails)
    when = now or event.at
    if rebuilt:
        rebuild_state(unit, when)
    record_erasure(unit.state.connection, erasure)
    unit.tombstones = None
    remove_stale_temp_files(unit.paths.raw_dir, unit.paths.views_dir)
    unit.publish(when, purge=True)
    log.info(
        "customer_erased" if erasure.found else "erasure_of_unknown_customer",
        shop_id=unit.shop.shop_id,
        erasure_id=erasure.erasure_id,
        orders=len(erasure.order_ids),
        raw_rows_changed=changed,
        rebuilt=rebuilt,
    )
    return rebuilt


def _tombstone(unit: ShopUnit, event: ErasureRequested, found: Identity) -> Erasure:
    """The erasure as the state shows it, merged with its ledger entry (a replay, or a
    retry after a crash, finds the customer in the ledger only), written back when new."""
    ledger = ErasureLedger(unit.paths.raw_dir)
    recorded = ledger.get(event.erasure_id)
    erasure = found.erasure(event.erasure_id, event.customer_key, event.at).merged(recorded)
    if recorded != erasure:
        ledger.put(erasure)
    return erasure


def tombstones(unit: ShopUnit) -> Scrubber:
    """The scrubber of every tombstone of the shop, read once and kept on the pipeline until
    an erasure changes them (it scrubs new envelopes before they are logged or applied)."""
    if unit.tombstones is None:
        unit.tombstones = Scrubber(load_erasures(unit.state.connection))
    scrubber: Scrubber = unit.tombstones
    return scrubber
