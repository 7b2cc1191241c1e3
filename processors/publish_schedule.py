"""When the consumer (processors/consumer.py) publishes each shop's views and looks at its
alert mail.

Views are published as soon as the queue is drained (a fetch came back short of a full
batch), so a steady stream is visible one apply and one publish after it arrives; under a
backlog (full batches) a shop is published at most every ``view_interval`` seconds, and no
sooner than ``BACKLOG_SPACING`` times its last publish took, so the publishes take at most
about a fifth of the time the backlog needs: while it drains, views lag anyway, and they
are current again sooner when the backlog gets the time. A shop whose publish failed is
not due again before the pause the consumer gave it.

A shop's alert mail is looked at after each of its publishes, and every ``MAIL_TICK``
seconds for the digests and the retries (processors/alerts/dispatch.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from processors.alerts.dispatch import MAIL_TICK

BACKLOG_SPACING = 4.0  # under a backlog: publishes at least 4x their own time apart


def publish_due_after(view_interval: float, last_publish_seconds: float) -> float:
    """Seconds from a shop's first unpublished batch to its publish under a backlog."""
    return max(view_interval, BACKLOG_SPACING * last_publish_seconds)


class PublishSchedule:
    """The shops whose views wait for a publish (since when), how long each one's last
    publish took, its failed publishes, and when its alert mail was last looked at."""

    def __init__(self, view_interval: float) -> None:
        self._view_interval = view_interval
        self._dirty: dict[str, float] = {}  # shop: since when its views wait
        self._publish_seconds: dict[str, float] = {}  # shop: how long its last publish took
        self._publish_failures: dict[str, tuple[int, float]] = {}  # shop: (failures, not before)
        self._notified: dict[str, float] = {}  # shop: when its mail was last looked at
        self._mail_now: set[str] = set()  # shops published since: mail them at once

    def changed(self, shop_id: str, at: float) -> None:
        """The shop's views wait for a publish, since ``at`` unless they waited already."""
        self._dirty.setdefault(shop_id, at)

    def due(self, now: datetime, force: bool) -> Iterator[tuple[str, int]]:
        """Each waiting shop whose publish is due now (``force``: every one not pausing after
        a failed publish), with how many of its publishes failed in a row."""
        for shop_id, since in list(self._dirty.items()):
            failed, not_before = self._publish_failures.get(shop_id, (0, 0.0))
            if now.timestamp() < not_before:
                continue
            took = self._publish_seconds.get(shop_id, 0.0)
            if force or publish_due_after(self._view_interval, took) <= now.timestamp() - since:
                yield shop_id, failed

    def done(self, shop_id: str) -> None:
        """The shop's views no longer wait (published, or it has no pipeline open)."""
        del self._dirty[shop_id]

    def published(self, shop_id: str, seconds: float) -> None:
        self._mail_now.add(shop_id)
        self._publish_failures.pop(shop_id, None)
        self._publish_seconds[shop_id] = seconds

    def failed(self, shop_id: str, failures: int, not_before: float) -> None:
        self._publish_failures[shop_id] = (failures, not_before)

    def retry_now(self) -> None:
        """Every waiting shop is due again, whatever pause a failed publish gave it."""
        self._publish_failures.clear()

    def mail_due(self, shop_id: str, now: float) -> bool:
        """Whether to look at the shop's alert mail now: after its publish, and every
        ``MAIL_TICK`` seconds; a look counts from ``now``."""
        last = self._notified.get(shop_id)
        if last is not None and now - last < MAIL_TICK and shop_id not in self._mail_now:
            return False
        self._notified[shop_id] = now
        self._mail_now.discard(shop_id)
        return True
