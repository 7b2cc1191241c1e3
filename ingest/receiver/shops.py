"""A TTL cache in front of the shop directory, so a webhook rarely costs a database trip.

Secrets are cached for ``ttl_seconds`` and unknown shops (misses) for the shorter
``miss_ttl_seconds``. Concurrent misses on one shop make one call to the inner directory
(lock striping), and the cache holds at most ``max_entries`` shops (oldest fetch dropped
first), so requests for random shop ids cannot grow it without bound. When the inner
directory fails, an entry fetched within ``stale_if_error_seconds`` is served instead:
WooCommerce never retries a delivery, so a database blip should not cost one.
A rotated secret takes effect within ``ttl_seconds``, at once after ``invalidate``.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import structlog

from schemas.clock import Clock, SystemClock

if TYPE_CHECKING:
    from ingest.receiver.delivery import ShopDirectory

_log = structlog.get_logger(__name__)
_STRIPES = 64


@dataclass(frozen=True)
class _Entry:
    secret: str | None
    fetched_at: datetime


class CachedShopDirectory:
    """A thread-safe ``ShopDirectory`` that caches another one's answers."""

    def __init__(
        self,
        inner: ShopDirectory,
        ttl_seconds: float = 5.0,
        clock: Clock | None = None,
        *,
        miss_ttl_seconds: float = 1.0,
        stale_if_error_seconds: float = 60.0,
        max_entries: int = 10_000,
    ) -> None:
        if min(ttl_seconds, miss_ttl_seconds, stale_if_error_seconds) < 0 or max_entries < 1:
            raise ValueError("cache durations must be >= 0 and max_entries >= 1")
        self._inner = inner
        self._ttl = ttl_seconds
        self._miss_ttl = min(miss_ttl_seconds, ttl_seconds)
        self._stale = stale_if_error_seconds
        self._max_entries = max_entries
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._stripes = tuple(threading.Lock() for _ in range(_STRIPES))

    def webhook_secret(self, shop_id: str) -> str | None:
        entry = self._fresh(shop_id)
        if entry is not None:
            return entry.secret
        with self._stripes[zlib.crc32(shop_id.encode()) % _STRIPES]:
            entry = self._fresh(shop_id)  # another thread may have loaded it meanwhile
            if entry is not None:
                return entry.secret
            return self._load(shop_id)

    def invalidate(self, shop_id: str | None = None) -> None:
        """Forget one shop (after its secret was rotated or it was deleted), or all."""
        with self._lock:
            if shop_id is None:
                self._entries.clear()
            else:
                self._entries.pop(shop_id, None)

    def _load(self, shop_id: str) -> str | None:
        try:
            secret = self._inner.webhook_secret(shop_id)
        except Exception as exc:  # the inner adapter's own errors are unknown to us
            stale = self._usable(shop_id, self._stale)
            if stale is None:
                raise
            _log.warning(
                "shop_directory.stale_secret_served", shop_id=shop_id, error=type(exc).__name__
            )
            return stale.secret
        self._store(shop_id, _Entry(secret, self._clock.now()))
        return secret

    def _fresh(self, shop_id: str) -> _Entry | None:
        return self._usable(shop_id, 0.0)

    def _usable(self, shop_id: str, grace: float) -> _Entry | None:
        """The cached entry if it is younger than its ttl plus ``grace`` seconds."""
        with self._lock:
            entry = self._entries.get(shop_id)
        if entry is None:
            return None
        ttl = self._ttl if entry.secret is not None else self._miss_ttl
        return entry if self._age(entry) < ttl + grace else None

    def _age(self, entry: _Entry) -> float:
        # A clock that went backwards gives a negative age: treated as expired.
        age = (self._clock.now() - entry.fetched_at).total_seconds()
        return age if age >= 0 else float("inf")

    def _store(self, shop_id: str, entry: _Entry) -> None:
        with self._lock:
            self._entries.pop(shop_id, None)
            while len(self._entries) >= self._max_entries:
                self._entries.popitem(last=False)
            self._entries[shop_id] = entry
