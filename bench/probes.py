"""Time spent inside named functions while a benchmark runs (wrap, accumulate, restore).

Each probe wraps one attribute of a class or module for the duration of a ``with`` block
and adds up wall time and calls. It costs a microsecond per call, so probe per-batch
functions, not per-event ones.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Tally:
    seconds: float = 0.0
    calls: int = 0
    longest: float = 0.0


@dataclass
class Probes:
    tallies: dict[str, Tally] = field(default_factory=dict)

    def seconds(self, label: str) -> float:
        tally = self.tallies.get(label)
        return tally.seconds if tally else 0.0


Target = tuple[Any, str, str]  # (owner, attribute, label)


def _timed(original: Callable[..., Any], tally: Tally) -> Callable[..., Any]:
    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            took = time.perf_counter() - started
            tally.seconds += took
            tally.calls += 1
            tally.longest = max(tally.longest, took)

    return wrapper


@contextmanager
def probing(targets: list[Target]) -> Iterator[Probes]:
    """Wrap every ``(owner, attribute, label)``; restore the originals on exit."""
    probes = Probes()
    saved: list[tuple[Any, str, Any]] = []
    try:
        for owner, attribute, label in targets:
            original = (
                owner.__dict__[attribute] if isinstance(owner, type) else getattr(owner, attribute)
            )
            tally = probes.tallies.setdefault(label, Tally())
            saved.append((owner, attribute, original))
            setattr(owner, attribute, _timed(getattr(owner, attribute), tally))
        yield probes
    finally:
        for owner, attribute, original in reversed(saved):
            setattr(owner, attribute, original)
