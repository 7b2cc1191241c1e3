"""SQL behind the retention view, over the customers and orders views.

The same numbers as ``processors/analytics/retention.py`` (purchases = sale orders,
orders on one day each count, cohorts by the month of the first sale), computed where the
data is: the pure functions would need every sale order in Python, which on a shop with a
million orders takes seconds instead of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from processors.analytics.periods import Period, resolve_period
from schemas.shop import CONSENT_CHANNELS

MAX_PURCHASES = 5  # the last bucket is "5+"

_CONSENT_COUNTS = ", ".join(
    f"count(*) FILTER (WHERE {channel}_consent), "
    f"count(*) FILTER (WHERE NOT {channel}_consent), "
    f"count(*) FILTER (WHERE {channel}_consent IS NULL)"
    for channel in CONSENT_CHANNELS
)
# One scan of the customers view: purchase counts now (the ``orders`` column counts sale
# orders), new customers (first sale order) yesterday and in the last 7 days, consents.
CUSTOMER_TOTALS_SQL = f"""
SELECT count(*) FILTER (WHERE orders = 1), count(*) FILTER (WHERE orders = 2),
    count(*) FILTER (WHERE orders = 3), count(*) FILTER (WHERE orders = 4),
    count(*) FILTER (WHERE orders >= {MAX_PURCHASES}),
    count(*),
    count(*) FILTER (WHERE first_order_day = $yesterday),
    count(*) FILTER (WHERE first_order_day BETWEEN $week_start AND $yesterday),
    {_CONSENT_COUNTS}
FROM customers
"""

# Customers who made at least k purchases by the end of each month (k = 1..5): the k-th
# purchase day of every customer (at most five per customer), counted per month, summed
# over the months up to each point. The last point ends at $to, not at its month's end.
_REACHED = ", ".join(
    f"coalesce(sum(n) FILTER (WHERE k = {k}), 0)" for k in range(1, MAX_PURCHASES + 1)
)
OVER_TIME_SQL = f"""
WITH firsts AS (
    SELECT min(revenue_day, {MAX_PURCHASES}) AS days FROM orders
    WHERE is_sale AND revenue_day <= $to GROUP BY customer_key
), reached AS (
    SELECT k, date_trunc('month', day)::DATE AS month, count(*) AS n
    FROM (SELECT unnest(days) AS day, generate_subscripts(days, 1) AS k FROM firsts)
    GROUP BY ALL
), points AS (SELECT unnest($months::DATE[]) AS month)
SELECT p.month, {_REACHED}
FROM points p LEFT JOIN reached r ON r.month <= p.month
GROUP BY p.month ORDER BY p.month
"""

# Cohort = month of the first sale order (only cohorts from $from's month to $to); a cell
# counts the cohort's customers with a sale order in the month ``month_offset`` later, for
# every month up to $to's (zeros included).
COHORTS_SQL = """
WITH cohort_of AS (
    SELECT customer_key, date_trunc('month', first_order_day)::DATE AS cohort
    FROM customers WHERE first_order_day BETWEEN $from AND $to
), sizes AS (
    SELECT cohort, count(*) AS size FROM cohort_of GROUP BY cohort
), active AS (
    SELECT DISTINCT o.customer_key, c.cohort, date_trunc('month', o.revenue_day)::DATE AS month
    FROM orders o JOIN cohort_of c USING (customer_key)
    WHERE o.is_sale AND o.revenue_day BETWEEN $from AND $to
), counts AS (
    SELECT cohort, datediff('month', cohort, month) AS month_offset, count(*) AS customers
    FROM active GROUP BY ALL
), cells AS (
    SELECT cohort, size, unnest(range(0, datediff('month', cohort, $to) + 1)) AS month_offset
    FROM sizes
)
SELECT cells.cohort, size, cells.month_offset, coalesce(customers, 0)
FROM cells LEFT JOIN counts USING (cohort, month_offset)
ORDER BY cells.cohort, cells.month_offset
"""


@dataclass(frozen=True)
class CustomerTotals:
    purchase_counts: tuple[int, ...]  # customers with 1, 2, 3, 4, 5+ sale orders
    customers: int  # every customer the shop knows (registered or with an order)
    new_yesterday: int
    new_last_7_days: int
    consents: tuple[int, ...]  # per channel: granted, refused, unknown

    @property
    def buyers(self) -> int:
        return sum(self.purchase_counts)

    @property
    def repeat_buyers(self) -> int:
        return sum(self.purchase_counts[1:])


def customer_totals(connection: duckdb.DuckDBPyConnection, today: date) -> CustomerTotals:
    week = resolve_period("last_7_days", today)
    params = {"yesterday": week.end, "week_start": week.start}
    (found,) = connection.execute(CUSTOMER_TOTALS_SQL, params).fetchall()
    row = [int(value) for value in found]
    return CustomerTotals(tuple(row[0:5]), row[5], row[6], row[7], tuple(row[8:]))


def reached_by_month(
    connection: duckdb.DuckDBPyConnection, months: list[Period]
) -> list[tuple[Any, ...]]:
    """Per month: (month start, customers with at least 1, 2, 3, 4, 5 purchases by then)."""
    params = {"months": [month.start for month in months], "to": months[-1].end}
    return connection.execute(OVER_TIME_SQL, params).fetchall()


def cohort_cells(connection: duckdb.DuckDBPyConnection, span: Period) -> list[tuple[Any, ...]]:
    """(cohort month, size, month offset, customers with a sale order that month)."""
    params = {"from": span.start, "to": span.end}
    return connection.execute(COHORTS_SQL, params).fetchall()
