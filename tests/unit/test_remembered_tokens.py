"""``RememberedTokens``: the read API's token lookups, remembered for a second."""

from __future__ import annotations

from api.auth import RememberedTokens
from schemas.shop import ShopConfig


class _Registry:
    """Pure logic under test: a registry that counts its lookups."""

    def __init__(self, shops: dict[str, ShopConfig]) -> None:
        self.shops, self.asked = shops, 0

    def shop_for_token(self, token: str) -> ShopConfig | None:
        self.asked += 1
        return self.shops.get(token)


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _shop(shop_id: str) -> ShopConfig:
    return ShopConfig(shop_id=shop_id, name=shop_id, url="https://example.com")


def test_a_found_shop_is_remembered_for_the_ttl_then_asked_again() -> None:
    registry, clock = _Registry({"tok-a": _shop("a")}), _Clock()
    tokens = RememberedTokens(registry, seconds=1.0, clock=clock)
    assert tokens.shop_for_token("tok-a").shop_id == "a"
    clock.now += 0.9
    assert tokens.shop_for_token("tok-a").shop_id == "a"
    assert registry.asked == 1
    registry.shops = {"tok-b": _shop("a")}  # the token rotated meanwhile
    clock.now += 0.2
    assert tokens.shop_for_token("tok-a") is None
    assert tokens.shop_for_token("tok-b").shop_id == "a"
    assert registry.asked == 3


def test_an_unknown_token_is_asked_for_every_time() -> None:
    registry = _Registry({})
    tokens = RememberedTokens(registry, clock=_Clock())
    assert tokens.shop_for_token("nope") is None
    registry.shops = {"nope": _shop("late")}  # issued just now
    assert tokens.shop_for_token("nope").shop_id == "late"
    assert registry.asked == 2


def test_at_most_held_tokens_are_kept_least_recently_used_dropped_first() -> None:
    registry = _Registry({f"t{n}": _shop(f"s{n}") for n in range(3)})
    tokens = RememberedTokens(registry, clock=_Clock(), held=2)
    for token in ("t0", "t1", "t2", "t2", "t1"):
        tokens.shop_for_token(token)
    assert registry.asked == 3
    tokens.shop_for_token("t0")  # dropped when t2 came
    assert registry.asked == 4
