"""A list published to RabbitMQ goes out in packs (several envelopes of one shop a
message): the consumer gets every envelope in its shop's order, and a message is settled
only when each of its envelopes is acked or dead-lettered, so nothing is lost when a
consumer stops halfway through a pack."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from amqp.channel import Channel

from ingest.messaging.packs import PACK_MAX_ENVELOPES
from ingest.messaging.rabbit import (
    PACK_HEADER,
    SHOP_HEADER,
    RabbitPublisher,
    RabbitTopology,
    connect,
    packed,
    publish_body,
)
from ingest.messaging.rabbit_source import RabbitSource
from tests.integration.broker_support import (
    dead_lettered_past_the_limit,
    decode,
    drain,
    interleaved,
    make_envelope,
    per_shop_sequences,
    queued_envelopes,
    rabbit_topology,
    take_and_die,
)

pytestmark = pytest.mark.rabbitmq
SHOPS = ["shop-0", "shop-1"]


@pytest.fixture
def publisher(amqp_url: str, topology: RabbitTopology) -> Iterator[RabbitPublisher]:
    publisher = RabbitPublisher(amqp_url, topology)
    yield publisher
    publisher.close()


def _source(url: str, topology: RabbitTopology) -> RabbitSource:
    return RabbitSource(url, topology, range(topology.partitions), prefetch=100)


def _pack_taken(
    url: str, topology: RabbitTopology, publisher: RabbitPublisher, envelopes: list
) -> tuple[RabbitSource, list]:
    """``envelopes`` (one shop's: one pack) published, and a consumer holding them all."""
    publisher.publish(envelopes)
    source = _source(url, topology)
    return source, drain(source, len(envelopes))


def _messages_queued(url: str, topology: RabbitTopology) -> int:
    with connect(url) as conn:
        channel = conn.channel()
        names = [topology.queue_name(p) for p in range(topology.partitions)]
        return sum(channel.queue_declare(n, passive=True).message_count for n in names)


def test_a_list_goes_out_in_packs_and_comes_back_envelope_by_envelope_in_order(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    per_shop = PACK_MAX_ENVELOPES + 25  # one full pack and one of 25, for each shop
    envelopes = interleaved(SHOPS, per_shop)

    publisher.publish(envelopes)

    assert _messages_queued(amqp_url, topology) == 2 * len(SHOPS)
    source = _source(amqp_url, topology)
    got = drain(source, len(envelopes))
    source.ack(got)
    source.close()
    assert sorted(d.body for d in got) == sorted(e.to_json() for e in envelopes)
    assert per_shop_sequences(decode(got)) == {shop: list(range(per_shop)) for shop in SHOPS}
    assert {d.shop_id for d in got} == set(SHOPS)
    assert _messages_queued(amqp_url, topology) == 0


def test_a_pack_half_acked_when_the_consumer_stops_comes_back_whole(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    shop = [make_envelope("shop-0", i) for i in range(10)]
    source, first = _pack_taken(amqp_url, topology, publisher, shop)
    source.ack(first[:6])  # the consumer applied six, then died
    source.close()

    again = _source(amqp_url, topology)
    second = drain(again, 10)
    again.ack(second)
    again.close()

    assert [d.body for d in second] == [d.body for d in first]  # applied again: idempotent
    assert all(d.redelivered for d in second)
    assert queued_envelopes(amqp_url, topology) == 0


def test_a_pack_is_acked_once_its_last_envelope_is_settled(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    shop = [make_envelope("shop-0", i) for i in range(10)]
    source, got = _pack_taken(amqp_url, topology, publisher, shop)

    with mock.patch.object(
        Channel, "basic_ack", autospec=True, side_effect=Channel.basic_ack
    ) as spy:
        source.ack(got[:9])
        source.ack(got[:9])  # settled already: nothing is acked twice
        assert spy.call_count == 0  # one envelope of the pack is still unsettled
        source.ack(got[9:])
        assert spy.call_count == 1
    source.close()

    assert queued_envelopes(amqp_url, topology) == 0


def test_one_poison_envelope_of_a_pack_is_dead_lettered_alone(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher
) -> None:
    envelopes = [make_envelope("shop-0", i) for i in range(5)]
    source, (first, poison, *rest) = _pack_taken(amqp_url, topology, publisher, envelopes)

    source.dead_letter(poison, "unknown topic 'order.exploded'")
    source.ack([first, *rest])
    source.close()

    observer = _source(amqp_url, topology)
    [letter] = observer.dead_letters()
    observer.close()
    assert letter["reason"] == "unknown topic 'order.exploded'"
    assert letter["body"] == poison.body == envelopes[1].to_json()
    assert queued_envelopes(amqp_url, topology) == 0


def test_a_pack_past_the_delivery_limit_is_listed_envelope_by_envelope(
    amqp_url: str, unique_prefix: str
) -> None:
    envelopes = [make_envelope("shop-0", i) for i in range(3)]

    letters, left = dead_lettered_past_the_limit(amqp_url, unique_prefix, envelopes)

    assert left == []
    assert [letter["body"] for letter in letters] == [e.to_json() for e in envelopes]
    assert {letter["reason"] for letter in letters} == {"rabbitmq: delivery_limit"}


def test_a_pack_on_its_last_delivery_is_given_up_envelope_by_envelope_with_its_reason(
    amqp_url: str, unique_prefix: str
) -> None:
    """The consumer gives up a message on its last delivery itself (RabbitMQ would, at the
    next death, unseen): each envelope of the pack goes to the dead letters with the reason
    and to ``take_dead_lettered``; a fresh message of the same fetch is handed out."""
    pack = [make_envelope("shop-0", i) for i in range(3)]
    fresh = make_envelope("shop-0", 3)
    with rabbit_topology(amqp_url, unique_prefix, 1, delivery_limit=1) as topology:
        publisher = RabbitPublisher(amqp_url, topology)
        publisher.publish(pack)
        assert take_and_die(amqp_url, topology.queue_name(0)) == 1  # one message: the pack
        publisher.publish([fresh])
        publisher.close()
        source = _source(amqp_url, topology)
        try:
            handed = drain(source, 1)
            given_up = source.take_dead_lettered()
            source.ack(handed)
            letters = source.dead_letters()
        finally:
            source.close()
        left = queued_envelopes(amqp_url, topology)
    reason = "delivery limit reached (1 deliveries without ack)"
    assert decode(handed) == [fresh]
    assert given_up == [(e.to_json(), reason) for e in pack]
    assert [(letter["body"], letter["reason"]) for letter in letters] == given_up
    assert left == 0
    assert source.take_dead_lettered() == []  # told once


def test_a_pack_whose_lines_do_not_match_its_count_is_handed_out_whole(
    amqp_url: str, topology: RabbitTopology
) -> None:
    """A damaged pack is one delivery, which the consumer refuses and dead-letters."""
    [(key, body, headers)] = packed(topology, [make_envelope("shop-0", i) for i in range(3)])
    assert headers == {SHOP_HEADER: "shop-0", PACK_HEADER: 3}
    with connect(amqp_url) as conn:
        channel = conn.channel()
        publish_body(channel, body, topology.exchange, key, headers | {PACK_HEADER: 4})
    source = _source(amqp_url, topology)
    [whole] = drain(source, 1)
    source.ack([whole])
    source.close()
    assert whole.body == body
