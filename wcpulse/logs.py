"""structlog set-up: one format for every line on stderr, secrets never printed.

``WCPULSE_LOG_FORMAT=auto`` (the default) renders for people (structlog's console renderer)
when stderr is a terminal and JSON lines otherwise (files, journald, pipes, containers);
``json`` and ``console`` force one. Records of the standard library's ``logging`` (waitress,
kombu, SQLAlchemy, ...) and Python warnings go through the same renderer, so nothing on
stderr is plain text in another shape.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from schemas.settings import Settings

SECRET_WORDS = ("secret", "token", "password", "signature", "authorization", "consumer_key")


def redact_secrets(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replace the value of any key that names a secret."""
    for key in list(event):
        if any(word in key.lower() for word in SECRET_WORDS):
            event[key] = "[redacted]"
    return event


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON unless asked for the console, or left to ``auto`` with a terminal on ``stream``."""
    if log_format == "auto":
        return not _is_terminal(stream)
    return log_format != "console"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _renderer(settings: Settings, stream: TextIO) -> Any:
    if wants_json(settings.log_format, stream):
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=_is_terminal(stream))


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact_secrets,
]


def _one_line(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A library's message on one line (a warning comes with its source line after it)."""
    text = str(event.get("event", ""))
    event["event"] = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return event


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler configure_logging installs (and replaces when called again)."""


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    stream = sys.stderr if stream is None else stream
    level = logging.getLevelName(settings.log_level)
    if not isinstance(level, int):
        level = logging.INFO
    renderer = _renderer(settings, stream)
    structlog.configure(
        processors=[*_SHARED, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    _route_standard_logging(renderer, stream, max(level, logging.WARNING))


def _route_standard_logging(renderer: Any, stream: TextIO, level: int) -> None:
    """Libraries' log records and Python warnings, rendered like our own events."""
    handler = _OurHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, _one_line, *_SHARED],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)
