"""The orders list: every order of the shop (sales or not), filtered and sorted."""

from __future__ import annotations

from api.listing import Filter, ListView
from api.params import ParamSpec

# WooCommerce's order statuses (its OrderStatus enum); a plugin's own statuses are refused
ORDER_STATUSES = (
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "checkout-draft",
    "draft",
    "auto-draft",
    "new",
)


def _lower_all(values: list[str]) -> list[str]:
    return [value.lower() for value in values]


ORDERS = ListView(
    view="orders",
    path="/orders",
    summary="Orders, filtered, sorted and paginated.",
    row="Order",
    filters=(
        Filter(
            ParamSpec(
                "status",
                "list",
                "Order statuses, comma-separated, any case (`on_hold` is `on-hold`).",
                ORDER_STATUSES,
                loose=True,
            ),
            "list_contains($value, status)",
            _lower_all,
        ),
        Filter(ParamSpec("customer", "string", "A customer_key."), "customer_key = $value"),
        Filter(ParamSpec("from", "date", "First revenue day (shop tz)."), "revenue_day >= $value"),
        Filter(ParamSpec("to", "date", "Last revenue day (shop tz)."), "revenue_day <= $value"),
        Filter(ParamSpec("is_sale", "boolean", "Sales only, or non-sales."), "is_sale = $value"),
        Filter(ParamSpec("min_total", "decimal", "Smallest order total."), "total >= $value"),
        Filter(ParamSpec("max_total", "decimal", "Largest order total."), "total <= $value"),
    ),
    sorts=("created_at", "total", "order_id"),
    default_sort="-created_at",
)
