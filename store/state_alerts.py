"""The alerts a shop's state keeps (``alerts``: one row per alert raised, schemas/alerts.py)
and the meta keys of the scheduled evaluation. Each write notes the alert as a pending
change, so the next publish refreshes the alerts view."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import duckdb
import pyarrow as pa

from schemas.alerts import ALERT_FIELDS, Alert
from store.arrow_results import arrow_of
from store.state_schema import ALERTS

# the last job.alerts ({"as_of": day, "at": time}) and the time of the last one evaluated
ALERTS_DUE = "alerts_due"
ALERTS_DONE_AT = "alerts_done_at"
REJECTED_UNSEEN = "rejected_unseen"  # events rejected live since the last alert check
# {cause: {"at", "count", "detail"}} of the job.health_noted seen, and {cause: at} of those
# already checked (by an alerts_raised, so a replay checks none again)
DIGESTS_DUE = "digests_due"  # when the last job.digests asked for the digests now
DIGESTS_DONE = "digests_done"  # the job.digests time they were last sent for
HEALTH_NOTED = "health_noted"
HEALTH_SEEN = "health_seen"


def merge_meta(con: duckdb.DuckDBPyConnection, key: str, values: dict) -> None:
    """Merge ``values`` into the JSON object kept under meta ``key``."""
    found = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    merged = (json.loads(found[0][0]) if found else {}) | values
    set_alerts_meta(con, key, json.dumps(merged, sort_keys=True))


def count_rejected(con: duckdb.DuckDBPyConnection, events: int) -> None:
    """Add ``events`` to the rejected events not yet seen by the alert check."""
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
        "SET value = (meta.value::BIGINT + excluded.value::BIGINT)::VARCHAR",
        [REJECTED_UNSEEN, str(events)],
    )


def record_alerts(con: duckdb.DuckDBPyConnection, alerts: Sequence[Alert]) -> int:
    """Keep ``alerts`` (one already kept is left as it is); how many are new. In the
    caller's transaction."""
    if not alerts:
        return 0
    rows = [{name: getattr(a, name) for name in ALERT_FIELDS} | {"acknowledged_at": None}
            for a in alerts]  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=ALERTS)
    con.register("raised_alerts", table)
    try:
        new = con.execute(
            f"INSERT INTO alerts ({', '.join(ALERTS.names)}) SELECT * FROM raised_alerts "
            "ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id"
        ).fetchall()
        con.execute(
            "INSERT INTO pending_changes SELECT 'alert', alert_id FROM raised_alerts "
            "ON CONFLICT DO NOTHING"
        )
    finally:
        con.unregister("raised_alerts")
    return len(new)


def acknowledge_alert(con: duckdb.DuckDBPyConnection, alert_id: int, at: datetime) -> bool:
    """Mark an alert acknowledged at ``at`` (the first time counts); False when unknown."""
    found = con.execute(
        "UPDATE alerts SET acknowledged_at = coalesce(acknowledged_at, $at) "
        "WHERE alert_id = $id RETURNING alert_id",
        {"at": at, "id": alert_id},
    ).fetchall()
    if found:
        con.execute(
            "INSERT INTO pending_changes VALUES ('alert', ?) ON CONFLICT DO NOTHING", [alert_id]
        )
    return bool(found)


def forget_unchecked(con: duckdb.DuckDBPyConnection) -> None:
    """The alert rules have checked every published change (in the caller's transaction)."""
    con.execute("DELETE FROM alert_scope")


def set_alerts_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [key, value],
    )


def recent_alerts(con: duckdb.DuckDBPyConnection, shop_id: str, since: datetime) -> list[Alert]:
    """The alerts raised at or after ``since``, oldest first."""
    table = arrow_of(
        con,
        "SELECT * FROM alerts WHERE created_at >= $since ORDER BY created_at, alert_id",
        {"since": since},
    )
    return [
        Alert(**{name: row[name] for name in ALERT_FIELDS if name != "shop_id"}, shop_id=shop_id)
        for row in table.to_pylist()
    ]
