"""Dead letters that never reach a shop's stream, raised as pipeline_health.

A message the consumer cannot decode, or one the queue gave up on after its delivery limit
(it crashed every consumer that took it), goes to the dead-letter queue before any shop's
pipeline saw it. The consumer notes each one here under the shop it names (a header, the
envelope, or the ``shop_id`` of a body it cannot decode otherwise); after the batch, each
shop's notes enter its stream as one ``job.health_noted`` (cause ``dead_lettered``: how
many and the last reason), applied by the shop's own pipeline like any envelope, so it is
logged, kept in the state and raised as a critical pipeline_health alert at the next publish,
one per cool-down (processors/alerts/health_rules.py). A message the shop's pipeline refused
is dead-lettered too, but the pipeline counts those itself (the ``rejected`` alert).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from schemas.envelope import Envelope, EnvelopeError, shop_named
from schemas.jobs import health_envelope

CAUSE = "dead_lettered"
_REASON_CHARS = 300


@dataclass
class _Note:
    count: int
    reason: str


def shop_of(body: bytes, header: str | None = None) -> str | None:
    """The shop a dead-lettered message belongs to, if anything names it."""
    if header:
        return header
    try:
        return Envelope.from_json(body).shop_id
    except EnvelopeError:
        return shop_named(body)


class DeadLetterNotes:
    """Dead letters by shop, waiting to enter their shop's stream."""

    def __init__(self) -> None:
        self._notes: dict[str, _Note] = {}

    def note(self, shop_id: str, reason: str) -> None:
        note = self._notes.setdefault(shop_id, _Note(0, reason))
        note.count += 1
        note.reason = reason[:_REASON_CHARS]

    def waiting(self, now: datetime) -> list[tuple[str, Envelope]]:
        """Each shop with notes and its ``job.health_noted`` envelope."""
        return [
            (shop_id, health_envelope(shop_id, CAUSE, note.count, note.reason, now))
            for shop_id, note in sorted(self._notes.items())
        ]

    def done(self, shop_id: str) -> None:
        self._notes.pop(shop_id, None)
