"""Waiting, with a deadline, for a shop's processor to publish what a command queued."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from wcpulse.errors import UserError

POLL_SECONDS = 0.2
T = TypeVar("T")


def wait_for_processor(check: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll ``check`` until it returns something; a one-line UserError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise UserError(
                f"{what} is queued but was not applied within {timeout:g} s; is a processor "
                "running (`wcpulse run` or `wcpulse process`)? It runs when one starts."
            )
        time.sleep(POLL_SECONDS)
