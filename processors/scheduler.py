"""A small in-process scheduler: named jobs run every N seconds; a failure is logged, not fatal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog

from schemas.clock import Clock

log = structlog.get_logger("wcpulse.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    interval_seconds: float
    run: Callable[[datetime], object]


class Scheduler:
    def __init__(self, jobs: list[Job], clock: Clock) -> None:
        self._jobs = jobs
        self._clock = clock
        self._next: dict[str, float] = {}

    def run_pending(self) -> list[str]:
        """Run every job that is due (all of them on the first call); returns their names."""
        ran = []
        for job in self._jobs:
            now = self._clock.now()
            if now.timestamp() < self._next.get(job.name, 0.0):
                continue
            self._next[job.name] = now.timestamp() + job.interval_seconds
            try:
                job.run(now)
            except Exception:  # the edge: one failing job must not stop the others
                log.exception("job_failed", job=job.name)
            ran.append(job.name)
        return ran

    def run_until(self, stop: threading.Event, tick_seconds: float = 1.0) -> None:
        while not stop.is_set():
            self.run_pending()
            stop.wait(tick_seconds)
