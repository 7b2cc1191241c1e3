"""Waiting, with a deadline, for a shop's processor to publish what a command queued."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from store.layout import ShopPaths
from store.rawlog import RejectedLog
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


def unless_refused(
    check: Callable[[], T | None], paths: ShopPaths, envelope_id: str, what: str
) -> Callable[[], T | None]:
    """``check``, but a one-line UserError with the reason once the shop's processor has
    refused the envelope (it is in the shop's rejected log)."""
    rejected = RejectedLog(paths.rejected_dir)

    def checked() -> T | None:
        reason = rejected.reason_of(envelope_id)
        if reason is not None:
            raise UserError(f"{what} was refused by the shop's processor: {reason}")
        return check()

    return checked
