"""The order lines list: one row per line item of an order, net of that line's refunds."""

from __future__ import annotations

from api.listing import Filter, ListView
from api.params import ParamSpec

ORDER_LINES = ListView(
    view="order_lines",
    path="/order-lines",
    summary="Order lines: units and revenue per line item, net of its refunds.",
    row="OrderLine",
    filters=(
        Filter(ParamSpec("order", "integer", "An order id: its lines."), "order_id = $value"),
        Filter(
            ParamSpec(
                "product",
                "integer",
                "A product id (the lines of it and of its variations) or a variation id.",
            ),
            "(product_id = $value OR parent_id = $value OR variation_id = $value)",
        ),
        Filter(ParamSpec("from", "date", "First revenue day (shop tz)."), "revenue_day >= $value"),
        Filter(ParamSpec("to", "date", "Last revenue day (shop tz)."), "revenue_day <= $value"),
        Filter(
            ParamSpec("is_sale", "boolean", "Lines of sales only, or of non-sales."),
            "is_sale = $value",
        ),
    ),
    sorts=("revenue_day", "net_revenue", "line_id"),
    default_sort="-revenue_day",
    description="One row per line item of every order (sales or not), with the order's "
    "revenue day, sale flag, status and customer key. `revenue` is the line's total after "
    "discounts, before tax; a refund's line items lower the line of the same product and "
    "variation (`refunded_quantity`, `refunded`, `net_quantity`, `net_revenue`), the order's "
    "refund total is not subtracted again. `unit_price` is the line's subtotal (before "
    "discounts) per unit; `unit_cost` and `net_cost` are null when the product has no cost.",
)
