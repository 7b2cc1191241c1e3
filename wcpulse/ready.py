"""The "ready: open ..." line: the last thing ``wcpulse run`` says once a shop can be looked
at, so the dashboard's address is not buried under the start-up's log lines."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from store.metadata import ShopRegistry

SETTLE_DEADLINE_SECONDS = 300.0  # say "ready" after this even if messages keep arriving
QUIET_SECONDS = 2.0  # the queue stays empty this long (what a publish raises is logged first)
POLL_SECONDS = 0.5
LISTED_SHOPS = 5


def ready_line(base_url: str, shop_id: str, token: str | None = None) -> str:
    """``ready: open <base>/dashboard/<shop>`` (with the API token to sign in with)."""
    line = f"ready: open {base_url.rstrip('/')}/dashboard/{shop_id}"
    return line + (f"  (API token: {token})" if token else "")


def shop_lines(base_url: str, registry: ShopRegistry) -> list[str]:
    """The ready lines of a start without the demo: a few shops' dashboards, or how to add
    the first shop."""
    shops = registry.list_shops()
    if not shops:
        return [
            f"ready: listening at {base_url}; add a shop with "
            "`wcpulse shop add --name NAME --url URL`"
        ]
    lines = [ready_line(base_url, shop.shop_id) + f"  ({shop.name})" for shop in shops]
    if len(lines) > LISTED_SHOPS:
        more = len(lines) - LISTED_SHOPS
        lines = lines[:LISTED_SHOPS] + [f"ready: and {more} more (`wcpulse shop list`)"]
    return lines


def say_when_settled(
    publisher: Any,
    stop: threading.Event,
    lines: list[str],
    deadline: float = SETTLE_DEADLINE_SECONDS,
) -> None:
    """Print ``lines`` once the embedded queue has had nothing waiting for QUIET_SECONDS
    (the history and the analytics it queued are applied), or after ``deadline`` seconds;
    never after a stop. A broker without ``is_empty`` (RabbitMQ) is not waited for."""
    idle: Callable[[], bool] | None = getattr(publisher, "is_empty", None)
    give_up = time.monotonic() + deadline
    quiet_since: float | None = None
    while idle is not None and time.monotonic() < give_up:
        now = time.monotonic()
        quiet_since = (quiet_since or now) if idle() else None
        if quiet_since is not None and now - quiet_since >= QUIET_SECONDS:
            break
        if stop.wait(POLL_SECONDS):
            return
    if not stop.is_set():
        print("\n" + "\n".join(lines), flush=True)
