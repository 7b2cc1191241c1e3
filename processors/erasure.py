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

from datetime import datetime
from typing import Any

import structlog

from processors.anonymise import Erasure, Scrubber
from processors.rebuild import rebuild_state
from schemas.events import ErasureRequested
from store.erasure import (
    ErasureLedger,
    Identity,
    identify,
    load_erasures,
    record_erasure,
    remove_stale_temp_files,
)

log = structlog.get_logger("wcpulse.erasure")


def apply_erasure(
    pipeline: Any, event: ErasureRequested, live: bool, now: datetime | None = None
) -> bool:
    """Erase the customer; True when the state was rebuilt from the log, which then
    holds the whole batch being applied (scrubbed) and its jobs."""
    found = identify(pipeline.state.connection, pipeline.shop, event.customer_key)
    erasure = _tombstone(pipeline, event, found)
    pipeline.tombstones = None  # read again after this erasure
    if not live:
        record_erasure(pipeline.state.connection, erasure)
        return False
    scrubber = Scrubber([erasure], found.emails)
    changed = pipeline.rawlog.rewrite(scrubber.envelope)
    pipeline.rejected.rewrite(scrubber.envelope)  # what was refused is scrubbed alike
    rebuilt = bool(changed or found.order_ids or found.emails)
    when = now or event.at
    if rebuilt:
        rebuild_state(pipeline, when)
    record_erasure(pipeline.state.connection, erasure)
    pipeline.tombstones = None
    remove_stale_temp_files(pipeline.paths.raw_dir, pipeline.paths.views_dir)
    pipeline.publish(when)
    log.info(
        "customer_erased" if erasure.found else "erasure_of_unknown_customer",
        shop_id=pipeline.shop.shop_id,
        erasure_id=erasure.erasure_id,
        orders=len(erasure.order_ids),
        raw_rows_changed=changed,
        rebuilt=rebuilt,
    )
    return rebuilt


def _tombstone(pipeline: Any, event: ErasureRequested, found: Identity) -> Erasure:
    """The erasure as the state shows it, merged with its ledger entry (a replay, or a
    retry after a crash, finds the customer in the ledger only), written back when new."""
    ledger = ErasureLedger(pipeline.paths.raw_dir)
    recorded = ledger.get(event.erasure_id)
    erasure = found.erasure(event.erasure_id, event.customer_key, event.at).merged(recorded)
    if recorded != erasure:
        ledger.put(erasure)
    return erasure


def tombstones(pipeline: Any) -> Scrubber:
    """The scrubber of every tombstone of the shop, read once and kept on the pipeline until
    an erasure changes them (it scrubs new envelopes before they are logged or applied)."""
    if pipeline.tombstones is None:
        pipeline.tombstones = Scrubber(load_erasures(pipeline.state.connection))
    scrubber: Scrubber = pipeline.tombstones
    return scrubber
