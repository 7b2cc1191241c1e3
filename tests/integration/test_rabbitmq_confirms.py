"""Publisher confirms for a whole list, against a real RabbitMQ: ``RabbitPublisher`` sends a
list and waits once, and returns only when every message is in its queue; a message
RabbitMQ refuses (nack, unroutable) fails the publish."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from kombu import Connection

from ingest.errors import BrokerUnavailable
from ingest.messaging.confirms import ConfirmTracker
from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology, connect, publish_body
from tests.integration.broker_support import (
    decode,
    drain,
    make_envelope,
    per_shop_sequences,
    queued_envelopes,
)
from tests.integration.test_rabbitmq_broker import source_for

rabbitmq = pytest.mark.rabbitmq
SHOPS = [f"shop-{i}" for i in range(5)]


@pytest.fixture
def confirm_channel(amqp_url: str, unique_prefix: str) -> Iterator[tuple[Connection, object]]:
    """A channel without per-message confirms, and a queue that refuses its second message."""
    conn = connect(amqp_url, confirm_each=False)
    channel = conn.channel()
    channel.queue_declare(
        unique_prefix,
        durable=True,
        auto_delete=False,
        arguments={"x-max-length": 1, "x-overflow": "reject-publish"},
    )
    try:
        yield conn, channel
    finally:
        channel.queue_delete(unique_prefix)
        conn.release()


@rabbitmq
def test_a_list_returns_only_when_every_message_is_queued_in_order(
    amqp_url: str, topology: RabbitTopology
) -> None:
    envelopes = [make_envelope(shop, i) for i in range(120) for shop in SHOPS]
    publisher = RabbitPublisher(amqp_url, topology)
    try:
        publisher.publish(envelopes)
        # at once: confirmed means queued
        assert queued_envelopes(amqp_url, topology) == len(envelopes)
        publisher.publish(envelopes[:7])  # the same link again: its tags go on counting
        assert queued_envelopes(amqp_url, topology) == len(envelopes) + 7
    finally:
        publisher.close()
    source = source_for(amqp_url, topology, prefetch=1000)
    got = per_shop_sequences(decode(drain(source, len(envelopes) + 7, batch=1000)))
    source.close()
    assert got == {
        shop: list(range(120)) + ([0, 1] if shop in SHOPS[:2] else [0]) for shop in SHOPS
    }


def _sender(channel: object, confirms: ConfirmTracker) -> Callable[[bytes, str], None]:
    """Publish one message to a queue by the default exchange, counted by ``confirms``."""

    def send(body: bytes, queue: str) -> None:
        publish_body(channel, body, "", queue, {})
        confirms.sent()

    return send


@rabbitmq
def test_a_message_the_queue_refuses_fails_the_wait_and_the_next_list_still_confirms(
    confirm_channel: tuple[Connection, object], unique_prefix: str
) -> None:
    conn, channel = confirm_channel
    confirms = ConfirmTracker(channel)
    send = _sender(channel, confirms)
    for body in (b"{}", b"[]", b"1"):  # the queue takes one message and nacks the others
        send(body, unique_prefix)
    with pytest.raises(BrokerUnavailable, match="refused a message: nack"):
        confirms.wait(conn, timeout=5.0)

    channel.queue_purge(unique_prefix)
    send(b"{}", unique_prefix)
    confirms.wait(conn, timeout=5.0)  # returns: acked
    assert channel.queue_declare(unique_prefix, passive=True).message_count == 1


@rabbitmq
def test_an_unroutable_message_fails_the_wait(
    confirm_channel: tuple[Connection, object], unique_prefix: str
) -> None:
    conn, channel = confirm_channel
    confirms = ConfirmTracker(channel)
    send = _sender(channel, confirms)
    send(b"{}", unique_prefix)
    send(b"{}", f"{unique_prefix}-no-such-queue")
    with pytest.raises(BrokerUnavailable, match="unroutable"):
        confirms.wait(conn, timeout=5.0)
