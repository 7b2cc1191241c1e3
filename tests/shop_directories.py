"""In-memory shop directories (webhook secret by shop id) for the receiver and cache tests."""

from __future__ import annotations


class DictShops:
    def __init__(self, secrets: dict[str, str]) -> None:
        self.secrets = secrets

    def webhook_secret(self, shop_id: str) -> str | None:
        return self.secrets.get(shop_id)


class CountingShops(DictShops):
    def __init__(self, secrets: dict[str, str]) -> None:
        super().__init__(secrets)
        self.calls = 0
        self.down = False

    def webhook_secret(self, shop_id: str) -> str | None:
        self.calls += 1
        if self.down:
            raise ConnectionError("database is down")
        return super().webhook_secret(shop_id)
