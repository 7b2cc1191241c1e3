"""Python's cyclic garbage collector held off while a batch is decoded and applied.

Decoding a batch allocates a few container objects per event (the event, its line items,
their tuples) and keeps them until the batch is applied, so the collector runs over and
over during a batch, each time walking every object still alive, and finds nothing: events
hold no reference cycles. Measured on 40,000 order bodies: 17 us an event with the
collector off, 27-40 us with it on. Held off for the batch, the collector's counts fall
again as the batch's objects are freed, and it runs, if at all, between batches.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (unless it was off already: left off)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
