"""RFM segments (seed 000): how the scored customers spread over the 11 segments, or, with
``name``, one segment's customers (exactly ``customers?segment=<name>``).

The distribution always lists all 11 segments in ``SEGMENTS`` order, empty ones with zeros,
so the counts sum to the customers with a sale order (the scored ones).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa

from api.context import RequestContext, envelope
from api.list_views import list_result
from api.lists.customers import CUSTOMERS
from api.params import FORMAT, PAGE, PER_PAGE, ParamSpec
from api.result import Result
from api.shares import share
from processors.analytics.kpis import money
from processors.analytics.rfm import SEGMENT_ACTIONS, SEGMENT_DESCRIPTIONS, SEGMENTS
from schemas.view_types import MONEY

SEGMENT_ROW = pa.schema(
    [
        ("segment", pa.string()),
        ("customers", pa.int64()),
        ("share", pa.float64()),  # of the scored customers, 0..1; null when none is scored
        ("revenue", MONEY),  # sum of the segment's net spent
        ("average_spent", MONEY),  # revenue / customers; null for an empty segment
        ("recommended_action", pa.string()),
        ("description", pa.string()),
    ]
)
SEGMENT_NAME = ParamSpec(
    "name",
    "enum",
    "A segment: answer with its customers (as `customers?segment=`) instead of the "
    "distribution; any case.",
    SEGMENTS,
    loose=True,
)
SEGMENTS_PARAMS = (SEGMENT_NAME, CUSTOMERS.sort_param, PAGE, PER_PAGE, FORMAT)

# NULL is the group of customers without a sale order (their scores are null).
DISTRIBUTION_SQL = """
SELECT segment, count(*) AS customers, coalesce(sum(net_spent), 0) AS revenue
FROM customers GROUP BY segment
"""


def _segment_row(name: str, customers: int, revenue: Decimal, scored: int) -> tuple[Any, ...]:
    average = money(revenue / customers) if customers else None
    return (
        name,
        customers,
        share(customers, scored),
        money(revenue),
        average,
        SEGMENT_ACTIONS[name],
        SEGMENT_DESCRIPTIONS[name],
    )


def distribution_result(ctx: RequestContext) -> Result:
    with ctx.views.connect("customers") as connection:
        found = {row[0]: row[1:] for row in connection.execute(DISTRIBUTION_SQL).fetchall()}
    unscored = int(found.pop(None, (0,))[0])
    scored = sum(int(count) for count, _ in found.values())
    rows = [_segment_row(name, *found.get(name, (0, Decimal(0))), scored) for name in SEGMENTS]
    meta = envelope(ctx) | {
        "scores_as_of": ctx.scores_as_of,
        "scored_customers": scored,
        "customers_without_orders": unscored,
    }
    return Result(tuple(SEGMENT_ROW.names), rows, meta)


def segments_result(ctx: RequestContext) -> Result:
    """The distribution, or with ``name`` that segment's customers."""
    name = ctx.values.get("name")
    if name is None:
        return distribution_result(ctx)
    values = dict(ctx.values) | {"segment": [name]}
    return list_result(ctx, CUSTOMERS, values)
