"""Real server processes for benchmarks: ``wcpulse`` commands and the bare baseline.

Every process listens on 127.0.0.1 on a free port, writes its output to a log file in the
benchmark's temporary folder and is stopped (SIGTERM, then SIGKILL) by the benchmark that
started it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.http_client import Connection, HttpError, build_request

SECRET_KEY = "0" * 64  # WCPULSE_SECRET_KEY for throwaway data folders
READY_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time so far of a process and of the children it runs now (``wcpulse
    run``'s processor child; Linux /proc)."""
    return sum(_own_cpu_seconds(p) for p in (pid, *_children(pid)))


def _own_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # ended meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    tasks = Path(f"/proc/{pid}/task")
    for task in tasks.iterdir() if tasks.exists() else []:
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            continue
    return found


def wait_until_ready(port: int, process: subprocess.Popen[bytes], path: str = "/healthz") -> None:
    deadline = time.monotonic() + READY_SECONDS
    raw = build_request("GET", port, path, {})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before it was ready")
        connection = Connection(port, timeout=2.0)
        try:
            if connection.request(raw).status == 200:
                return
        except (HttpError, OSError):
            pass
        finally:
            connection.close()
        time.sleep(0.1)
    raise RuntimeError(f"server on port {port} not ready after {READY_SECONDS:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass
class WcpulseService:
    """``wcpulse`` commands on one data folder (embedded broker and SQLite metadata)."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
        env.update(
            WCPULSE_DATA_DIR=str(self.data_dir),
            WCPULSE_HOST="127.0.0.1",
            WCPULSE_PORT=str(self.port),
            WCPULSE_ALLOW_HTTP_SHOPS="1",
            WCPULSE_SECRET_KEY=SECRET_KEY,
        )
        return env | self.extra_env

    def cli(self, *args: str, timeout: float = 900) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "wcpulse", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"wcpulse {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def add_shop(self, timezone: str = "UTC") -> dict[str, Any]:
        out = self.cli(
            "shop", "add", "--name", "Bench", "--url", "http://127.0.0.1/shop",
            "--timezone", timezone, "--json",
        )  # fmt: skip
        return dict(json.loads(out))

    def start(self, command: str) -> subprocess.Popen[bytes]:
        log = open(self.data_dir / f"{command}.log", "ab")  # noqa: SIM115 (the child owns it)
        process = subprocess.Popen(
            [sys.executable, "-m", "wcpulse", command],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        try:
            wait_until_ready(self.port, process)
        except BaseException:
            stop(process)
            raise
        return process


def start_bare(port: int, secret: str, log_path: Path) -> subprocess.Popen[bytes]:
    """The baseline: Flask + HMAC check on waitress (``bench/bare_server.py``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    env["BENCH_BARE_SECRET"] = secret  # not on the command line, where ps shows it
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_server", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parent.parent,
        )
    try:
        wait_until_ready(port, process)
    except BaseException:
        stop(process)
        raise
    return process
