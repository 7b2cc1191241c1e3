"""``wcpulse jobs run JOB --shop SHOP [--as-of DATE]`` (being built)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the ``jobs`` command."""
