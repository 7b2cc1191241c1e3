"""Where ``bench publish``'s batch time goes: apply and publish split by probes into parts.

The parts are named by where their functions live today (``bench/optional_probes.py``):
one that is gone, or that no batch called, is left out and named, and its own parts move
up under the nearest whole still shown. Each whole is followed by what its parts leave
over ("rest of ..."); a negative rest means a part is no longer called inside its whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bench import report
from bench.optional_probes import Wanted, resolve
from bench.probes import Probes, Target

# Labels starting with spaces are parts of the line above them.
APPLY_PARTS: list[Wanted] = [
    ("processors.pipeline", "decode_events", "decode + normalise"),
    ("store.rawlog", "ParquetRawLog.append", "raw log append"),
    ("store.state", "DuckDBStateStore.apply", "DuckDB apply"),
]
PUBLISH_PARTS: list[Wanted] = [
    ("processors.projections.engine", "ViewEngine.refresh", "refresh views"),
    ("processors.projections.customer_scores", "with_customer_scores", "  RFM scores"),
    ("processors.projections.predictions", "prediction_views", "  clv + churn views"),
    ("store.viewstore", "ViewStore.publish", "write view files"),
    ("store.state", "DuckDBStateStore.published", "forget published changes"),
    ("store.erasure", "write_applied", "erasure ledger"),
]
Parts = dict[str, float]  # label (indented under its whole) -> mean seconds per batch
Rows = list[tuple[str, float]]


@dataclass(frozen=True)
class PartProbes:
    targets: list[Target]
    labels: list[str]  # "apply", its parts, "publish", its parts (as found)
    missing: list[str]


def _depth(label: str) -> int:
    return (len(label) - len(label.lstrip(" "))) // 2


def relevel(labels: list[str], dropped: set[str], base: int = 0) -> dict[str, str]:
    """Each kept label -> itself indented ``base`` levels plus one per kept whole above it."""
    kept: dict[str, str] = {}
    above: list[int] = []  # depths (as written) of the kept wholes above this label
    for label in labels:
        while above and above[-1] >= _depth(label):
            above.pop()
        if label in dropped:
            continue
        kept[label] = "  " * (base + len(above)) + label.strip()
        above.append(_depth(label))
    return kept


def part_probes() -> PartProbes:
    """The probe targets of the parts found; their labels one level under their whole."""
    wanted = {"apply": APPLY_PARTS, "publish": PUBLISH_PARTS}
    _, missing = resolve(APPLY_PARTS + PUBLISH_PARTS)
    targets: list[Target] = []
    labels: list[str] = []
    for whole, parts in wanted.items():
        names = relevel([label for *_, label in parts], set(missing), base=1)
        found = [(module, name, names[label]) for module, name, label in parts if label in names]
        targets += resolve(found)[0]
        labels += [whole, *names.values()]
    return PartProbes(targets, labels, missing)


def breakdown(
    probes: Probes, found: PartProbes, wholes: tuple[float, float], batches: int
) -> Parts:
    """Mean seconds per batch of apply and publish (``wholes``) and of each part called."""
    parts = {"apply": wholes[0], "publish": wholes[1]}
    for label in found.labels:
        tally = probes.tallies.get(label)
        if tally is not None and tally.calls:
            parts[label] = tally.seconds / batches
    return {label: parts[label] for label in found.labels if label in parts}


def aligned(columns: Sequence[Parts], labels: list[str]) -> tuple[list[Parts], list[str]]:
    """The columns over the same labels: a part no column called is left out (returned),
    its parts move up a level; a part some column did not call counts 0 there."""
    idle = [label for label in labels if all(label not in parts for parts in columns)]
    names = relevel(labels, set(idle))
    return [{names[k]: parts.get(k, 0.0) for k in names} for parts in columns], idle


def part_rows(parts: Parts) -> Rows:
    """``parts`` in order, each whole with parts followed by what they leave over."""
    labels, rows = list(parts), []

    def block(start: int, level: int, whole: str) -> int:
        index, covered = start, 0.0
        while index < len(labels) and _depth(labels[index]) >= level:
            label = labels[index]
            rows.append((label, parts[label]))
            covered += parts[label]
            index = block(index + 1, level + 1, label)
        if index > start and level > 0:
            rows.append(("  " * level + f"(rest of {whole.strip()})", parts[whole] - covered))
        return index

    block(0, 0, "")
    return rows


def part_paths(parts: Parts, labels: list[str]) -> dict[str, float]:
    """``part_rows`` keyed by path (``publish/build views/(rest of build views)``), for JSON."""
    paths: dict[str, float] = {}
    above: list[str] = []
    for label, seconds in part_rows(aligned([parts], labels)[0][0]):
        del above[_depth(label) :]
        above.append(label.strip())
        paths["/".join(above)] = seconds
    return paths


def fmt_seconds(value: float) -> str:
    return f"{value:.2f} s" if abs(value) >= 1 else f"{value * 1000:,.0f} ms"


def print_parts(columns: Sequence[tuple[str, Parts]], found: PartProbes) -> None:
    """One line per part, one column (mean per batch) per shop, then the biggest part of
    the last shop's batch."""
    report.note("")
    report.line("where a batch's time goes (mean)", "".join(f"{n:>10}" for n, _ in columns))
    shown, idle = aligned([parts for _, parts in columns], found.labels)
    tables = [part_rows(parts) for parts in shown]
    for n, (label, _) in enumerate(tables[0]):
        report.line(label, "".join(f"{fmt_seconds(table[n][1]):>10}" for table in tables))
    for label in found.missing:
        report.note(f"(probe left out, function not found: {label.strip()})")
    for label in idle:
        report.note(f"(probe left out, never called: {label.strip()})")
    _print_biggest(columns[-1][0], tables[-1])


def _print_biggest(name: str, rows: Rows) -> None:
    total = sum(seconds for label, seconds in rows if _depth(label) == 0)
    parts = [row for row in rows if _depth(row[0]) == 1]
    if not parts or total <= 0:
        return
    label, seconds = max(parts, key=lambda row: row[1])
    share = f"{seconds / total * 100:.0f}% of apply + publish"
    report.line(f"biggest part at {name}", f"{label.strip()}: {fmt_seconds(seconds)}, {share}")
