"""lifetimes 0.11.3 in a venv of its own, built once under ``var/bench-peer`` and run apart.

lifetimes is unmaintained and is no dependency of wcpulse: ``requirements.txt`` beside this
file pins a set that imports and fits on Python 3.11. The venv is rebuilt only when that file
changes (its text is kept in the venv as a stamp). Without a package registry the build fails,
and the caller is told why instead of getting a peer.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PEER_DIR = ROOT / "var" / "bench-peer"
REQUIREMENTS = HERE / "requirements.txt"
SCRIPT = HERE / "lifetimes_fit.py"
STAMP = PEER_DIR / "requirements.stamp"
BUILD_SECONDS = 900.0
RUN_SECONDS = 1800.0


class PeerUnavailable(RuntimeError):
    """The peer venv could not be built or the peer script failed."""


def _python() -> Path:
    return PEER_DIR / "bin" / "python"


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _build() -> None:
    shutil.rmtree(PEER_DIR, ignore_errors=True)
    PEER_DIR.parent.mkdir(parents=True, exist_ok=True)
    pip = [str(_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    steps = [
        [sys.executable, "-m", "venv", str(PEER_DIR)],
        [*pip, "--retries", "2", "-r", str(REQUIREMENTS)],
    ]
    for command in steps:
        try:
            subprocess.run(
                command, check=True, capture_output=True, text=True, timeout=BUILD_SECONDS
            )
        except subprocess.CalledProcessError as exc:
            shutil.rmtree(PEER_DIR, ignore_errors=True)
            raise PeerUnavailable(f"{' '.join(command[:4])} failed:\n{_tail(exc.stderr)}") from exc
        except (subprocess.TimeoutExpired, OSError) as exc:
            shutil.rmtree(PEER_DIR, ignore_errors=True)
            raise PeerUnavailable(f"{' '.join(command[:4])} failed: {exc}") from exc


def ensure_peer() -> str:
    """Build the venv unless the one there matches ``requirements.txt``; says which it was."""
    wanted = REQUIREMENTS.read_text()
    if _python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return f"cached in {PEER_DIR.relative_to(ROOT)}"
    started = time.perf_counter()
    _build()
    STAMP.write_text(wanted)
    return f"built in {PEER_DIR.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s"


def run_peer(data: Path, repeats: int, *flags: str) -> dict[str, Any]:
    """The peer script's JSON for the arrays saved in ``data`` (an ``.npz``)."""
    command = [str(_python()), str(SCRIPT), str(data), "--repeats", str(repeats), *flags]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise PeerUnavailable(f"lifetimes gave no answer in {RUN_SECONDS:.0f} s") from exc
    if done.returncode != 0:
        raise PeerUnavailable(f"lifetimes failed:\n{_tail(done.stderr)}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))
