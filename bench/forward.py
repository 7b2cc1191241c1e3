"""``forward``: a spool drained into RabbitMQ after an outage (``SpoolForwarder``).

While RabbitMQ is down, ingest answers webhooks from its local spool; when RabbitMQ is back
the forwarder moves the spool into it in lists of 500. The same spooled envelopes are
forwarded twice in one run, into topologies of their own: through ``RabbitPublisher``
(every list sent, then ONE wait for RabbitMQ's confirms, ``ingest.messaging.confirms``)
and, as the baseline, through a publisher that waits for each message's confirm, as
``RabbitPublisher`` did before (kombu's ``confirm_publish``). No target in the spec; the
figure is the ratio, and how long an hour's backlog at 200 events/s takes to drain.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import processors_rabbit, report
from bench.options import Options
from bench.orders import order_envelopes
from ingest.messaging.publisher import Publisher, SpoolForwarder, open_spool
from ingest.messaging.rabbit import (
    SHOP_HEADER,
    RabbitPublisher,
    RabbitTopology,
    connect,
    publish_body,
)
from schemas.clock import SystemClock
from schemas.envelope import Envelope

SHOPS = 8
HOUR_AT_200 = 200 * 3600


class _EachConfirmed:
    """The baseline: one confirm round trip per message."""

    def __init__(self, url: str, topology: RabbitTopology) -> None:
        self._conn = connect(url)
        self._topology = topology
        self._channel = self._conn.default_channel

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            key = self._topology.route(envelope)
            body = envelope.to_json()
            headers = {SHOP_HEADER: envelope.shop_id}
            publish_body(self._channel, body, self._topology.exchange, key, headers)

    def close(self) -> None:
        self._conn.release()


def _forwarded_per_second(envelopes: list[Envelope], make: Any) -> float:
    """Spool the envelopes, forward them into a new topology; envelopes a second."""
    topology = RabbitTopology(f"bench_forward_{uuid.uuid4().hex[:10]}", 4)
    url = processors_rabbit.AMQP_URL
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp, connect(url) as admin:
        topology.declare(admin)
        spool = open_spool(Path(tmp) / "spool.sqlite3", SystemClock())
        publisher: Publisher = make(url, topology)
        try:
            spool.publish(envelopes)
            started = time.perf_counter()
            forwarded = SpoolForwarder(spool, publisher).run_once()
            seconds = time.perf_counter() - started
        finally:
            publisher.close()  # type: ignore[attr-defined]
            spool.close()
            topology.delete(admin)
    if forwarded != len(envelopes):
        raise RuntimeError(f"forwarded {forwarded:,} of {len(envelopes):,} envelopes")
    return report.rate(forwarded, seconds)


def run(options: Options) -> dict[str, Any]:
    count = options.size(quick=2_000, default=20_000, full=100_000)
    report.heading("forward", f"{count:,} spooled order envelopes forwarded into RabbitMQ")
    why = processors_rabbit.unreachable()
    if why is not None:
        raise RuntimeError(f"RabbitMQ at {processors_rabbit.AMQP_URL} is unreachable: {why}")
    per_shop = count // SHOPS
    envelopes = [e for i in range(SHOPS) for e in order_envelopes(per_shop, f"shp_fwd_{i}")]
    lists = _forwarded_per_second(envelopes, RabbitPublisher)
    each = _forwarded_per_second(envelopes, _EachConfirmed)
    for label, rate in (("one wait per list of 500", lists), ("a confirm per message", each)):
        drain = HOUR_AT_200 / rate
        report.line(label, f"{report.fmt_rate(rate)}  (an hour at 200/s drains in {drain:.0f} s)")
    ratio = lists / each
    report.verdict(f"{ratio:.1f}x the per-message confirms", "faster than the baseline", ratio > 1)
    return report.emit(
        "forward",
        {
            "headline": f"{lists:,.0f} envelopes/s, {ratio:.1f}x per-message confirms",
            "envelopes": len(envelopes),
            "per_s": round(lists),
            "baseline_per_s": round(each),
            "ratio": round(ratio, 2),
            "met": ratio > 1,
        },
    )
