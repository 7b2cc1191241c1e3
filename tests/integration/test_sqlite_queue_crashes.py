"""A message that kills every consumer that takes it ends up alone and is given up alone:
the embedded queue hands a batch whose oldest message was handed out before without an ack
out in smaller fetches (half as many for each time, one alone from half the delivery limit
on), and keeps which envelopes of a pack are settled. Consumers here are instances of the
queue on one file, as a restarted processor is: one that is handed the poison dies without
acking (closes), any other acks its batch. Checked against the envelopes the test published:
everything but the poison is acked, and the dead letters hold the poison only."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope
from tests.integration.broker_support import decode, make_envelope

LIMIT = 20  # the queue's default delivery limit
BATCH = 64


def run_consumers(path: Path, poison: Envelope, restarts: int) -> tuple[list[Envelope], int]:
    """Consumers one after another until the queue is empty: what they acked (in order) and
    how many died."""
    acked: list[Envelope] = []
    deaths = 0
    for _ in range(restarts):
        queue = SQLiteQueue(path, 1, max_deliveries=LIMIT)
        try:
            while batch := queue.fetch(BATCH, timeout=0):
                if poison in decode(batch):
                    deaths += 1
                    break  # dies holding the batch: nothing of it acked
                queue.ack(batch)
                acked += decode(batch)
            else:
                if queue.is_empty():
                    return acked, deaths
        finally:
            queue.close()
    raise AssertionError(f"still not empty after {restarts} consumers")


@pytest.mark.parametrize("packed", [False, True], ids=["one by one", "in packs"])
def test_the_poison_is_given_up_alone_and_every_other_envelope_is_handled(
    tmp_path: Path, packed: bool
) -> None:
    path = tmp_path / "broker.sqlite3"
    envelopes = [make_envelope("shop-a", n) for n in range(300)]
    poison = envelopes[137]  # inside the second pack of 100 when published at once
    publisher = SQLiteQueue(path, 1)
    if packed:
        publisher.publish(envelopes)
    else:
        for envelope in envelopes:
            publisher.publish([envelope])
    publisher.close()

    acked, deaths = run_consumers(path, poison, restarts=3 * LIMIT)

    healthy = [e for e in envelopes if e != poison]
    assert sorted(e.resource_id for e in acked) == [e.resource_id for e in healthy]
    assert deaths == LIMIT  # it was handed out LIMIT times, then given up
    survivor = SQLiteQueue(path, 1, max_deliveries=LIMIT)
    try:
        [letter] = survivor.dead_letters()
        assert letter["body"] == poison.to_json()
        assert letter["reason"].startswith("delivery limit reached")
        assert survivor.depth() == 0
    finally:
        survivor.close()


def test_a_healthy_batch_given_back_once_comes_back_in_halves(tmp_path: Path) -> None:
    path = tmp_path / "broker.sqlite3"
    publisher = SQLiteQueue(path, 1)
    for n in range(100):  # one message each (a list published at once would be packs)
        publisher.publish([make_envelope("shop-a", n)])
    publisher.close()
    died = SQLiteQueue(path, 1)
    assert len(died.fetch(BATCH, timeout=0)) == BATCH
    died.close()

    after = SQLiteQueue(path, 1)
    sizes = []
    while batch := after.fetch(BATCH, timeout=0):
        sizes.append(len(batch))
        after.ack(batch)

    # the 64 handed out before: 32 at a time; then the 36 never handed out, in one fetch
    assert sizes == [32, 32, 36]
    assert after.is_empty()
