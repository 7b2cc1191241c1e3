"""RabbitSource acks a batch with one ``multiple`` ack when that settles exactly the batch,
and one ack per message when other deliveries of the channel are still in hand. Each
envelope is published on its own here, so that each is a message of its own (a list goes
out in packs: ``test_rabbitmq_packs.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from amqp.channel import Channel

from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology
from ingest.messaging.rabbit_source import RabbitSource
from tests.integration.broker_support import decode, drain, interleaved, make_envelope

pytestmark = pytest.mark.rabbitmq
SHOPS = ["shop-0", "shop-1", "shop-2"]  # partitions 3, 1, 0 of 4: all on the one channel


@pytest.fixture
def publisher(amqp_url: str, topology: RabbitTopology) -> Iterator[RabbitPublisher]:
    publisher = RabbitPublisher(amqp_url, topology)
    yield publisher
    publisher.close()


@pytest.fixture
def acks() -> Iterator[list[tuple[int, bool]]]:
    """``(delivery_tag, multiple)`` of every basic_ack sent while the test runs."""
    sent: list[tuple[int, bool]] = []
    original = Channel.basic_ack

    def spy(channel: Channel, delivery_tag: int, multiple: bool = False, **kw: Any) -> Any:
        sent.append((delivery_tag, multiple))
        return original(channel, delivery_tag, multiple, **kw)

    with mock.patch.object(Channel, "basic_ack", spy):
        yield sent


def _publish_each(publisher: RabbitPublisher, envelopes: list) -> None:
    for envelope in envelopes:
        publisher.publish([envelope])


def _source(url: str, topology: RabbitTopology) -> RabbitSource:
    return RabbitSource(url, topology, range(topology.partitions), prefetch=100)


def _left_in_queues(url: str, topology: RabbitTopology) -> list:
    """What a fresh consumer gets until half a second passes without a message (closing it
    hands the messages back): one fetch returns as soon as some arrived, not all."""
    source = _source(url, topology)
    left: list = []
    try:
        while found := source.fetch(100, timeout=0.5):
            left += found
        return left
    finally:
        source.close()


def test_a_whole_batch_is_settled_by_one_multiple_ack(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher, acks: list
) -> None:
    _publish_each(publisher, interleaved(SHOPS, 5))
    source = _source(amqp_url, topology)
    batch = drain(source, 15)

    source.ack(batch)
    source.close()

    assert [multiple for _, multiple in acks] == [True]
    assert _left_in_queues(amqp_url, topology) == []


def test_one_shops_part_of_a_batch_is_acked_without_settling_the_others(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher, acks: list
) -> None:
    _publish_each(publisher, interleaved(SHOPS, 5))
    source = _source(amqp_url, topology)
    batch = drain(source, 15)
    middle = [d for d, e in zip(batch, decode(batch), strict=True) if e.shop_id == "shop-1"]

    source.ack(middle)
    source.close()  # the unacked messages go back to their queues
    left = _left_in_queues(amqp_url, topology)

    assert sorted(e.shop_id for e in decode(left)) == ["shop-0"] * 5 + ["shop-2"] * 5
    assert all(d.redelivered for d in left)
    assert len(acks) > 1


def test_after_the_other_shops_are_acked_the_last_shop_takes_one_multiple_ack(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher, acks: list
) -> None:
    _publish_each(publisher, interleaved(SHOPS, 5))
    source = _source(amqp_url, topology)
    batch = drain(source, 15)
    shops = [e.shop_id for e in decode(batch)]
    first, *others = [[d for d, s in zip(batch, shops, strict=True) if s == shop] for shop in SHOPS]

    source.ack([d for part in others for d in part])
    acks.clear()
    source.ack(first)
    source.close()

    assert [multiple for _, multiple in acks] == [True]
    assert _left_in_queues(amqp_url, topology) == []


def test_a_dead_lettered_message_does_not_hold_back_the_batchs_multiple_ack(
    amqp_url: str, topology: RabbitTopology, publisher: RabbitPublisher, acks: list
) -> None:
    _publish_each(publisher, [make_envelope("shop-0", i) for i in range(5)])
    source = _source(amqp_url, topology)
    first, poison, *rest = drain(source, 5)

    source.dead_letter(poison, "handler failed")
    acks.clear()
    source.ack([first, *rest])
    source.ack([first])  # acked already: left alone, the channel stays open
    source.close()

    assert [multiple for _, multiple in acks] == [True]
    assert _left_in_queues(amqp_url, topology) == []
    observer = _source(amqp_url, topology)
    assert len(observer.dead_letters()) == 1
    observer.close()
