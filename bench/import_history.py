"""``import``: history import from a local WooCommerce-compatible server (SPEC 7: 100,000
orders in under 60 s; ``--quick`` imports 10,000 and extrapolates).

The server (``python -m tests.woo_server``) is its own process, sharing no GIL with what is
measured. Per mode: a throwaway data folder, the shop with its REST keys, batch size 2000;
``wcpulse import SHOP`` is timed from its launch until it exits ("published": every page in
the broker) and until the API's all-time ``kpis`` count every sale order (processing,
completed, on-hold, refunded: "visible"). Modes: embedded defaults (``wcpulse run``, started
before the shop is added so its scheduler's first sync pass finds nothing) and RabbitMQ
(``wcpulse process`` + ``wcpulse api``, a unique queue prefix deleted afterwards). CPU
seconds per process show where the time goes; ``--profile`` runs the embedded import under
cProfile (slower). Each mode gives up after 6 minutes.
"""

from __future__ import annotations

import io
import json
import os
import pstats
import re
import resource
import select
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import report
from bench.http_client import Connection, HttpError, build_request
from bench.options import Options
from bench.profiling import OURS
from bench.service import WcpulseService, cpu_seconds, free_port, stop
from ingest.errors import BrokerUnavailable
from ingest.messaging.rabbit import RabbitTopology, connect

TARGET_SECONDS = 60.0
TARGET_ORDERS = 100_000
GIVE_UP_SECONDS = 360.0
SERVER_SECONDS = 300.0  # the woo server generating its shop
POLL_SECONDS = 0.5  # each kpis poll costs the API (in `run`, the processor's GIL)
PARTITIONS = 4
BATCH_SIZE = "2000"
AMQP_URL = os.environ.get("WCPULSE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
ROOT = Path(__file__).resolve().parent.parent
ALL_TIME = "period=custom&from=2000-01-01&to=2030-12-31"


@dataclass
class Timing:
    mode: str
    published_s: float | None = None
    visible_s: float | None = None
    items: int = 0
    orders_at_publish: int = 0
    orders_seen: int = 0
    gave_up: bool = False
    cpu_s: dict[str, float] = field(default_factory=dict)


@contextmanager
def woo_server(orders: int, log_path: Path) -> Iterator[tuple[dict[str, Any], int]]:
    """The server's JSON line (base URL, keys, expected totals) and its pid."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    command = ["-m", "tests.woo_server", "--orders", str(orders), "--port", str(free_port())]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, *command], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=log
        )
    assert process.stdout is not None
    try:
        deadline = time.monotonic() + SERVER_SECONDS
        while not select.select([process.stdout], [], [], 1.0)[0]:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"woo server did not start; see {log_path}")
        yield json.loads(process.stdout.readline()), process.pid
    finally:
        stop(process)
        process.stdout.close()


def _sale_orders(api_port: int, shop: dict[str, Any]) -> int:
    path = f"/api/v1/shops/{shop['shop_id']}/kpis?{ALL_TIME}"
    auth = {"Authorization": f"Bearer {shop['api_token']}"}
    connection = Connection(api_port, timeout=10.0)
    try:
        response = connection.request(build_request("GET", api_port, path, auth))
        if response.status != 200:
            return 0
        return int(json.loads(response.body)["kpis"]["orders"]["value"] or 0)
    except (HttpError, OSError, ValueError, KeyError):
        return 0
    finally:
        connection.close()


def _add_shop(service: WcpulseService, woo: dict[str, Any]) -> dict[str, Any]:
    out = service.cli(
        "shop", "add", "--name", "Bench import", "--url", woo["base_url"], "--json",
        "--consumer-key", woo["key"], "--consumer-secret", woo["secret"],
    )  # fmt: skip
    return dict(json.loads(out))


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _measure(
    timing: Timing,
    service: WcpulseService,
    shop: dict[str, Any],
    expected: int,
    pids: dict[str, int],
    profile: Path | None = None,
) -> Timing:
    """Launch ``wcpulse import`` and poll until it exited and the API shows every order."""
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"import": _children_cpu()}
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    command = [sys.executable, *profiler, "-m", "wcpulse", "import", shop["shop_id"]]
    with open(service.data_dir / "import.log", "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=service.env(), stdout=subprocess.PIPE, stderr=err)
    try:
        while timing.published_s is None or timing.visible_s is None:
            if timing.published_s is None and process.poll() is not None:
                timing.published_s = round(time.perf_counter() - started, 2)
                out = process.communicate()[0].decode()
                if process.returncode != 0:
                    raise RuntimeError(f"wcpulse import failed; see {service.data_dir}/import.log")
                found = re.search(r"imported (\d+) items", out)
                timing.items = int(found.group(1)) if found else 0
                timing.orders_at_publish = _sale_orders(service.port, shop)
            if timing.visible_s is None:
                timing.orders_seen = _sale_orders(service.port, shop)
                if timing.orders_seen >= expected:
                    timing.visible_s = round(time.perf_counter() - started, 2)
            if time.perf_counter() - started > GIVE_UP_SECONDS:
                timing.gave_up = True
                break
            time.sleep(POLL_SECONDS)
    finally:
        stop(process)  # only still running when we gave up
    cpu1 = {name: cpu_seconds(pid) for name, pid in pids.items()} | {"import": _children_cpu()}
    timing.cpu_s = {name: round(cpu1[name] - cpu0[name], 1) for name in cpu0}
    return timing


def _embedded(tmp: Path, woo: dict[str, Any], woo_pid: int, options: Options) -> Timing:
    service = WcpulseService(tmp / "embedded", extra_env={"WCPULSE_BATCH_SIZE": BATCH_SIZE})
    service.data_dir.mkdir()
    process = service.start("run")
    try:
        time.sleep(1.0)  # the scheduler's first pass (a sync of shops with keys) finds none
        shop = _add_shop(service, woo)
        profile = tmp / "import.prof" if options.profile else None
        pids = {"run": process.pid, "woo server": woo_pid}
        return _measure(Timing("embedded"), service, shop, _expected(woo), pids, profile)
    finally:
        stop(process)


def _start_processor(service: WcpulseService) -> subprocess.Popen[bytes]:
    """``wcpulse process`` has no HTTP port: ready when it says it is running."""
    log_path = service.data_dir / "process.log"
    with open(log_path, "ab") as log:
        command = [sys.executable, "-m", "wcpulse", "process"]
        process = subprocess.Popen(command, env=service.env(), stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while b"processor running" not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"wcpulse process did not start; see {log_path}")
        time.sleep(0.1)
    return process


def _rabbitmq(tmp: Path, woo: dict[str, Any], woo_pid: int) -> Timing | None:
    try:
        connect(AMQP_URL).close()
    except BrokerUnavailable as exc:
        report.note(f"rabbitmq: SKIPPED ({exc})")
        return None
    prefix = f"bench_import_{uuid.uuid4().hex[:10]}"
    env = {"WCPULSE_BROKER_URL": AMQP_URL, "WCPULSE_QUEUE_PREFIX": prefix}
    env |= {"WCPULSE_PARTITIONS": str(PARTITIONS), "WCPULSE_BATCH_SIZE": BATCH_SIZE}
    service = WcpulseService(tmp / "rabbitmq", extra_env=env)
    service.data_dir.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        processes.append(_start_processor(service))
        processes.append(service.start("api"))
        shop = _add_shop(service, woo)
        pids = {"process": processes[0].pid, "api": processes[1].pid, "woo server": woo_pid}
        return _measure(Timing("rabbitmq"), service, shop, _expected(woo), pids)
    finally:
        for process in processes:
            stop(process)
        with connect(AMQP_URL) as conn:
            RabbitTopology(prefix, PARTITIONS).delete(conn)


def _expected(woo: dict[str, Any]) -> int:
    totals = woo["expected_totals"]
    return int(totals["sale_orders"]) + int(totals["refunded_orders"])


def _print(timing: Timing, orders: int, expected: int) -> None:
    name = timing.mode
    if timing.published_s is not None:
        rate = report.fmt_rate(report.rate(timing.items, timing.published_s), " items/s")
        report.line(f"{name}: published (import exited)", f"{timing.published_s:.1f} s  {rate}")
        shown = f"{timing.orders_at_publish:,} of {expected:,} sale orders"
        report.line(f"{name}: visible when published", shown)
    if timing.visible_s is not None:
        rate = report.fmt_rate(report.rate(orders, timing.visible_s), " orders/s")
        report.line(f"{name}: visible in the API", f"{timing.visible_s:.1f} s  {rate}")
    if timing.published_s is not None and timing.visible_s is not None:
        report.line(
            f"{name}: processing lag after", f"{timing.visible_s - timing.published_s:.1f} s"
        )
    cpu = ", ".join(f"{who} {seconds:.1f}" for who, seconds in timing.cpu_s.items())
    report.line(f"{name}: CPU seconds", cpu)
    if timing.gave_up:
        seen = f"{timing.orders_seen:,} of {expected:,} sale orders visible"
        report.note(f"WARNING: {name} GAVE UP after {GIVE_UP_SECONDS:.0f} s ({seen})")


def _print_profile(path: Path) -> None:
    """Hot spots of the import's main thread (its page fetchers are threads it waits on)."""
    if not path.exists():
        return
    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(OURS, 15)
    text = out.getvalue().replace(f"{ROOT}/", "")
    text = re.sub(r"/\S*/site-packages/", "", text)
    print("\n   --- cProfile of wcpulse import (embedded; main thread; slows the timing) ---")
    print("\n".join(f"   {row}" for row in text.splitlines() if row.strip()))


def _verdict(timings: list[Timing], orders: int) -> tuple[bool, str]:
    scale = TARGET_ORDERS / orders
    how = "" if orders >= TARGET_ORDERS else f" (EXTRAPOLATED from {orders:,}, start-up too)"
    parts, met = [], bool(timings)
    for timing in timings:
        if timing.visible_s is None:
            parts.append(f"{timing.mode} gave up")
            met = False
            continue
        seconds = timing.visible_s * scale
        ok = seconds < TARGET_SECONDS
        met = met and ok
        parts.append(f"{timing.mode} {seconds:.0f} s")
        figure = f"{timing.mode}: 100k orders visible in {seconds:.1f} s{how}"
        report.verdict(figure, "< 60 s", ok, TARGET_SECONDS / seconds)
    return met, ", ".join(parts) + how


def run(options: Options) -> dict[str, Any]:
    orders = options.size(quick=10_000, default=TARGET_ORDERS)
    what = f"{orders:,} orders via wcpulse import from a local WooCommerce server"
    report.heading("import", f"{what}, embedded and RabbitMQ")
    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as name:
        tmp = Path(name)
        started = time.perf_counter()
        with woo_server(orders, tmp / "woo_server.log") as (woo, woo_pid):
            expected = _expected(woo)
            ready = f"{woo['expected_totals']['orders']:,} orders ({expected:,} sales)"
            report.line("woo server ready", f"{ready} in {time.perf_counter() - started:.0f} s")
            timings.append(_embedded(tmp, woo, woo_pid, options))
            _print(timings[-1], orders, expected)
            rabbit = _rabbitmq(tmp, woo, woo_pid)
            if rabbit is not None:
                timings.append(rabbit)
                _print(rabbit, orders, expected)
        if options.profile:
            _print_profile(tmp / "import.prof")
    one, five, _ = os.getloadavg()
    report.line("load average", f"{one:.2f} / {five:.2f} (1 / 5 min), {os.cpu_count()} CPUs")
    met, headline = _verdict(timings, orders)
    figures = {"headline": headline, "orders": orders, "sale_orders": expected}
    figures |= {"modes": [asdict(timing) for timing in timings], "target_s": TARGET_SECONDS}
    return report.emit("import", figures | {"met": met})
