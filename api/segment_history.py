"""Segment shares over time (``segments/history``, issue 14, seed 000): for each rescoring
day in a period, the customers in each of the 11 RFM segments and their share of the
scored customers, and each segment's move over the period ("Champions +15% this quarter").

The ``segment_history`` view has a row only when a customer's segment changed, so a
customer's segment on day D is their latest row on or before D. One DuckDB query
reconstructs the counts without walking customers: each row adds one to its segment and
takes one from the customer's previous row's segment (found with a window, so a history
recorded out of order still nets right); a running sum over the days with any row gives
every segment's customers on each of them. Days before the period count, so its first day
carries everybody scored before it. Rescoring days on which nobody moved leave no row, and
their counts equal the day before's, so they are not listed.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from api.context import RequestContext, envelope
from api.json_shapes import DAY, Schema, nullable, obj, ref, strings
from api.params import FORMAT, ParamSpec
from api.period_params import PERIOD_PARAMS, PERIOD_RULES, requested_period
from api.result import Result, row_objects
from api.route_spec import SHOP_PREFIX, RouteSpec
from processors.analytics.rfm import SEGMENTS
from processors.analytics.segment_shares import SegmentDay, segment_days, segment_moves

DAY_COLUMNS = ("day", "segment", "customers", "scored_customers", "share")
MOVE_COLUMNS = (
    "segment",
    "first_customers",
    "last_customers",
    "first_share",
    "last_share",
    "share_change_pp",
    "share_change_pct",
)
TABLES = ("days", "changes")
HISTORY_PARAMS = (
    *PERIOD_PARAMS,
    ParamSpec("table", "enum", "The table CSV carries (default days).", TABLES),
    FORMAT,
)

# customers per segment on every day with a recorded change up to $last (days before the
# period included: the running sum starts at the first record)
COUNTS_SQL = """
WITH h AS (
    SELECT changed_on AS day, segment,
        lag(segment) OVER (PARTITION BY customer_key ORDER BY changed_on) AS before
    FROM segment_history WHERE changed_on <= $last
), moves AS (
    SELECT day, segment, 1 AS moved FROM h
    UNION ALL SELECT day, before, -1 FROM h WHERE before IS NOT NULL
), net AS (
    SELECT day, segment, sum(moved) AS moved FROM moves GROUP BY day, segment
), grid AS (
    SELECT d.day, s.segment FROM (SELECT DISTINCT day FROM h) d
    CROSS JOIN (SELECT unnest($segments) AS segment) s
), running AS (
    SELECT g.day, g.segment,
        sum(coalesce(n.moved, 0)) OVER (PARTITION BY g.segment ORDER BY g.day) AS customers
    FROM grid g LEFT JOIN net n ON n.day = g.day AND n.segment = g.segment
)
SELECT day, segment, customers FROM running WHERE day >= $first
"""

HISTORY_DESCRIPTION = (
    "For each rescoring day in the period on which some customer's RFM segment changed "
    "(oldest first), all 11 segments in a fixed order: `customers` in the segment that day "
    "(a customer's segment on a day is their latest change on or before it, so changes "
    "before the period count), `scored_customers` (all segments' customers that day) and "
    "`share` (0..1, 4 decimals). Rescoring days on which nobody moved are not listed: their "
    "figures equal the listed day before. `changes`: per segment, from the period's first "
    "listed day (`first_day`) to its last (`last_day`): customers and shares on both, "
    "`share_change_pp` (percentage points) and `share_change_pct` (percent of the first "
    "share; null when it is 0), 2 decimals; empty without a listed day. CSV: the table "
    "`table` names (default days), same columns."
)
HISTORY_ROUTE = RouteSpec(
    "segment_history",
    SHOP_PREFIX + "/segments/history",
    "RFM segment shares over time: each segment's customers and share on each rescoring "
    "day of a period, and each segment's change over the period.",
    "SegmentHistory",
    HISTORY_PARAMS,
    description=HISTORY_DESCRIPTION,
    rules=PERIOD_RULES,
)


def _day_rows(days: list[SegmentDay]) -> list[tuple[Any, ...]]:
    return [(d.day, d.segment, d.customers, d.scored_customers, d.share) for d in days]


def segment_history_result(ctx: RequestContext) -> Result:
    """The period's rescoring days with every segment's customers and share, and the moves."""
    period = requested_period(ctx.values, ctx.today)
    params = {"first": period.start, "last": period.end, "segments": list(SEGMENTS)}
    with ctx.views.connect("segment_history") as connection:
        counts = connection.execute(COUNTS_SQL, params).fetchall()
    days = segment_days(counts, SEGMENTS)
    moves = [tuple(vars(move).values()) for move in segment_moves(days, SEGMENTS)]
    if ctx.fmt == "csv" and ctx.values.get("table") == "changes":
        return Result(MOVE_COLUMNS, moves)
    first: date | None = days[0].day if days else None
    meta = envelope(ctx) | {
        "scores_as_of": ctx.scores_as_of,
        "period": {"name": period.name, "from": period.start, "to": period.end},
        "first_day": first,
        "last_day": days[-1].day if days else None,
        "segments": list(SEGMENTS),
        "changes": row_objects(MOVE_COLUMNS, moves),
    }
    return Result(DAY_COLUMNS, _day_rows(days), meta)


def segment_history_schemas() -> dict[str, Schema]:
    """OpenAPI components: a day's segment row, a segment's move, and the whole answer."""
    count: Schema = {"type": "integer"}
    fraction: Schema = {"type": ["number", "null"], "description": "0..1"}
    change: Schema = {"type": ["number", "null"]}
    day_row = obj(
        {
            "day": DAY,
            "segment": {"type": "string"},
            "customers": count,
            "scored_customers": count,
            "share": fraction,
        }
    )
    move = obj(
        {
            "segment": {"type": "string"},
            "first_customers": count,
            "last_customers": count,
            "first_share": fraction,
            "last_share": fraction,
            "share_change_pp": change | {"description": "percentage points"},
            "share_change_pct": change | {"description": "percent of first_share"},
        }
    )
    answer = obj(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "scores_as_of": nullable(DAY),
            "period": obj({"name": {"type": "string"}, "from": DAY, "to": DAY}),
            "first_day": nullable(DAY),
            "last_day": nullable(DAY),
            "segments": strings(),
            "changes": {"type": "array", "items": ref("SegmentMove")},
            "columns": strings(),
            "data": {"type": "array", "items": ref("SegmentDay")},
        }
    )
    return {"SegmentDay": day_row, "SegmentMove": move, "SegmentHistory": answer}
