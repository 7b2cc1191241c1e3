"""Logging as the product configures it (JSON at INFO), written to /dev/null.

The in-process benchmarks pay what a real process pays to render its log lines, without
flooding the report.
"""

from __future__ import annotations

import os
from typing import IO

import structlog

from schemas.settings import Settings
from wcpulse.logs import configure_logging

_sink: IO[str] | None = None


def configure_discarded_logging(level: str = "INFO") -> None:
    global _sink
    configure_logging(Settings(log_level=level, log_format="json"))
    if _sink is None:
        _sink = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=_sink))
