"""Print where a run's wall time went, from its probes (parts indented under their whole)."""

from __future__ import annotations

from bench import report
from bench.probes import Probes


def print_breakdown(
    probes: Probes, wall: float, events: int, rest_label: str, overlapping: bool = False
) -> None:
    """One line per probe that was called, then what no top-level probe covered; or, when
    the parts run side by side (``overlapping``), how much longer than the wall time they
    took together."""
    accounted = 0.0
    for label, tally in probes.tallies.items():
        if not tally.calls:
            continue
        if not label.startswith("  "):
            accounted += tally.seconds
        report.line(label, _share(tally.seconds, wall, events) + f" ({tally.calls:,} calls)")
    if overlapping:
        side_by_side = f"{accounted:.2f} s of probed parts in {wall:.2f} s of wall time"
        report.line("the parts overlap", side_by_side)
        return
    report.line(rest_label, _share(wall - accounted, wall, events))


def _share(seconds: float, wall: float, events: int) -> str:
    return f"{seconds:6.2f} s {seconds / wall * 100:5.1f}% {seconds / events * 1e6:7.1f} us/event"


def breakdown_seconds(probes: Probes) -> dict[str, float]:
    return {k.strip(): round(t.seconds, 3) for k, t in probes.tallies.items() if t.calls}
