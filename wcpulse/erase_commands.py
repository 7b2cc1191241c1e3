"""``wcpulse customers erase`` (being built)."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    """Add the ``customers`` command."""
