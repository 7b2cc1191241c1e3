"""``wcpulse run``'s stream processor in a process of its own.

The web server (receiver, read API, dashboard) and the processor share nothing but the
data directory, the embedded queue and the metadata database, so they need not share one
interpreter lock either: in one process, every webhook and every API request held up the
processor's many short DuckDB statements, and a publish of a 1M-order shop took about 40%
longer under 200 webhooks a second (``bench latency --full``). ``wcpulse run`` therefore
starts ``wcpulse process`` as a child with the same settings and data directory, starts it
again when it dies, and stops it with SIGTERM when it stops itself (the child finishes its
batch and publishes first). The child ignores Ctrl-C (the terminal sends it to both: the
parent decides), and stops by itself when its parent is gone (a ``kill -9`` of
``wcpulse run``), so it never holds a shop's writer lock for a stopped service.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import structlog

from schemas.settings import Settings

PARENT_ENV = "WCPULSE_PARENT_PID"  # set for the child: the pid of the ``wcpulse run`` it serves
RESTART_SECONDS = 1.0  # pause before starting a processor that died
STOP_SECONDS = 30.0  # how long a stop waits for the child's last batch and publish
WATCH_SECONDS = 0.5

log = structlog.get_logger(__name__)


class ProcessorChild:
    """``wcpulse process`` (all partitions) as a supervised child of this process."""

    def __init__(self, settings: Settings, stop: threading.Event) -> None:
        self._env = os.environ | {
            "WCPULSE_DATA_DIR": str(settings.data_dir.resolve()),
            PARENT_ENV: str(os.getpid()),
        }
        self._stop = stop
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        self._spawn()
        self._supervisor = threading.Thread(
            target=self._supervise, name="wcpulse-processor-supervisor", daemon=True
        )
        self._supervisor.start()

    def alive(self) -> bool:
        with self._lock:
            return self._process is not None and self._process.poll() is None

    def check(self) -> None:
        """The readiness check (``/readyz``): raises while no processor runs."""
        if not self.alive():
            raise RuntimeError("the stream processor is not running (being started again)")

    def join(self, timeout: float = STOP_SECONDS) -> None:
        """Stop the child (SIGTERM) and wait for it; killed when it does not end in time."""
        self._stop.set()
        with self._lock:
            process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            log.error("processor_stop_timed_out_killing", pid=process.pid)
            process.kill()
            process.wait(timeout=10)

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "wcpulse", "process"]
        process = subprocess.Popen(command, env=self._env, stdin=subprocess.DEVNULL)
        with self._lock:
            self._process = process
        return process

    def _supervise(self) -> None:
        while not self._stop.wait(WATCH_SECONDS):
            with self._lock:
                process = self._process
            code = process.poll() if process is not None else None
            if code is None or self._stop.is_set():
                continue
            log.error("processor_exited_restarting", exit_status=code, in_seconds=RESTART_SECONDS)
            if not self._stop.wait(RESTART_SECONDS):
                self._spawn()


def parent_pid() -> int | None:
    """The pid of the ``wcpulse run`` this process serves as its processor (None: on its
    own, as ``wcpulse process`` run by an operator)."""
    text = os.environ.get(PARENT_ENV, "")
    return int(text) if text.isdigit() else None


def watch_parent(parent: int, stop: threading.Event) -> threading.Thread:
    """Set ``stop`` when the parent ``parent`` is gone (this process was handed to init)."""

    def watch() -> None:
        while not stop.wait(WATCH_SECONDS):
            if os.getppid() != parent:
                log.warning("parent_gone_stopping", parent_pid=parent)
                stop.set()

    thread = threading.Thread(target=watch, name="wcpulse-parent-watch", daemon=True)
    thread.start()
    return thread
