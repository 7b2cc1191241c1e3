"""The WSGI entry points under a real gunicorn: each worker makes its own app; a worker
forked from a master that made one (``--preload``) stops gunicorn with one clear line
instead of answering webhooks that nothing would move on."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from wcpulse.wsgi import FORKED_AFTER_APP

GUNICORN = [sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0"]
LISTENING = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")
BOOT_SECONDS = 30.0


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    env.update(
        WCPULSE_DATA_DIR=str(data_dir),
        WCPULSE_SECRET_KEY="0" * 64,
        WCPULSE_LOG_LEVEL="WARNING",
    )
    return env


@pytest.mark.parametrize("factory", ["ingest_app", "api_app"])
def test_gunicorn_with_preload_stops_at_once_and_says_why(tmp_path: Path, factory: str) -> None:
    started = subprocess.run(
        [*GUNICORN, "--preload", f"wcpulse.wsgi:{factory}()"],
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=BOOT_SECONDS,
    )

    assert started.returncode != 0
    assert FORKED_AFTER_APP in started.stderr
    assert "exited with code 3" in started.stderr  # gunicorn's "worker failed to boot"


def test_gunicorn_without_preload_boots_its_workers_and_answers(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [*GUNICORN, "wcpulse.wsgi:ingest_app()"],
        env=_env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = _listening_url(server)
        answers = [_get(f"{url}/healthz") for _ in range(20)]
        assert answers == [(200, '{"status":"ok"}')] * 20
        assert server.poll() is None
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=BOOT_SECONDS)
    assert FORKED_AFTER_APP not in stderr


def _listening_url(server: subprocess.Popen) -> str:
    """gunicorn's own "Listening at" line, then a moment for its workers to boot."""
    assert server.stderr is not None
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline:
        line = server.stderr.readline()
        found = LISTENING.search(line)
        if found:
            return found.group(1)
        assert line or server.poll() is None, "gunicorn stopped before it listened"
    raise AssertionError("gunicorn did not listen in time")


def _get(url: str) -> tuple[int, str]:
    deadline = time.monotonic() + BOOT_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.status, answer.read().decode().strip()
        except OSError:  # a worker still booting: the connection is refused
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
