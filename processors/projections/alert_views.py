"""The alerts view: every alert the shop raised (``alerts`` in the state, written by the
alert jobs), with the reason in words and whether someone acknowledged it; refreshed for the
alerts raised or acknowledged since the last publish."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from processors.projections.projection import Context
from processors.projections.sql import in_ids
from schemas.alerts import ALERT_FIELDS, Alert
from schemas.views import ALERTS_VIEW
from store.viewstore import Changed, Write

VIEW = "alerts"
ROWS_SQL = "SELECT * FROM alerts WHERE {scope} ORDER BY alert_id"


class AlertsView:
    views = (VIEW,)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {VIEW: alert_rows(ctx, "TRUE")}

    def changes(self, ctx: Context) -> dict[str, Write]:
        ids = ctx.pending.get("alert", [])
        if not ids:
            return {}
        upserts = alert_rows(ctx, f"alert_id IN {in_ids(ids)}")
        keys = ALERTS_VIEW.empty_table().select(["alert_id"])
        count = ctx.counter("SELECT count(*) FROM alerts")
        return {VIEW: Changed(upserts, keys, count, lambda: alert_rows(ctx, "TRUE"))}


def alert_rows(ctx: Context, scope: str) -> pa.Table:
    """The view's rows of the alerts in ``scope``."""
    rows = [_row(row) for row in ctx.sql(ROWS_SQL.format(scope=scope)).to_pylist()]
    return pa.Table.from_pylist(rows, schema=ALERTS_VIEW) if rows else ALERTS_VIEW.empty_table()


def _row(row: dict[str, Any]) -> dict[str, Any]:
    alert = Alert(**{name: row.get(name, "") for name in ALERT_FIELDS})  # no shop_id kept
    return row | {"why": alert.why, "acknowledged": row["acknowledged_at"] is not None}
