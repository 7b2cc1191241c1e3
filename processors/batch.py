"""A batch on its way through a shop's pipeline: its envelopes decoded into events, the
reason of each one that fails, what it says of the shop's freshness, its events in runs
that end at a job, and changed ids joined by resource."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from processors.decoded import Decoded
from processors.errors import ProcessingError, UnprocessableEvent
from processors.handlers import handle_envelope
from schemas.envelope import Envelope
from schemas.events import CONTROL_EVENTS, ControlEvent, Event
from schemas.shop import DEFAULT_COST_KEYS, CostKeys


def decode_events(
    screened: Sequence[tuple[int, Envelope]],
    failures: dict[int, str],
    cost_keys: CostKeys = DEFAULT_COST_KEYS,
) -> list[Decoded]:
    """The envelopes that can be handled with their events (an imported page gives one per
    element); the reason of each other one goes into ``failures`` under its index.
    ``cost_keys``: the shop's product cost meta keys."""
    decoded: list[Decoded] = []
    for index, envelope in screened:
        try:
            decoded.append(Decoded(index, envelope, handle_envelope(envelope, cost_keys)))
        except UnprocessableEvent as exc:
            failures[index] = str(exc)
        except Exception as exc:  # noqa: BLE001 - the edge: one message's failure, not the batch's
            failures[index] = failure_reason("normalising", exc)
    return decoded


def failure_reason(stage: str, exc: BaseException) -> str:
    """What a dead letter says: our own messages whole, else the stage and the error's type
    (an unexpected error's text may quote the personal data it choked on)."""
    if isinstance(exc, ProcessingError):
        return str(exc)
    return f"{stage} failed: {type(exc).__name__}"


def freshness_meta(
    previous: dict[str, str | None], envelopes: Sequence[Envelope], now: datetime
) -> dict[str, str]:
    newest = max(e.received_at for e in envelopes)
    if previous.get("newest_event_at"):
        newest = max(newest, datetime.fromisoformat(str(previous["newest_event_at"])))
    oldest = min(e.received_at for e in envelopes)
    return {
        "newest_event_at": newest.isoformat(),
        "last_applied_at": now.isoformat(),
        "lag_seconds": f"{max(0.0, (now - oldest).total_seconds()):.3f}",
        "events_applied": str(int(previous.get("events_applied") or 0) + len(envelopes)),
    }


# the state's meta values that say how fresh the shop's views are (``freshness_meta``)
FRESHNESS_KEYS = ("newest_event_at", "last_applied_at", "lag_seconds", "events_applied")


def freshness_file(metas: Mapping[str, str | None]) -> dict[str, object]:
    """The freshness file a publish writes, from the state's ``FRESHNESS_KEYS`` values."""
    lag = metas["lag_seconds"]
    return {
        "newest_event_at": metas["newest_event_at"],
        "last_applied_at": metas["last_applied_at"],
        "lag_seconds": float(lag) if lag else None,
        "events_applied": int(metas["events_applied"] or 0),
    }


def split_at_controls(
    events: Sequence[Event],
) -> Iterator[tuple[list[Event], ControlEvent | None]]:
    """The events in runs that end at a job (or at the end): a job sees the state of
    exactly what came before it in the stream, in a live batch and in replay alike."""
    chunk: list[Event] = []
    for event in events:
        if isinstance(event, CONTROL_EVENTS):
            yield chunk, event
            chunk = []
        else:
            chunk.append(event)
    if chunk:
        yield chunk, None


def joined(*changes: dict[str, list[int]]) -> dict[str, list[int]]:
    """Changed ids by resource, of all of ``changes`` (sorted, each once)."""
    ids: dict[str, set[int]] = {}
    for found in changes:
        for resource, some in found.items():
            ids.setdefault(resource, set()).update(some)
    return {resource: sorted(some) for resource, some in ids.items()}
