"""A shop's configuration as every component sees it (read from the metadata store)."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PAID_STATUSES: tuple[str, ...] = ("processing", "completed", "on-hold")
REVENUE_DATE_BASES = ("created", "paid", "completed")


@dataclass(frozen=True)
class ShopConfig:
    shop_id: str
    name: str
    url: str
    timezone: str = "UTC"
    currency: str = "USD"
    paid_statuses: tuple[str, ...] = DEFAULT_PAID_STATUSES
    revenue_date: str = "created"

    def is_sale(self, status: str) -> bool:
        """Paid statuses count as sales; ``refunded`` counts too, netted to zero by refunds."""
        return status in self.paid_statuses or status == "refunded"
