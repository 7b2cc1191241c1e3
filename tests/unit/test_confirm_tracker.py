"""ConfirmTracker's counting of RabbitMQ's confirms (pure logic: a channel that only keeps
the callbacks, and a connection that plays a script of confirms; the real broker is in
tests/integration/test_rabbitmq_confirms.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import pytest

from ingest.errors import BrokerUnavailable
from ingest.messaging.confirms import ConfirmTracker


class _Channel:
    def __init__(self) -> None:
        self.events: dict[str, set[Callable[..., None]]] = defaultdict(set)

    def confirm_select(self) -> None:
        pass

    def fire(self, event: str, *args: object) -> None:
        for callback in self.events[event]:
            callback(*args)


class _Connection:
    """Each ``drain_events`` delivers the next frames of ``script``; past its end it
    times out, as a socket with nothing to read does."""

    def __init__(self, channel: _Channel, script: list[list[tuple[str, int, bool]]]) -> None:
        self._channel, self._script, self.drains = channel, list(script), 0

    def drain_events(self, timeout: float) -> None:
        self.drains += 1
        if not self._script:
            raise TimeoutError
        for event, tag, multiple in self._script.pop(0):
            self._channel.fire(event, tag, multiple)


def _sent(count: int) -> tuple[_Channel, ConfirmTracker]:
    channel = _Channel()
    tracker = ConfirmTracker(channel)
    for _ in range(count):
        tracker.sent()
    return channel, tracker


def test_the_wait_ends_when_every_tag_is_acked_alone_or_by_a_multiple_ack() -> None:
    channel, tracker = _sent(6)
    script = [
        [("basic_ack", 2, False), ("basic_ack", 5, False)],  # 1, 3, 4, 6 still open
        [("basic_ack", 4, True)],  # 1..4: with 5, only 6 is open
        [("basic_ack", 6, False)],
    ]
    connection = _Connection(channel, script)
    tracker.wait(connection, timeout=5.0)
    assert connection.drains == 3  # not before the last ack


def test_a_nack_fails_the_wait_only_after_the_rest_are_settled() -> None:
    channel, tracker = _sent(3)
    connection = _Connection(
        channel, [[("basic_ack", 1, False)], [("basic_nack", 2, False)], [("basic_ack", 3, False)]]
    )
    with pytest.raises(BrokerUnavailable, match="nack of delivery tag 2"):
        tracker.wait(connection, timeout=5.0)
    assert connection.drains == 3
    tracker.sent()  # the next list starts clean
    _Connection.__init__(connection, channel, [[("basic_ack", 4, False)]])
    tracker.wait(connection, timeout=5.0)


def test_no_confirm_within_the_timeout_is_broker_unavailable() -> None:
    channel, tracker = _sent(2)
    connection = _Connection(channel, [[("basic_ack", 1, False)]])
    with pytest.raises(BrokerUnavailable, match="confirmed nothing more for 0.05 s"):
        tracker.wait(connection, timeout=0.05)
