"""How a list of envelopes is cut into RabbitMQ messages (``packed``) and read back
(``unpacked``): pure logic, no broker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ingest.messaging.packs import PACK_MAX_BYTES, PACK_MAX_ENVELOPES
from ingest.messaging.rabbit import (
    PACK_HEADER,
    SHOP_HEADER,
    RabbitTopology,
    packed,
    unpacked,
)
from schemas.envelope import Envelope, partition_for

TOPOLOGY = RabbitTopology("unit", 4)


def _envelope(shop_id: str, seq: int, note: str = "") -> Envelope:
    return Envelope(
        shop_id=shop_id,
        topic="order.updated",
        resource="order",
        event="updated",
        resource_id=seq,
        body=json.dumps({"id": seq, "note": note}),
        received_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


def _read_back(messages: list) -> list[bytes]:
    return [body for _, message, headers in messages for body in unpacked(message, headers)]


def test_each_shop_gets_packs_of_at_most_the_limit_routed_to_its_partition() -> None:
    envelopes = [_envelope(shop, i) for i in range(PACK_MAX_ENVELOPES + 1) for shop in "ab"]

    messages = packed(TOPOLOGY, envelopes)

    counts = [(headers[SHOP_HEADER], headers.get(PACK_HEADER, 1)) for _, _, headers in messages]
    assert counts == [("a", PACK_MAX_ENVELOPES), ("a", 1), ("b", PACK_MAX_ENVELOPES), ("b", 1)]
    for key, _, headers in messages:
        assert key == TOPOLOGY.routing_key(partition_for(headers[SHOP_HEADER], 4))
    by_shop = {shop: [e.to_json() for e in envelopes if e.shop_id == shop] for shop in "ab"}
    assert _read_back(messages) == by_shop["a"] + by_shop["b"]


def test_a_pack_stays_under_the_byte_limit() -> None:
    big = "x" * (PACK_MAX_BYTES // 3)
    envelopes = [_envelope("a", i, big) for i in range(7)]

    messages = packed(TOPOLOGY, envelopes)

    assert all(len(body) <= PACK_MAX_BYTES for _, body, _ in messages)
    assert [headers.get(PACK_HEADER, 1) for _, _, headers in messages] == [2, 2, 2, 1]
    assert _read_back(messages) == [e.to_json() for e in envelopes]


def test_an_envelope_bigger_than_the_byte_limit_goes_alone() -> None:
    envelopes = [_envelope("a", 0), _envelope("a", 1, "y" * PACK_MAX_BYTES), _envelope("a", 2)]

    messages = packed(TOPOLOGY, envelopes)

    assert [headers.get(PACK_HEADER, 1) for _, _, headers in messages] == [1, 1, 1]
    assert _read_back(messages) == [e.to_json() for e in envelopes]


def test_a_single_envelope_is_a_plain_message() -> None:
    envelope = _envelope("a", 0)
    [(_, body, headers)] = packed(TOPOLOGY, [envelope])

    assert headers == {SHOP_HEADER: "a"}
    assert body == envelope.to_json()


def test_a_pack_whose_lines_do_not_match_its_count_is_one_body() -> None:
    assert unpacked(b"a\nb\nc", {PACK_HEADER: 3}) == [b"a", b"b", b"c"]
    assert unpacked(b"a\nb\nc", {PACK_HEADER: 2}) == [b"a\nb\nc"]
    assert unpacked(b"a\nb", {}) == [b"a\nb"]  # no header: not a pack
    assert unpacked(b"a\nb", {PACK_HEADER: "2"}) == [b"a\nb"]
