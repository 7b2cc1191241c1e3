"""Progress of long work: a bar with counts, rate and ETA on a terminal, log lines otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import structlog
from tqdm import tqdm

log = structlog.get_logger("wcpulse.progress")
LOG_EVERY_SECONDS = 5.0

Progress = Callable[[str, int, int], None]  # (step, pages done, pages total)


@contextmanager
def import_progress(stream: TextIO) -> Iterator[Progress]:
    if stream.isatty():
        with _bars(stream) as progress:
            yield progress
    else:
        yield _log_lines()


@contextmanager
def _bars(stream: TextIO) -> Iterator[Progress]:
    bars: dict[str, tqdm] = {}

    def progress(step: str, page: int, total: int) -> None:
        bar = bars.get(step)
        if bar is None:
            bar = bars[step] = tqdm(total=total, desc=step, unit="page", file=stream)
        bar.total = max(total, page)
        bar.update(page - bar.n)

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()


def _log_lines() -> Progress:
    last = {"at": 0.0}

    def progress(step: str, page: int, total: int) -> None:
        now = time.monotonic()
        if page == total or now - last["at"] >= LOG_EVERY_SECONDS:
            last["at"] = now
            log.info("import_progress", step=step, page=page, pages=total)

    return progress
