"""Customer stats over time (seed 003): per day, week (Monday-Sunday) or month of a period,
the customers so far, new customers, net revenue and transactions. Every bucket of the
period is a row, zeros included; the first and last buckets are cut to the period.

- total_customers: customers whose first sale order is on or before the bucket's last day;
- new_customers: customers whose first sale order falls in the bucket;
- net_revenue / transactions: net and count of sale orders by revenue day.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from api.context import RequestContext, envelope
from api.data_as_of import AS_OF_EVENT
from api.errors import InvalidParameter
from api.params import FORMAT, ParamSpec
from api.period_params import PERIOD_PARAMS, requested_period
from api.result import Result
from api.timeseries_compare import COMPARE, COMPARE_DESCRIPTION, compared_result
from processors.analytics.kpis import money
from processors.analytics.periods import INTERVALS, InvalidPeriod, Period, split_period
from schemas.view_types import MONEY

MAX_BUCKETS = 1000
BUCKETS_RULE = f"a period has at most {MAX_BUCKETS} buckets of its interval"

TIMESERIES_ROW = pa.schema(
    [
        ("bucket_start", pa.date32()),
        ("bucket_end", pa.date32()),
        ("total_customers", pa.int64()),
        ("new_customers", pa.int64()),
        ("net_revenue", MONEY),
        ("transactions", pa.int64()),
    ]
)
INTERVAL = ParamSpec(
    "interval",
    "enum",
    "Bucket size: day, week (Monday-Sunday) or calendar month.",
    INTERVALS,
    default="day",
)
TIMESERIES_PARAMS = (*PERIOD_PARAMS, INTERVAL, COMPARE, FORMAT)
TIMESERIES_DESCRIPTION = (
    "One row per day, week (Monday-Sunday) or calendar month of the period, empty buckets "
    "included; the first and last buckets are cut to the period. total_customers: "
    "customers whose first sale order is on or before bucket_end; new_customers: first "
    "sale order in the bucket; net_revenue and transactions: sale orders by revenue day. "
    + COMPARE_DESCRIPTION
    + " CSV has the same columns and rows."
)

# Two scans: sale orders of the period, and the customers view (first sale days; a NULL
# bucket holds the customers who first bought before the period). A day's bucket is its
# day, week or month start, moved up to the period's first day.
TIMESERIES_SQL = """
WITH sales AS (
    SELECT greatest(date_trunc($unit, revenue_day)::DATE, $start) AS bucket,
        sum(net) AS net_revenue, count(*) AS transactions
    FROM orders WHERE is_sale AND revenue_day BETWEEN $start AND $end GROUP BY 1
), firsts AS (
    SELECT CASE WHEN first_order_day >= $start
            THEN greatest(date_trunc($unit, first_order_day)::DATE, $start) END AS bucket,
        count(*) AS n
    FROM customers WHERE first_order_day <= $end GROUP BY 1
), buckets AS (SELECT unnest($buckets::DATE[]) AS bucket)
SELECT b.bucket,
    (SELECT coalesce(sum(n), 0) FROM firsts WHERE bucket IS NULL)
        + sum(coalesce(f.n, 0)) OVER (ORDER BY b.bucket) AS total_customers,
    coalesce(f.n, 0) AS new_customers,
    coalesce(s.net_revenue, 0) AS net_revenue,
    coalesce(s.transactions, 0) AS transactions
FROM buckets b
LEFT JOIN sales s ON s.bucket = b.bucket
LEFT JOIN firsts f ON f.bucket = b.bucket
ORDER BY b.bucket
"""


def _buckets(period: Period, interval: str) -> list[Period]:
    try:
        return split_period(period, interval, MAX_BUCKETS)
    except InvalidPeriod as exc:  # more buckets than that: the detail in parentheses
        raise InvalidParameter(f"{BUCKETS_RULE} ({exc})") from None


def timeseries_rows(ctx: RequestContext, buckets: list[Period]) -> list[tuple[Any, ...]]:
    params = {
        "unit": buckets[0].name,
        "start": buckets[0].start,
        "end": buckets[-1].end,
        "buckets": [bucket.start for bucket in buckets],
    }
    with ctx.views.connect("orders", "customers") as connection:
        found = connection.execute(TIMESERIES_SQL, params).fetchall()
    return [
        (bucket.start, bucket.end, int(total), int(new), money(net), int(count))
        for bucket, (_, total, new, net, count) in zip(buckets, found, strict=True)
    ]


def timeseries_result(ctx: RequestContext) -> Result:
    period = requested_period(ctx.values, ctx.today)
    interval = ctx.values["interval"]
    buckets = _buckets(period, interval)
    if ctx.values.get("compare"):
        return compared_result(ctx, period, buckets)
    rows = timeseries_rows(ctx, buckets)
    meta = envelope(ctx) | {
        AS_OF_EVENT.name: AS_OF_EVENT.value(ctx),
        "period": {"name": period.name, "from": period.start, "to": period.end},
        "interval": interval,
    }
    return Result(tuple(TIMESERIES_ROW.names), rows, meta)
