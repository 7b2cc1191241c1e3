"""Optional cProfile of a benchmark's hot part (``--profile``).

Prints the top functions by own time, then (with ``focus``) wcpulse's own functions by
cumulative time, which is where the time of one call goes.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TOP = 25
ROOT = str(Path(__file__).resolve().parent.parent) + "/"
OURS = r"/(schemas|ingest|processors|store|api|wcpulse)/[a-z_]+\.py"


def _shorten(text: str) -> str:
    for prefix in sorted({ROOT, *(p + "/" for p in sys.path if p)}, key=len, reverse=True):
        text = text.replace(prefix, "")
    return text


def _print(profiler: cProfile.Profile, sort: str, restrict: tuple[object, ...], title: str) -> None:
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(*restrict)
    print(f"\n   --- {title} ---")
    lines = _shorten(out.getvalue()).splitlines()
    body = [row for row in lines if row.strip() and "function calls" not in row]
    print(
        "\n".join("   " + row for row in body if not row.lstrip().startswith(("Ordered", "List")))
    )


@contextmanager
def profiled(enabled: bool, label: str, focus: str | None = OURS) -> Iterator[None]:
    """Profile the block when ``enabled``; print the hot spots when it ends."""
    if not enabled:
        yield
        return
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        _print(profiler, "tottime", (TOP,), f"cProfile of {label}: own time")
        if focus:
            _print(
                profiler, "cumulative", (focus, TOP), f"cProfile of {label}: wcpulse, cumulative"
            )
