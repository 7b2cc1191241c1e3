"""Packs: several envelopes in one queued message, one compact JSON document a line.

A queue's cost is mostly per message (RabbitMQ: py-amqp parses each frame in Python; the
embedded queue: each row's B-tree and index entries, its delivery count, its delete), so
both brokers carry a run of envelopes as one message when they are given many at once:
``packs`` cuts the run, ``split_pack`` gives the envelopes back. Compact JSON
(``Envelope.to_json``) holds no raw newline, so a newline separates them; a body that holds
one (not an envelope) always travels alone. A message says how many envelopes it holds
(RabbitMQ in a header, the embedded queue in its ``packs`` table), and a pack whose lines
are not that many is handed out whole, for the consumer to refuse and dead-letter.
"""

from __future__ import annotations

from collections.abc import Sequence

PACK_MAX_ENVELOPES = 100
PACK_MAX_BYTES = 1 << 20  # far below RabbitMQ's largest message (16 MiB by default)
PACK_SEPARATOR = b"\n"


def packs(bodies: Sequence[bytes]) -> list[list[bytes]]:
    """``bodies`` in order, cut where a pack is full (by count or bytes); a body holding a
    newline (not compact JSON) goes alone."""
    cut: list[list[bytes]] = []
    size = 0
    for body in bodies:
        if not cut or _full(cut[-1], size, body):
            cut.append([])
            size = 0
        cut[-1].append(body)
        size += len(body) + len(PACK_SEPARATOR)
    return cut


def split_pack(body: bytes, count: int) -> list[bytes]:
    """The envelope bodies of a message said to hold ``count`` (the whole body when that
    is not a pack's count or not its number of lines)."""
    if count < 2:
        return [body]
    bodies = body.split(PACK_SEPARATOR)
    return bodies if len(bodies) == count else [body]


def _full(pack: list[bytes], size: int, body: bytes) -> bool:
    return (
        len(pack) >= PACK_MAX_ENVELOPES
        or size + len(body) > PACK_MAX_BYTES
        or PACK_SEPARATOR in body
        or PACK_SEPARATOR in pack[0]
    )
