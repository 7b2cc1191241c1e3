"""CPU pinning (Linux): a server process on one core, the load generator on another.

With two cores and no pinning, a Python server's threads and the client hop between cores
and hand the GIL across them, which makes a cheap endpoint's throughput swing by 2-3x
from run to run. Pinned, each side owns a core and the figures repeat.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SERVER_CPU, CLIENT_CPU = 0, 1


def can_pin() -> bool:
    return hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2


def pin_process(pid: int, cpus: set[int]) -> None:
    """Every current thread of ``pid`` (threads it starts later inherit from their parent)."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            os.sched_setaffinity(int(task.name), cpus)
        except ProcessLookupError:
            continue


@contextmanager
def pinned_servers(pids: list[int]) -> Iterator[None]:
    """Servers on SERVER_CPU and this thread (and the threads it starts) on CLIENT_CPU."""
    everything = os.sched_getaffinity(0)
    for pid in pids:
        pin_process(pid, {SERVER_CPU})
    os.sched_setaffinity(0, {CLIENT_CPU})
    try:
        yield
    finally:
        os.sched_setaffinity(0, everything)
        for pid in pids:
            pin_process(pid, everything)


@contextmanager
def pinned_here(cpu: int = SERVER_CPU) -> Iterator[bool]:
    """Every thread of this process on ``cpu`` (threads it starts meanwhile, DuckDB's
    included, inherit it); yields whether it could pin. The processors' target is per
    core: pinned, a whole build cannot borrow the second core."""
    if not can_pin():
        yield False
        return
    everything = os.sched_getaffinity(0)
    pin_process(os.getpid(), {cpu})
    try:
        yield True
    finally:
        pin_process(os.getpid(), everything)
