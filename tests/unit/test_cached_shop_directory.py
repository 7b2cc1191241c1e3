"""CachedShopDirectory on its own: TTLs, invalidation, stale-if-error, bounds, single flight.

The receiver in front of the cache is tested in tests/integration/test_webhook_receiver.py.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from ingest.receiver.shops import CachedShopDirectory
from schemas.clock import FixedClock
from tests.shop_directories import CountingShops

SHOP = "shop-1"
SECRET = "s3cr3t-wc-key"
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)


def test_a_rotated_secret_is_seen_after_the_ttl_or_at_once_after_invalidate() -> None:
    inner, clock = CountingShops({SHOP: "old"}), FixedClock(NOW)
    cache = CachedShopDirectory(inner, ttl_seconds=5.0, clock=clock)
    assert cache.webhook_secret(SHOP) == "old"
    inner.secrets[SHOP] = "new"
    clock.advance(timedelta(seconds=4.9))
    assert cache.webhook_secret(SHOP) == "old"
    clock.advance(timedelta(seconds=0.1))
    assert cache.webhook_secret(SHOP) == "new"
    inner.secrets[SHOP] = "newer"
    cache.invalidate(SHOP)
    assert cache.webhook_secret(SHOP) == "newer"


def test_unknown_shops_are_cached_for_the_shorter_miss_ttl() -> None:
    inner, clock = CountingShops({}), FixedClock(NOW)
    cache = CachedShopDirectory(inner, ttl_seconds=5.0, clock=clock, miss_ttl_seconds=1.0)
    assert [cache.webhook_secret("new-shop") for _ in range(3)] == [None, None, None]
    assert inner.calls == 1
    inner.secrets["new-shop"] = SECRET
    clock.advance(timedelta(seconds=1))
    assert cache.webhook_secret("new-shop") == SECRET


def test_a_failing_directory_is_bridged_by_a_recent_entry_but_not_forever() -> None:
    inner, clock = CountingShops({SHOP: SECRET}), FixedClock(NOW)
    cache = CachedShopDirectory(inner, ttl_seconds=5.0, clock=clock, stale_if_error_seconds=60.0)
    assert cache.webhook_secret(SHOP) == SECRET
    inner.down = True
    clock.advance(timedelta(seconds=30))
    assert cache.webhook_secret(SHOP) == SECRET
    clock.advance(timedelta(seconds=40))
    with pytest.raises(ConnectionError):
        cache.webhook_secret(SHOP)
    with pytest.raises(ConnectionError):
        cache.webhook_secret("never-seen")


def test_a_clock_that_jumps_back_expires_the_entry() -> None:
    inner, clock = CountingShops({SHOP: SECRET}), FixedClock(NOW)
    cache = CachedShopDirectory(inner, clock=clock)
    cache.webhook_secret(SHOP)
    clock.set(NOW - timedelta(hours=1))
    cache.webhook_secret(SHOP)
    assert inner.calls == 2


def test_the_cache_holds_at_most_max_entries_dropping_the_oldest() -> None:
    inner, clock = CountingShops({}), FixedClock(NOW)
    cache = CachedShopDirectory(inner, clock=clock, max_entries=3)
    for shop in ("a", "b", "c", "d"):
        cache.webhook_secret(shop)
    cache.webhook_secret("d")
    cache.webhook_secret("a")
    assert inner.calls == 5


def test_concurrent_misses_on_one_shop_make_one_directory_call() -> None:
    # Correct code makes exactly one call whatever the timing; without single-flight all
    # 16 threads released together by the barrier would be inside the slow lookup at once.
    start = threading.Barrier(16)

    class SlowShops(CountingShops):
        def webhook_secret(self, shop_id: str) -> str | None:
            threading.Event().wait(0.2)  # a slow database round trip
            return super().webhook_secret(shop_id)

    inner = SlowShops({SHOP: SECRET})
    cache = CachedShopDirectory(inner, clock=FixedClock(NOW))

    def lookup() -> str | None:
        start.wait(timeout=5)
        return cache.webhook_secret(SHOP)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: lookup(), range(16)))
    assert results == [SECRET] * 16
    assert inner.calls == 1
