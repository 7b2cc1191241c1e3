"""GDPR erasure of one customer inside their shop's processor (placeholder: being built)."""

from __future__ import annotations

from typing import Any

from schemas.events import ErasureRequested


def apply_erasure(pipeline: Any, event: ErasureRequested, live: bool) -> None:
    raise NotImplementedError("erasure is being built")
