"""The shop ``bench processors`` starts from: one that has been live for a while.

A shop's first publishes build its views whole, and keep doing so until its first
rescoring (``job.rfm``), which the scheduler asks for as soon as the shop has customers
(checked every 30 s). A processor in production then spends its time on batches that
update the views incrementally. So each run starts from a shop that has applied its first
``WARM_EVENTS`` events and a rescoring, published (not timed), as a shop is half a minute
after its first webhooks.
"""

from __future__ import annotations

from pathlib import Path

from processors.pipeline import ShopPipeline
from schemas.clock import SystemClock
from schemas.envelope import Envelope
from schemas.jobs import rescore_envelope
from schemas.shop import ShopConfig

WARM_EVENTS = 2_000


def warm_shop(data_dir: Path, shop: ShopConfig, envelopes: list[Envelope]) -> None:
    """Apply ``envelopes`` and a rescoring to the shop in ``data_dir``, and publish."""
    now = SystemClock().now()
    pipeline = ShopPipeline(data_dir, shop)
    try:
        pipeline.apply(envelopes, now)
        pipeline.apply([rescore_envelope(shop.shop_id, now.date(), now)], now)
        pipeline.publish(now)
    finally:
        pipeline.close()
