"""``ingest``: signed webhooks/s through the real receiver vs a bare Flask+HMAC endpoint
(SPEC 7: >= 85% of the bare endpoint on the same server and load).

Both run as separate processes on waitress with 8 threads on 127.0.0.1: ``wcpulse ingest``
(the real entry point: shop registry in SQLite, the webhook journal in front of the
embedded SQLiteQueue, JSON logs at INFO) and ``bench/bare_server.py``. Both get the same
PHP-encoded signed order body, the same number of requests and the same concurrency from a
keep-alive socket client (cheap enough that the server, not the client, is the
bottleneck). The load comes in pairs of
back-to-back rounds (bare then wcpulse, then wcpulse then bare, ...); each pair gives a
ratio and the MEDIAN pair counts, so drift in what else the machine is doing hits both
sides alike. Server CPU per request is reported beside req/s.

Two modes, on the same two server processes: PINNED (both servers on CPU 0, the load
generator on CPU 1; see bench/affinity.py) and UNPINNED (as deployed). Unpinned, on two
cores, the bare endpoint's throughput swings 2-3x with how the scheduler moves its
threads, so the verdict is on the pinned ratio, which repeats; both are printed.

Then, when RabbitMQ is reachable, a third: ``wcpulse ingest`` publishing to RabbitMQ
(queues of its own, deleted after), pinned, against the same bare endpoint. It is printed
beside the others, not judged: the spec's 85% is measured as ``wcpulse run`` deploys by
default. With RabbitMQ the receiver writes to its journal in front of the local spool, and
the same process forwards the spool to RabbitMQ: that work is in its CPU time too.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import processors_rabbit, report
from bench.affinity import CLIENT_CPU, SERVER_CPU, can_pin, pinned_servers
from bench.loadgen import LoadResult, closed_loop
from bench.options import Options
from bench.orders import Delivery, order_body
from bench.service import WcpulseService, cpu_seconds, free_port, start_bare, stop
from bench.stats import describe_ms, summary_ms
from bench.webhooks import signed_request
from ingest.demo.phpjson import php_json_encode
from ingest.messaging.rabbit import RabbitTopology, connect

TARGET_RATIO = 0.85
CONCURRENCY = 4
BARE, WCPULSE = "bare Flask+HMAC", "wcpulse ingest"
PINNED, UNPINNED, RABBITMQ = "pinned", "unpinned", "rabbitmq, pinned"
WARMUP = 300


@dataclass(frozen=True)
class Side:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    raw: bytes
    expected_status: int


@dataclass(frozen=True)
class Round:
    side: str
    load: LoadResult
    server_cpu: float

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / self.load.requests * 1000


def _delivery() -> Delivery:
    created = datetime(2024, 5, 4, 10, 0, tzinfo=UTC)
    body = order_body(4242, 17, created, random.Random(4242))
    return Delivery("order.created", 4242, php_json_encode(body))


def _measure(side: Side, total: int) -> Round:
    closed_loop(side.port, side.raw, WARMUP, CONCURRENCY)
    cpu0 = cpu_seconds(side.process.pid)
    load = closed_loop(side.port, side.raw, total, CONCURRENCY)
    server_cpu = cpu_seconds(side.process.pid) - cpu0
    unexpected = {s: n for s, n in load.statuses.items() if s != side.expected_status}
    if unexpected or load.errors:
        report.note(
            f"WARNING {side.name}: statuses {dict(load.statuses)}, {len(load.errors)} errors"
        )
    return Round(side.name, load, server_cpu)


def _print_pair(number: int, pair: Pair) -> None:
    report.note(f"pair {number}: wcpulse at {pair.ratio * 100:.0f}% of bare")
    for item in (pair.bare, pair.real):
        load = item.load
        report.line(
            f"  {item.side}",
            f"{load.per_second:7,.0f} req/s  server CPU {item.cpu_ms_per_request:.2f} ms/req  "
            f"client CPU {load.client_cpu / load.requests * 1000:.2f} ms/req",
        )
        report.line("", describe_ms(summary_ms(load.latencies)))


def _sides(tmp: Path, delivery: Delivery) -> tuple[Side, Side]:
    service = WcpulseService(tmp / "data")
    service.data_dir.mkdir()
    shop = service.add_shop()
    secret, shop_id = shop["webhook_secret"], shop["shop_id"]
    wcpulse = service.start("ingest")
    bare_port = free_port()
    try:
        bare = start_bare(bare_port, secret, tmp / "bare.log")
    except BaseException:
        stop(wcpulse)
        raise
    return (
        Side(
            BARE,
            bare,
            bare_port,
            signed_request(bare_port, shop_id, secret, delivery),
            200,
        ),
        Side(
            WCPULSE,
            wcpulse,
            service.port,
            signed_request(service.port, shop_id, secret, delivery),
            202,
        ),
    )


@dataclass(frozen=True)
class Pair:
    bare: Round
    real: Round

    @property
    def ratio(self) -> float:
        return self.real.load.per_second / self.bare.load.per_second

    @property
    def cpu_ratio(self) -> float:
        return self.bare.cpu_ms_per_request / self.real.cpu_ms_per_request


def _median_pair(pairs: list[Pair]) -> Pair:
    return sorted(pairs, key=lambda pair: pair.ratio)[(len(pairs) - 1) // 2]


def _least_cpu(pairs: list[Pair]) -> float:
    """Bare / wcpulse server CPU per request, each from its cheapest round: on a shared
    machine, the round least slowed by other work is the closest to the true cost."""
    bare = min(pair.bare.cpu_ms_per_request for pair in pairs)
    real = min(pair.real.cpu_ms_per_request for pair in pairs)
    return bare / real


def _mode_figures(mode: str, pairs: list[Pair]) -> dict[str, Any]:
    ratios = [pair.ratio for pair in pairs]
    median = _median_pair(pairs)
    spread = f"{min(ratios) * 100:.0f}% .. {max(ratios) * 100:.0f}%"
    rates = f"{median.real.load.per_second:,.0f} vs {median.bare.load.per_second:,.0f} req/s"
    cpu = f"{median.real.cpu_ms_per_request:.2f} vs {median.bare.cpu_ms_per_request:.2f} ms"
    report.line(
        f"{mode}: ratio (median pair)", f"{median.ratio * 100:.0f}% ({rates}; pairs {spread})"
    )
    report.line(f"{mode}: server CPU per request", f"{cpu} (wcpulse vs bare)")
    return {
        "ratio": round(median.ratio, 3),
        "ratios": [round(r, 3) for r in ratios],
        "cpu_ratio": round(median.cpu_ratio, 3),
        "least_disturbed_cpu_ratio": round(_least_cpu(pairs), 3),
        "bare_req_per_s": round(median.bare.load.per_second),
        "wcpulse_req_per_s": round(median.real.load.per_second),
        "bare_server_cpu_ms_per_req": round(median.bare.cpu_ms_per_request, 3),
        "wcpulse_server_cpu_ms_per_req": round(median.real.cpu_ms_per_request, 3),
        "wcpulse_latency": summary_ms(median.real.load.latencies),
        "bare_latency": summary_ms(median.bare.load.latencies),
    }


def _conclude(modes: dict[str, list[Pair]], total: int) -> dict[str, Any]:
    """The verdict: on the pinned figure when there is one (it repeats), else unpinned."""
    report.note("")
    figures = {mode: _mode_figures(mode, pairs) for mode, pairs in modes.items()}
    mode = PINNED if PINNED in figures else UNPINNED
    ratio = figures[mode]["ratio"]
    met = ratio >= TARGET_RATIO
    others = ", ".join(f"{m} {f['ratio'] * 100:.0f}%" for m, f in figures.items() if m != mode)
    shown = f"{ratio * 100:.0f}% of bare ({mode})" + (f"; {others}" if others else "")
    report.verdict(shown, f">= {TARGET_RATIO:.0%}", met, ratio / TARGET_RATIO)
    return report.emit(
        "ingest",
        {
            "headline": shown,
            "requests_per_round": total,
            "concurrency": CONCURRENCY,
            "ratio": ratio,
            "verdict_mode": mode,
            "modes": figures,
            "target_ratio": TARGET_RATIO,
            "met": met,
        },
    )


def _pairs(bare: Side, real: Side, total: int, wanted: int) -> list[Pair]:
    """Pairs of rounds, alternately bare first and wcpulse first."""
    pairs = []
    for n in range(wanted):
        first, second = (bare, real) if n % 2 == 0 else (real, bare)
        rounds = {side.name: _measure(side, total) for side in (first, second)}
        pairs.append(Pair(rounds[BARE], rounds[WCPULSE]))
        _print_pair(n + 1, pairs[-1])
    return pairs


def _both_modes(delivery: Delivery, total: int, wanted: int) -> dict[str, list[Pair]]:
    """Pinned pairs (servers on one core, client on the other), then unpinned pairs."""
    modes: dict[str, list[Pair]] = {}
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        bare, real = _sides(Path(tmp), delivery)
        try:
            if can_pin():
                report.note(
                    f"pinned: servers on CPU {SERVER_CPU}, load generator on CPU {CLIENT_CPU}"
                )
                with pinned_servers([bare.process.pid, real.process.pid]):
                    modes[PINNED] = _pairs(bare, real, total, wanted)
            report.note("unpinned: every process may use every CPU (as deployed)")
            modes[UNPINNED] = _pairs(bare, real, total, wanted)
            if can_pin() and processors_rabbit.unreachable() is None:
                modes[RABBITMQ] = _rabbit_pairs(Path(tmp), bare, delivery, total, wanted)
        finally:
            stop(bare.process)
            stop(real.process)
    return modes


def _rabbit_pairs(tmp: Path, bare: Side, delivery: Delivery, total: int, wanted: int) -> list[Pair]:
    """Pinned pairs of the bare endpoint and ``wcpulse ingest`` on RabbitMQ."""
    prefix = f"bench_ingest_{uuid.uuid4().hex[:10]}"
    env = {"WCPULSE_BROKER_URL": processors_rabbit.AMQP_URL, "WCPULSE_QUEUE_PREFIX": prefix}
    service = WcpulseService(tmp / "rabbitmq", extra_env=env)
    service.data_dir.mkdir()
    shop = service.add_shop()
    process = service.start("ingest")
    try:
        raw = signed_request(service.port, shop["shop_id"], shop["webhook_secret"], delivery)
        real = Side(WCPULSE, process, service.port, raw, 202)
        report.note(f"{RABBITMQ}: wcpulse ingest publishing to RabbitMQ, against the same bare")
        with pinned_servers([bare.process.pid, process.pid]):
            return _pairs(bare, real, total, wanted)
    finally:
        stop(process)
        with connect(processors_rabbit.AMQP_URL) as conn:
            RabbitTopology(prefix, 4).delete(conn)


def run(options: Options) -> dict[str, Any]:
    total = options.size(quick=500, default=2_500)
    wanted = options.size(quick=1, default=4)
    delivery = _delivery()
    report.heading(
        "ingest",
        f"{wanted} pair(s) of rounds of {total:,} signed webhooks per mode, {CONCURRENCY} "
        f"keep-alive connections, body {len(delivery.body):,} bytes",
    )
    modes = _both_modes(delivery, total, wanted)
    result = _conclude(modes, total)
    if options.profile:
        from bench.ingest_profile import profile_receiver

        profile_receiver(delivery, 2000)
    return result
