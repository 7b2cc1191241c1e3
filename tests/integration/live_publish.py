"""Publishing as the live processor does (``processors/consumer.py``): with alerts, which
are raised once the views are out, and the follow-up publish that shows what they kept."""

from __future__ import annotations

from datetime import datetime

from processors.pipeline import ShopPipeline

MOST_FOLLOW_UPS = 3  # a follow-up raises nothing new: one is enough, more is a bug


def publish_live(pipeline: ShopPipeline, at: datetime) -> str:
    version = pipeline.publish(at, alerts=True)
    for _ in range(MOST_FOLLOW_UPS):
        if not pipeline.follow_up:
            return version
        version = pipeline.publish(at, alerts=True)
    raise AssertionError("a follow-up publish raised alerts again")
