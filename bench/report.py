"""How a benchmark prints: a heading, aligned figure lines, a verdict and one BENCH line."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_WIDTH = 34


def heading(name: str, what: str) -> None:
    print(f"\n== {name}: {what}", flush=True)


def line(label: str, value: str) -> None:
    print(f"   {label:<{_WIDTH}} {value}", flush=True)


def note(text: str) -> None:
    print(f"   {text}", flush=True)


def verdict(figure: str, target: str, met: bool, far_ratio: float | None = None) -> str:
    """``MET`` or ``BELOW TARGET`` (``FAR BELOW`` when off by more than ``far_ratio``)."""
    if met:
        word = "MET"
    elif far_ratio is not None and far_ratio < 0.5:
        word = "FAR BELOW TARGET"
    else:
        word = "BELOW TARGET"
    print(f"   >> {figure}  (target {target})  {word}", flush=True)
    return word


def emit(name: str, figures: dict[str, Any]) -> dict[str, Any]:
    """Print the machine-readable line ``BENCH {"name": ..., ...}`` and return its data."""
    data = {"name": name, **figures, "loadavg_1m": round(os.getloadavg()[0], 2)}
    print("BENCH " + json.dumps(data, sort_keys=False, default=str), flush=True)
    sys.stdout.flush()
    return data


def rate(count: float, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def fmt_rate(value: float, unit: str = "/s") -> str:
    return f"{value:,.0f}{unit}"


def fmt_ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"
