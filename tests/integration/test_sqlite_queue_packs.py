"""A list published to the embedded queue at once is stored in packs (one row holds a run of
one partition's envelopes, ``packs.py``): a fetch hands them out one by one and never more
than asked, a row is deleted only when each of its envelopes is acked or dead-lettered, and
a consumer that stops halfway gets the whole pack again. Read straight from the SQLite file
where the tests say what is stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ingest.messaging.packs import PACK_MAX_ENVELOPES
from ingest.messaging.spool import SQLiteQueue
from schemas.envelope import partition_for
from tests.integration.broker_support import decode, interleaved, make_envelope

SHOPS = ["shop-a", "shop-b", "shop-c", "shop-d"]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "broker.sqlite3"


def _rows(path: Path) -> list[tuple[int, int]]:
    """(partition, envelopes) of each stored row, oldest first."""
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT m.partition, coalesce(p.envelopes, 1) FROM messages m"
            " LEFT JOIN packs p ON p.id = m.id ORDER BY m.id"
        ).fetchall()


def test_a_list_is_stored_a_pack_per_partition_and_handed_out_in_each_shops_order(
    path: Path,
) -> None:
    envelopes = interleaved(SHOPS, 30)
    queue = SQLiteQueue(path, 2)
    queue.publish(envelopes)

    per_partition = {p: sum(partition_for(s, 2) == p for s in SHOPS) * 30 for p in (0, 1)}
    assert sorted(_rows(path)) == sorted((p, n) for p, n in per_partition.items() if n)
    assert queue.depth() == len(envelopes)
    got = []
    while batch := queue.fetch(7, timeout=0):
        assert len(batch) <= 7  # never more than asked, though a pack holds more
        got += batch
        queue.ack(batch)
    for partition in (0, 1):
        expected = [e for e in envelopes if partition_for(e.shop_id, 2) == partition]
        assert [e for e in decode(got) if partition_for(e.shop_id, 2) == partition] == expected
    assert _rows(path) == [] and queue.depth() == 0


def test_packs_hold_at_most_the_limit_and_a_body_with_a_newline_goes_alone(path: Path) -> None:
    queue = SQLiteQueue(path, 1)
    envelopes = [make_envelope("shop-a", n) for n in range(PACK_MAX_ENVELOPES + 3)]
    queue.publish_raw([(0, e.to_json()) for e in envelopes[:2]] + [(0, b"not\nan envelope")])
    queue.publish(envelopes[2:])

    assert _rows(path) == [(0, 2), (0, 1), (0, PACK_MAX_ENVELOPES), (0, 1)]
    got = queue.fetch(1000, timeout=0)
    assert got[2].body == b"not\nan envelope"
    assert [e.resource_id for e in decode([*got[:2], *got[3:]])] == list(range(103))


def test_a_pack_is_deleted_only_when_each_envelope_is_settled(path: Path) -> None:
    queue = SQLiteQueue(path, 1)
    queue.publish([make_envelope("shop-a", n) for n in range(4)])
    first, poison, third, fourth = queue.fetch(10, timeout=0)

    queue.ack([first, third])
    assert _rows(path) == [(0, 4)]  # half settled: it stays
    queue.dead_letter(poison, "handler failed: ValueError")
    assert _rows(path) == [(0, 4)]
    queue.ack([fourth])

    assert _rows(path) == []
    [letter] = queue.dead_letters()
    assert letter["body"] == poison.body and letter["reason"] == "handler failed: ValueError"


def test_a_consumer_that_stops_halfway_through_a_pack_leaves_the_rest_to_the_next(
    path: Path,
) -> None:
    envelopes = [make_envelope("shop-a", n) for n in range(6)]
    SQLiteQueue(path, 1).publish(envelopes)
    stopped = SQLiteQueue(path, 1)
    first = stopped.fetch(4, timeout=0)
    stopped.ack(first[:3])  # three of six acked, the fourth taken and not: the row stays
    assert len(first) == 4 and _rows(path) == [(0, 6)]
    stopped.close()

    next_one = SQLiteQueue(path, 1)
    again = next_one.fetch(10, timeout=0)  # the three not acked, and only those
    again += next_one.fetch(10, timeout=0)

    assert decode(again) == envelopes[3:] and all(d.redelivered for d in again)
    assert next_one.depth() == 3
    next_one.ack(again)
    assert _rows(path) == [] and next_one.depth() == 0


def test_a_released_pack_is_handed_out_whole_again(path: Path) -> None:
    queue = SQLiteQueue(path, 1)
    queue.publish([make_envelope("shop-a", n) for n in range(5)])
    batch = queue.fetch(3, timeout=0)  # the other two are held for the next fetch
    queue.release(batch)

    assert [e.resource_id for e in decode(queue.fetch(10, timeout=0))] == [0, 1, 2, 3, 4]


def test_a_pack_past_the_delivery_limit_gives_up_only_the_envelope_that_was_alone(
    path: Path,
) -> None:
    envelopes = [make_envelope("shop-a", n) for n in range(3)]
    SQLiteQueue(path, 1).publish(envelopes)
    crashed = SQLiteQueue(path, 1, max_deliveries=2)
    assert len(crashed.fetch(10, timeout=0)) == 3  # the whole pack: the consumer dies
    crashed.close()
    crashed = SQLiteQueue(path, 1, max_deliveries=2)
    [alone] = crashed.fetch(10, timeout=0)  # handed out once before: one at a time
    assert decode([alone]) == envelopes[:1]
    crashed.close()  # dies again, on that one

    survivor = SQLiteQueue(path, 1, max_deliveries=2)
    rest = survivor.fetch(10, timeout=0)

    assert decode(rest) == envelopes[1:]  # the pack's count starts again: all at once
    given_up = survivor.take_dead_lettered()
    assert [body for body, _ in given_up] == [envelopes[0].to_json()]
    [letter] = survivor.dead_letters()
    assert letter["body"] == envelopes[0].to_json()
    assert "delivery limit" in letter["reason"] and letter["deliveries"] == 2
    survivor.ack(rest)
    assert _rows(path) == []
