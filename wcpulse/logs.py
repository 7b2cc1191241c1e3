"""structlog set-up: JSON lines (or console) on stderr, secrets never printed."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

from schemas.settings import Settings

SECRET_WORDS = ("secret", "token", "password", "signature", "authorization", "consumer_key")


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of any key that names a secret."""
    for key in list(event):
        if any(word in key.lower() for word in SECRET_WORDS):
            event[key] = "[redacted]"
    return event


def configure_logging(settings: Settings) -> None:
    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        level = logging.INFO
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=sys.stderr)
