"""Run the real ``wcpulse`` command in a subprocess against a data dir (tests only)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TEST_SECRET_KEY = "0" * 64


def run_wcpulse(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """``python -m wcpulse ARGS`` with only this data dir's settings, no terminal on stdin."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WCPULSE_")}
    env |= {"WCPULSE_DATA_DIR": str(data_dir), "WCPULSE_SECRET_KEY": TEST_SECRET_KEY}
    return subprocess.run(
        [sys.executable, "-m", "wcpulse", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
