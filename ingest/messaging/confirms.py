"""Publisher confirms for a whole list of messages: publish them all, then wait once.

kombu's ``confirm_publish`` waits for RabbitMQ's ack after every message, a round trip
each: about 1,250 messages a second, whatever the batch (``RabbitPublisher`` before this).
Here the channel is put in confirm mode once and RabbitMQ's acks are counted as they come
(one ``basic.ack`` may settle many messages, ``multiple``), so a list of 500 messages costs
one wait. A message is confirmed when RabbitMQ acked it; a ``basic.nack`` or a
``basic.return`` (unroutable, ``mandatory``) means the list was not stored, and the caller
publishes it again (at least once, as before).

Delivery tags count from 1 per channel, in publish order, so "every message up to tag N is
acked" is one number (``_upto``) plus the tags acked alone above it.
"""

from __future__ import annotations

import time
from typing import Any

from ingest.errors import BrokerUnavailable


class ConfirmTracker:
    """Counts RabbitMQ's confirms on one channel (used by one thread at a time)."""

    def __init__(self, channel: Any) -> None:
        channel.confirm_select()
        self._sent = 0  # the tag of the last message published on the channel
        self._upto = 0  # every tag up to this one is acked
        self._singles: set[int] = set()  # tags above ``_upto`` acked alone
        self._refused: str | None = None
        channel.events["basic_ack"].add(self._ack)
        channel.events["basic_nack"].add(self._nack)
        channel.events["basic_return"].add(self._return)

    def sent(self) -> None:
        """One more message went out on the channel."""
        self._sent += 1

    def wait(self, connection: Any, timeout: float) -> None:
        """Return when RabbitMQ has acked every message sent; ``BrokerUnavailable`` when it
        refused one (nack, unroutable) or did not answer within ``timeout`` seconds. A
        refused list is waited for to its end too: no confirm of it is left for the next."""
        deadline = time.monotonic() + timeout
        while self._upto < self._sent:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BrokerUnavailable(f"RabbitMQ confirmed nothing more for {timeout:g} s")
            try:
                connection.drain_events(timeout=remaining)
            except TimeoutError:
                continue
        refused, self._refused = self._refused, None
        if refused is not None:
            raise BrokerUnavailable(f"RabbitMQ refused a message: {refused}")

    def _ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self._upto = max(self._upto, tag)
            self._singles = {t for t in self._singles if t > self._upto}
        else:
            self._singles.add(tag)
        while self._upto + 1 in self._singles:
            self._upto += 1
            self._singles.discard(self._upto)

    def _nack(self, tag: int, multiple: bool) -> None:
        self._refused = f"nack of delivery tag {tag}"
        self._ack(tag, multiple)  # settled, though not stored: the wait ends

    def _return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        self._refused = f"unroutable to {exchange!r} with key {routing_key!r} ({exc})"
