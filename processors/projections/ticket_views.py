"""The ``tickets`` view: one row per helpdesk ticket the state holds and has not trashed,
with its WISMO flag and its day in the shop's timezone (SPEC §4 support metrics). The
WISMO flag is ``processors.analytics.tickets.is_wismo`` in SQL (``IS_WISMO_SQL``: the state
keeps categories lower-cased already).

Built whole from the ``tickets`` state table, or refreshed for the tickets a publish's
pending changes name (``ticket`` keys): their rows now, and the ids of those now trashed.
No materialised table: the state table is the view's source and is indexed by its key.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from processors.analytics.tickets import EDGES, SEPARATORS, WISMO_CATEGORIES
from processors.projections.projection import Context
from processors.projections.sql import in_ids
from schemas.views import TICKETS_VIEW
from store.viewstore import Changed, Write

VIEW = "tickets"
RESOURCE = "ticket"
# a ticket is live when it has a payload and no later trash time (store/state_schema.py)
_LIVE = "v_at IS NOT NULL AND NOT coalesce(trash_at > v_at, false)"
IS_WISMO_SQL = (
    "list_contains($wismo, trim(regexp_replace(category, $separators, ' ', 'g'), $edges))"
)
TICKETS_SQL = (
    "SELECT ticket_id, order_id, category, created_at, "
    f"{IS_WISMO_SQL} AS is_wismo, "
    "(created_at AT TIME ZONE $tz)::DATE AS created_day "
    f"FROM tickets WHERE {_LIVE} AND {{scope}} ORDER BY ticket_id"
)
GONE_SQL = (
    f"SELECT ticket_id FROM tickets WHERE NOT ({_LIVE}) AND ticket_id IS NOT NULL AND {{scope}} "
    "ORDER BY ticket_id"
)
COUNT_SQL = f"SELECT count(*) FROM tickets WHERE {_LIVE}"
_KEY_SCHEMA = pa.schema([TICKETS_VIEW.field("ticket_id")])


def _params(ctx: Context) -> dict[str, Any]:
    return wismo_params() | {"tz": ctx.shop.timezone}


def wismo_params() -> dict[str, Any]:
    """The named parameters of ``IS_WISMO_SQL``."""
    return {"wismo": list(WISMO_CATEGORIES), "separators": SEPARATORS, "edges": EDGES}


def _rows(ctx: Context, scope: str) -> pa.Table:
    return ctx.sql(TICKETS_SQL.format(scope=scope), _params(ctx)).cast(TICKETS_VIEW)


class TicketViews:
    views = (VIEW,)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {VIEW: _rows(ctx, "TRUE")}

    def changes(self, ctx: Context) -> dict[str, Write]:
        keys = ctx.pending.get(RESOURCE, [])
        if not keys:
            return {}
        scope = f"ticket_key IN {in_ids(keys)}"
        gone = ctx.sql(GONE_SQL.format(scope=scope)).cast(_KEY_SCHEMA)
        return {
            VIEW: Changed(
                upserts=_rows(ctx, scope),
                deleted=gone,
                rows=ctx.counter(COUNT_SQL),
                whole=lambda: _rows(ctx, "TRUE"),
            )
        }
