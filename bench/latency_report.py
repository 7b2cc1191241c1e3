"""``bench latency``'s figures: what was sent, what became visible when, what it cost."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import report
from bench.latency_stream import Probe, Stream
from bench.latency_watch import Watcher
from bench.loadgen import Sent
from bench.stats import describe_ms, summary_ms


@dataclass(frozen=True)
class Measured:
    stream: Stream
    sent: list[Sent]
    watchers: list[Watcher]  # one per probe of the stream, in the same order
    wall: float  # seconds from the first send until the watchers stopped
    service_cpu: float  # CPU seconds the service used in that time
    service_peak_mib: float
    log_from: int  # the service log's size when the stream started (what came before is start-up)


def _visible(measured: Measured, probe: Probe, watcher: Watcher, warmup: int) -> list[float]:
    """Seconds from sending to seeing, for the probe's orders sent after the warm-up."""
    sent = measured.sent
    return [
        watcher.seen[order_id] - sent[index].started
        for order_id, index in probe.expected.items()
        if index >= warmup and sent[index].started and order_id in watcher.seen
    ]


def _watched(measured: Measured, probe: Probe, warmup: int) -> int:
    sent = measured.sent
    return sum(1 for index in probe.expected.values() if index >= warmup and sent[index].started)


def _consumer_batches(log_path: Path, log_from: int) -> dict[str, Any]:
    """Batches the consumer committed and publishes it made while measured (its JSON log
    from byte ``log_from``): how many, how big on average, how long each apply and each
    publish took."""
    sizes: list[int] = []
    took: dict[str, list[float]] = {"batch_committed": [], "views_published": []}
    try:
        with open(log_path, "rb") as log:
            log.seek(log_from)
            lines = log.read().decode(errors="replace").splitlines()
    except OSError:
        lines = []
    for text in lines:
        event = next((name for name in took if f'"{name}"' in text), None)
        if event is None:
            continue
        try:
            record = json.loads(text)
            took[event].append(float(record["seconds"]))
            if event == "batch_committed":
                sizes.append(int(record["messages"]))
        except (ValueError, KeyError):
            continue
    mean = sum(sizes) / len(sizes) if sizes else 0.0
    return {
        "batches": len(sizes),
        "mean_messages": round(mean, 1),
        "apply": summary_ms(took["batch_committed"]),
        "publish": summary_ms(took["views_published"]),
    }


def _sending(sent: list[Sent], warmup: int) -> dict[str, Any]:
    measured = sent[warmup:]
    starts = [s.started for s in sent if s.started]
    span = max(starts) - min(starts) if starts else 0.0
    lateness = [s.started - s.scheduled for s in measured if s.started] or [0.0]
    return {
        "events": len(measured),
        "not_sent": len(sent) - len(starts),
        "accepted": sum(1 for s in measured if s.status == 202),
        "send_rate": round((len(starts) - 1) / span, 1) if span > 0 else 0.0,
        "max_send_lateness_ms": round(max(lateness) * 1000, 1),
        "ack": summary_ms([s.answered - s.started for s in measured if s.answered]),
    }


def figures_of(measured: Measured, warmup: int, log_path: Path) -> dict[str, Any]:
    """The run's figures; ``samples`` holds every visibility latency (seconds)."""
    probes: dict[str, Any] = {}
    samples: list[float] = []
    missing = 0
    for probe, watcher in zip(measured.stream.probes, measured.watchers, strict=True):
        visible = _visible(measured, probe, watcher, warmup)
        missing += _watched(measured, probe, warmup) - len(visible)
        samples += visible
        probes[probe.label] = summary_ms(visible)
    changes = measured.watchers[0].changes  # every publish shows new orders
    intervals = [b - a for a, b in zip(changes, changes[1:], strict=False)]
    polls = sum(w.polls for w in measured.watchers)
    errors = [e for w in measured.watchers for e in w.errors]
    return _sending(measured.sent, warmup) | {
        "kinds": measured.stream.kinds,
        "visible": summary_ms(samples),
        "by_kind": probes,
        "not_visible": missing,
        "polls": polls,
        "listing_200": summary_ms([t for w in measured.watchers for t in w.answers]),
        "poll_errors": len(errors),
        "first_poll_error": errors[0] if errors else None,
        "publish_interval": summary_ms(intervals),
        "consumer": _consumer_batches(log_path, measured.log_from),
        "service_cpu_s": round(measured.service_cpu, 1),
        "wall_s": round(measured.wall, 1),
        "service_peak_mib": round(measured.service_peak_mib),
        "samples": samples,
    }


def print_figures(figures: dict[str, Any], settle_seconds: float) -> None:
    kinds = ", ".join(f"{n:,} {topic}" for topic, n in sorted(figures["kinds"].items()))
    sent = f"{figures['events']:,} measured at {figures['send_rate']}/s"
    report.line("sent", f"{sent}, {figures['accepted']:,} answered 202")
    report.line("  of which (all sent)", kinds)
    report.line("sender lateness (max)", f"{figures['max_send_lateness_ms']} ms behind schedule")
    report.line("webhook answered (ack)", describe_ms(figures["ack"]))
    report.line("visible in the API", describe_ms(figures["visible"]))
    if len(figures["by_kind"]) > 1:
        for label, summary in figures["by_kind"].items():
            report.line(f"  {label}", describe_ms(summary))
    report.line("new views seen every", describe_ms(figures["publish_interval"]))
    report.line("watchers' listings (200s)", describe_ms(figures["listing_200"]))
    consumer = figures["consumer"]
    average = f"{consumer['mean_messages']} messages on average"
    report.line("consumer batches", f"{consumer['batches']:,}, {average}")
    report.line("  apply (each batch)", describe_ms(consumer["apply"]))
    report.line("  publish (each)", describe_ms(consumer["publish"]))
    cores = figures["service_cpu_s"] / figures["wall_s"] if figures["wall_s"] else 0.0
    cpu = f"{figures['service_cpu_s']} s in {figures['wall_s']} s ({cores:.2f} cores)"
    report.line("service CPU, stream + settling", cpu)
    report.line("service peak memory", f"{figures['service_peak_mib']:,} MiB")
    _warnings(figures, settle_seconds)


def _warnings(figures: dict[str, Any], settle_seconds: float) -> None:
    if figures["not_sent"]:
        report.note(f"WARNING: {figures['not_sent']} not sent (the server stopped answering)")
    if figures["poll_errors"]:
        report.note(
            f"WARNING: {figures['poll_errors']} failed polls: {figures['first_poll_error']}"
        )
    if figures["not_visible"]:
        late = f"{settle_seconds:.0f} s after the last send"
        report.note(f"WARNING: {figures['not_visible']} orders not visible {late}")
