"""SQLiteQueue: the embedded durable broker on a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import Envelope, partition_for
from tests.integration.broker_support import (
    decode,
    drain,
    interleaved,
    make_envelope,
    per_shop_sequences,
    read_records,
    start_script,
    wait_until,
)

SHOPS = [f"shop-{i}" for i in range(7)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "broker.sqlite3"


def publish_each(queue: SQLiteQueue, envelopes: list[Envelope]) -> None:
    """Each envelope a message of its own (a list published at once is packed:
    ``test_sqlite_queue_packs.py``)."""
    for envelope in envelopes:
        queue.publish([envelope])


def test_published_envelopes_come_back_intact_and_ack_removes_them(path: Path) -> None:
    queue = SQLiteQueue(path, 4)
    envelopes = interleaved(SHOPS[:3], 4)
    queue.publish(envelopes)
    assert queue.depth() == 12

    deliveries = drain(queue, 12)

    by_id = {e.envelope_id: e for e in decode(deliveries)}
    assert by_id == {e.envelope_id: e for e in envelopes}
    assert not any(d.redelivered for d in deliveries)
    queue.ack(deliveries)
    assert queue.depth() == 0 and queue.is_empty()
    assert queue.fetch(10, timeout=0) == []


def test_each_shop_lands_in_its_partition_in_publish_order(path: Path) -> None:
    SQLiteQueue(path, 4).publish(interleaved(SHOPS, 10))

    for partition in range(4):
        source = SQLiteQueue(path, 4, consume=[partition])
        expected_shops = {s for s in SHOPS if partition_for(s, 4) == partition}
        deliveries = drain(source, 10 * len(expected_shops), batch=7)
        assert {d.partition for d in deliveries} <= {partition}
        sequences = per_shop_sequences(decode(deliveries))
        assert set(sequences) == expected_shops
        assert all(seq == list(range(10)) for seq in sequences.values())
        source.close()


def test_a_consumer_of_several_partitions_gets_theirs_oldest_first_across_them(
    path: Path,
) -> None:
    envelopes = interleaved(SHOPS, 3)
    publish_each(SQLiteQueue(path, 4), envelopes)
    source = SQLiteQueue(path, 4, consume=[3, 0])

    batches = [source.fetch(4, timeout=0) for _ in range(5)]

    expected = [e for e in envelopes if partition_for(e.shop_id, 4) in (0, 3)]
    assert [e.envelope_id for b in batches for e in decode(b)] == [e.envelope_id for e in expected]
    assert batches[-1] == [] and all(len(b) == 4 for b in batches[:3])


def test_fetched_rows_are_not_handed_out_twice_but_a_new_instance_redelivers_them(
    path: Path,
) -> None:
    queue = SQLiteQueue(path, 2)
    publish_each(queue, interleaved(SHOPS[:2], 3))
    first = queue.fetch(4, timeout=0)
    rest = queue.fetch(10, timeout=0)
    assert len(first) == 4 and len(rest) == 2
    assert queue.fetch(10, timeout=0) == []
    queue.ack(rest)
    queue.close()

    restarted = SQLiteQueue(path, 2)
    again = restarted.fetch(10, timeout=0)

    assert [d.body for d in again] == [d.body for d in first]
    assert all(d.redelivered for d in again)


def test_released_rows_are_handed_out_again_in_order(path: Path) -> None:
    queue = SQLiteQueue(path, 1)
    queue.publish([make_envelope("shop-0", i) for i in range(5)])
    batch = queue.fetch(3, timeout=0)
    queue.release(batch)

    again = queue.fetch(10, timeout=0)

    assert [e.resource_id for e in decode(again)] == [0, 1, 2, 3, 4]


def test_dead_letter_keeps_the_reason_and_other_messages_keep_flowing(path: Path) -> None:
    queue = SQLiteQueue(path, 1)
    queue.publish([make_envelope("shop-0", i) for i in range(3)])
    first, poison, last = queue.fetch(3, timeout=0)

    queue.dead_letter(poison, "handler failed: ValueError('bad total')")
    queue.ack([first, last])
    queue.publish([make_envelope("shop-0", 3)])

    assert [e.resource_id for e in decode(queue.fetch(10, timeout=0))] == [3]
    [letter] = queue.dead_letters()
    assert letter["reason"] == "handler failed: ValueError('bad total')"
    assert letter["body"] == poison.body
    assert letter["partition"] == 0
    assert letter["dead_lettered_at"]


def test_a_message_that_is_never_acked_is_dead_lettered_after_the_delivery_limit(
    path: Path,
) -> None:
    publish_each(SQLiteQueue(path, 1), [make_envelope("shop-0", 0), make_envelope("shop-0", 1)])
    for _ in range(2):  # two consumers crash with the batch in hand
        crashed = SQLiteQueue(path, 1, max_deliveries=2)
        assert len(crashed.fetch(1, timeout=0)) == 1
        crashed.close()

    survivor = SQLiteQueue(path, 1, max_deliveries=2)
    [delivery] = survivor.fetch(10, timeout=0)

    assert decode([delivery])[0].resource_id == 1
    [letter] = survivor.dead_letters()
    assert "delivery limit" in letter["reason"]
    assert letter["deliveries"] == 2


def test_a_delivery_count_an_older_version_kept_in_the_message_row_still_counts(
    path: Path,
) -> None:
    publish_each(SQLiteQueue(path, 1), [make_envelope("shop-0", 0), make_envelope("shop-0", 1)])
    older = sqlite3.connect(path)  # as versions before delivery_counts left a fetched row
    older.execute("UPDATE messages SET deliveries = 2 WHERE id = (SELECT min(id) FROM messages)")
    older.commit()
    older.close()

    crashed = SQLiteQueue(path, 1, max_deliveries=3)
    # handed out twice already: from there on alone (the others wait for the next fetch)
    assert [d.redelivered for d in crashed.fetch(10, timeout=0)] == [True]
    crashed.close()
    survivor = SQLiteQueue(path, 1, max_deliveries=3)
    [delivery] = survivor.fetch(10, timeout=0)

    assert decode([delivery])[0].resource_id == 1 and not delivery.redelivered
    [letter] = survivor.dead_letters()
    assert letter["deliveries"] == 3


def test_fetch_waits_for_a_publish_from_another_thread(path: Path) -> None:
    queue = SQLiteQueue(path, 2)
    timer = threading.Timer(0.1, queue.publish, args=([make_envelope("shop-1", 0)],))
    started = time.monotonic()
    timer.start()

    deliveries = queue.fetch(10, timeout=5)

    assert len(deliveries) == 1
    assert time.monotonic() - started < 2


def test_fetch_gives_up_after_the_timeout_on_an_empty_queue(path: Path) -> None:
    queue = SQLiteQueue(path, 2)
    started = time.monotonic()

    assert queue.fetch(10, timeout=0.2) == []
    assert 0.2 <= time.monotonic() - started < 2


def test_concurrent_publishers_and_a_consumer_lose_and_duplicate_nothing(path: Path) -> None:
    queue = SQLiteQueue(path, 4)
    threads = [
        threading.Thread(
            target=lambda shop=shop: [
                queue.publish([make_envelope(shop, 2 * i), make_envelope(shop, 2 * i + 1)])
                for i in range(40)
            ]
        )
        for shop in SHOPS
    ]
    for thread in threads:
        thread.start()
    received = []
    deadline = time.monotonic() + 20
    while len(received) < 80 * len(SHOPS) and time.monotonic() < deadline:
        batch = queue.fetch(50, timeout=0.2)
        queue.ack(batch)
        received += decode(batch)
    for thread in threads:
        thread.join()

    assert len({e.envelope_id for e in received}) == len(received) == 80 * len(SHOPS)
    assert all(seq == list(range(80)) for seq in per_shop_sequences(received).values())
    assert queue.is_empty()


def test_changing_the_partition_count_is_refused_while_messages_wait(path: Path) -> None:
    SQLiteQueue(path, 4).publish([make_envelope("shop-0", 0)])
    with pytest.raises(ValueError, match="partitions"):
        SQLiteQueue(path, 8)

    drained = SQLiteQueue(path, 4)
    drained.ack(drained.fetch(10, timeout=0))
    assert SQLiteQueue(path, 8).partitions == 8


def test_kill_9_of_publisher_and_consumer_loses_nothing_that_was_published(
    path: Path, tmp_path: Path
) -> None:
    published, consumed = tmp_path / "published.jsonl", tmp_path / "consumed.jsonl"
    SQLiteQueue(path, 4).close()  # create the file before two processes race to
    publisher = start_script("broker_publisher", str(published), str(path), "4", "5")
    consumer = start_script("broker_consumer", str(consumed), "40", "sqlite", str(path), "4")
    try:
        wait_until(consumed.exists, 30, "the consumer to record its batch")
        wait_until(lambda: len(read_records(published)) >= 200, 30, "200 published envelopes")
    finally:
        for process in (publisher, consumer):
            os.kill(process.pid, signal.SIGKILL)
            process.wait(10)

    in_flight = read_records(consumed)
    acknowledged = {r["envelope_id"] for r in read_records(published)}
    restarted = SQLiteQueue(path, 4)
    everything = restarted.fetch(100_000, timeout=0)
    ids = {e.envelope_id: d for e, d in zip(decode(everything), everything, strict=True)}

    assert len(in_flight) == 40
    assert acknowledged <= ids.keys()
    assert all(ids[r["envelope_id"]].redelivered for r in in_flight)
    sequences = per_shop_sequences(decode(everything))
    assert all(seq == sorted(seq) for seq in sequences.values())
