"""WCPULSE_LOG_FORMAT: ``auto`` (the default) renders for people on a terminal and JSON lines
elsewhere; libraries' log records and Python warnings come out in the same format, never as
plain text of their own. A real pseudo-terminal stands in for the terminal."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import warnings
from collections.abc import Iterator

import pytest
import structlog

from schemas.settings import SettingsError, load_settings
from wcpulse.logs import configure_logging, wants_json

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture
def terminal() -> Iterator[tuple[io.TextIOWrapper, int]]:
    """A pseudo-terminal: the stream the program writes to and the fd to read it back."""
    controller, device = os.openpty()
    stream = os.fdopen(device, "w", buffering=1)
    yield stream, controller
    stream.close()
    os.close(controller)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.captureWarnings(False)
    structlog.reset_defaults()


def test_the_default_is_auto_and_the_three_formats_are_accepted():
    assert load_settings({}).log_format == "auto"
    for value in ("auto", "JSON", "console"):
        assert load_settings({"WCPULSE_LOG_FORMAT": value}).log_format == value.lower()
    with pytest.raises(SettingsError, match="auto, json or console"):
        load_settings({"WCPULSE_LOG_FORMAT": "pretty"})


def test_auto_means_console_on_a_terminal_and_json_anywhere_else(terminal):
    stream, _ = terminal
    assert stream.isatty()
    assert not wants_json("auto", stream)
    assert wants_json("auto", io.StringIO())
    assert wants_json("json", stream)  # asked for: JSON even on a terminal
    assert not wants_json("console", io.StringIO())


def test_on_a_terminal_an_event_is_a_readable_line_not_json(terminal):
    stream, controller = terminal
    configure_logging(load_settings({}), stream)
    structlog.get_logger("t").info("batch_committed", shop_id="shp_1", api_token="wcp_x")
    line = ANSI.sub("", os.read(controller, 4096).decode())  # colours on a terminal

    assert "batch_committed" in line and "shop_id=shp_1" in line
    assert not line.lstrip().startswith("{")
    assert "wcp_x" not in line  # secrets are redacted in this format too


def test_off_a_terminal_library_records_and_warnings_are_json_lines_like_ours():
    stream = io.StringIO()
    configure_logging(load_settings({}), stream)
    structlog.get_logger("t").warning("ours", shop_id="shp_1")
    logging.getLogger("waitress.queue").warning("Task queue depth is %d", 3)
    logging.getLogger("waitress.queue").info("below the floor of WARNING: not shown")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("an old call", DeprecationWarning, stacklevel=1)

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["event"] for line in lines[:2]] == ["ours", "Task queue depth is 3"]
    assert lines[1]["logger"] == "waitress.queue" and lines[1]["level"] == "warning"
    assert lines[2]["logger"] == "py.warnings"
    assert "DeprecationWarning: an old call" in lines[2]["event"]
    assert "\n" not in lines[2]["event"] and len(lines) == 3
    assert all("timestamp" in line for line in lines)


def test_configuring_twice_leaves_one_handler_of_ours():
    stream = io.StringIO()
    configure_logging(load_settings({}), io.StringIO())
    configure_logging(load_settings({}), stream)
    logging.getLogger("kombu").error("lost the connection")

    assert len(stream.getvalue().splitlines()) == 1
