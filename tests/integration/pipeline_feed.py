"""Raw order JSON through the real pipeline (normalise, DuckDB state, Parquet views), and
the newest payload of each order as a test's own computation reads it back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from processors.pipeline import ShopPipeline
from schemas.envelope import Envelope, split_topic
from schemas.jsoncodec import dumps_text
from schemas.shop import ShopConfig

Body = dict[str, Any]


def received_at(body: Body) -> datetime:
    """When the receiver got a payload: its ``date_modified_gmt``."""
    return datetime.fromisoformat(body["date_modified_gmt"] + "+00:00")


def feed_orders(data_dir: Path, shop: ShopConfig, bodies: list[Body], now: datetime) -> None:
    """Every body as an ``order.updated`` event, applied and published at ``now``."""
    envelopes = [
        Envelope(shop.shop_id, "order.updated", *split_topic("order.updated"), body["id"],
                 dumps_text(body), received_at(body))
        for body in bodies
    ]  # fmt: skip
    pipeline = ShopPipeline(data_dir, shop)
    try:
        _, failures = pipeline.apply(envelopes, now)
        assert failures == {}
        pipeline.publish(now)
    finally:
        pipeline.close()


def newest_payloads(bodies: list[Body]) -> list[Body]:
    """Each order's newest payload (by ``date_modified_gmt``)."""
    newest: dict[int, Body] = {}
    for body in bodies:
        kept = newest.get(body["id"])
        if kept is None or body["date_modified_gmt"] >= kept["date_modified_gmt"]:
            newest[body["id"]] = body
    return list(newest.values())


def utc_created(body: Body) -> datetime:
    return datetime.fromisoformat(body["date_created_gmt"]).replace(tzinfo=UTC)
