"""The customer table (seeds 000, 003): profile, sale-order aggregates, RFM and status
scores, consents; and ``q``, the search every list of customers shares."""

from __future__ import annotations

from api import search_text
from api.context import SCORES_AS_OF
from api.errors import InvalidParameter
from api.listing import Filter, ListView
from api.params import ParamSpec
from processors.analytics.customer_status import STATUSES
from processors.analytics.rfm import SEGMENTS


def searched(term: str) -> str:
    """The term ``q`` looks for; one holding the fields' separator (NUL) is refused."""
    if search_text.SEPARATOR in term:
        raise InvalidParameter("q must not contain a NUL character")
    return term


# ``q`` of every list of customers (the customer table, CLV, churn: views with these
# columns, which the API gives their search text as it loads them: ``api.search_text``)
SEARCH = Filter(
    ParamSpec("q", "string", "Search e-mail, name, phone or customer_key (any case)."),
    f"contains({search_text.COLUMN}, lower($value))",
    searched,
)

SEGMENT = ParamSpec(
    "segment",
    "list",
    "RFM segments, comma-separated; any case (`cant_lose_them` is `Can't Lose Them`).",
    SEGMENTS,
    loose=True,
)
CUSTOMER_STATUS = ParamSpec(
    "status",
    "list",
    "Statuses by return cycle, comma-separated; any case (`at_risk` is `At risk`).",
    STATUSES,
    loose=True,
)


CUSTOMERS = ListView(
    view="customers",
    path="/customers",
    summary="Customers (registered and guests), filtered, sorted and paginated.",
    row="Customer",
    filters=(
        SEARCH,
        Filter(SEGMENT, "list_contains($value, segment)"),
        Filter(CUSTOMER_STATUS, "list_contains($value, status)"),
        Filter(
            ParamSpec("min_orders", "integer", "Fewest sale orders.", minimum=0),
            "orders >= $value",
        ),
        Filter(
            ParamSpec("max_orders", "integer", "Most sale orders.", minimum=0),
            "orders <= $value",
        ),
        Filter(ParamSpec("min_spent", "decimal", "Smallest net spent."), "net_spent >= $value"),
        Filter(ParamSpec("max_spent", "decimal", "Largest net spent."), "net_spent <= $value"),
        Filter(
            ParamSpec("last_order_from", "date", "Last sale order on or after (shop tz)."),
            "last_order_day >= $value",
        ),
        Filter(
            ParamSpec("last_order_to", "date", "Last sale order on or before (shop tz)."),
            "last_order_day <= $value",
        ),
        Filter(
            ParamSpec(
                "product",
                "integer",
                "A product or variation id: customers with a sale order of it (a variable "
                "product: of any of its variations).",
                minimum=1,
            ),
            "customer_key IN (SELECT customer_key FROM order_lines WHERE is_sale "
            "AND (product_id = $value OR variation_id = $value))",
        ),
        Filter(
            ParamSpec(
                "category",
                "string",
                "A product category name (exact): customers with a sale order of a product in it.",
            ),
            "customer_key IN (SELECT l.customer_key FROM order_lines l JOIN products p "
            "ON p.product_id = l.product_id WHERE l.is_sale "
            "AND list_contains(string_split(p.categories, ', '), $value))",
        ),
        Filter(
            ParamSpec("country", "string", "Country code (ISO 3166-1 alpha-2)."),
            "upper(country) = $value",
            str.upper,
        ),
        Filter(
            ParamSpec("email_consent", "boolean", "E-mail consent given (true) or refused."),
            "email_consent = $value",
        ),
        Filter(
            ParamSpec("sms_consent", "boolean", "SMS consent given (true) or refused."),
            "sms_consent = $value",
        ),
    ),
    sorts=(
        "net_spent",
        "orders",
        "aov",
        "first_order_at",
        "last_order_at",
        "recency_days",
        "days_overdue",
        "expected_return",
        "rfm_score",
    ),
    default_sort="-net_spent",
    description="The customer table (seeds 000, 003): profile, sale-order aggregates, "
    "RFM scores and segment with its recommended action, status by return cycle "
    "(New, Active, At risk, Lost) with the expected return date, and consents. Scores "
    "are as of `scores_as_of` (recency_days counts to that day) and null for customers "
    "without a sale order. Sorting keeps nulls last. CSV has the same columns (e-mail, "
    "name, rfm_score, net_spent, orders, recommended_action among them). `product` and "
    "`category` keep the customers who bought it (seed 004).",
    envelope=(SCORES_AS_OF,),
    also=("order_lines", "products"),
)
