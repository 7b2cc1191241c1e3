"""Child rows of a resource payload (an order's items and refunds, a refund's items).

They belong to the winning payload: when a payload replaces the stored one, its children
replace the stored children as a whole, inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from schemas.events import Event, OrderChanged, RefundChanged, as_row
from store.state_schema import CHILD_TABLES, CHILDREN_OF, ResourceTable

Rows = list[dict[str, Any]]


def child_rows(event: Event) -> dict[str, Rows]:
    """The child rows of one payload, by child table (pure; empty for childless resources)."""
    if isinstance(event, OrderChanged):
        return {
            "order_items": [{"order_id": event.order_id, **as_row(i)} for i in event.items],
            "order_refunds": [{"order_id": event.order_id, **as_row(r)} for r in event.refunds],
        }
    if isinstance(event, RefundChanged):
        return {"refund_items": [{"refund_id": event.refund_id, **as_row(i)} for i in event.items]}
    return {}


def replace_children(
    con: duckdb.DuckDBPyConnection,
    parent: ResourceTable,
    parent_ids: list[int],
    winners: Sequence[Event],
) -> None:
    """Delete the children of ``parent_ids`` and insert those of the winning payloads."""
    names = CHILDREN_OF.get(parent.name, ())
    rows: dict[str, Rows] = {name: [] for name in names}
    for event in winners:
        for name, event_rows in child_rows(event).items():
            rows[name].extend(event_rows)
    ids = ",".join(str(int(i)) for i in parent_ids)  # a literal list: the index is used
    for name in names:
        con.execute(f"DELETE FROM {name} WHERE {parent.key} IN ({ids})")
        if rows[name]:
            con.register("children", pa.Table.from_pylist(rows[name], schema=CHILD_TABLES[name]))
            con.execute(f"INSERT INTO {name} SELECT * FROM children")
            con.unregister("children")
