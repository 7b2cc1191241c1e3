"""Customer 360 (seed 003): one customer's profile, consents, orders, RFM, segment history,
status by return cycle, CLV and churn risk, from the customers, orders, segment_history,
clv and churn views.

JSON carries every block; CSV is the one profile row (the customer table's columns).
The customer's orders are paginated (``page``, ``per_page``), newest first.
"""

from __future__ import annotations

from typing import Any

import duckdb

from api.context import RequestContext, envelope
from api.errors import NotFound
from api.listing import select_list
from api.lists.customers import CUSTOMERS
from api.lists.orders import ORDERS
from api.predictions import customer_predictions
from api.queries import Page, pagination, table_rows
from api.result import Result, row_objects
from schemas.shop import CONSENT_CHANNELS
from schemas.views import SEGMENT_HISTORY_VIEW
from store.arrow_results import arrow_of

RFM_FIELDS = ("recency_days", "r", "f", "m", "fm", "rfm_score", "segment", "recommended_action")
STATUS_FIELDS = ("status", "cycle_days", "cycle_source", "expected_return", "days_overdue")
HISTORY_COLUMNS = tuple(name for name in SEGMENT_HISTORY_VIEW.names if name != "customer_key")

PROFILE_SQL = f"SELECT {select_list(CUSTOMERS)} FROM customers WHERE customer_key = $key"
# One scan of the orders view: the page and (as a window over all of the customer's
# orders, computed before QUALIFY keeps the page) how many there are.
ORDERS_SQL = f"""
SELECT {select_list(ORDERS)}, count(*) OVER () AS total
FROM orders WHERE customer_key = $key
QUALIFY row_number() OVER (ORDER BY created_at DESC, order_id DESC) BETWEEN $first AND $last
ORDER BY created_at DESC, order_id DESC
"""
ORDER_COUNT_SQL = "SELECT count(*) FROM orders WHERE customer_key = $key"
HISTORY_SQL = (
    "SELECT " + ", ".join(HISTORY_COLUMNS) + " FROM segment_history "
    "WHERE customer_key = $key ORDER BY changed_on, segment"
)


def _profile(connection: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any]:
    rows = table_rows(arrow_of(connection, PROFILE_SQL, {"key": key}))
    if not rows:
        raise NotFound("no customer with customer_key " + repr(key))
    return dict(zip(CUSTOMERS.columns, rows[0], strict=True))


def _orders(connection: duckdb.DuckDBPyConnection, key: str, page: Page) -> dict[str, Any]:
    params = {"key": key, "first": page.offset + 1, "last": page.offset + page.size}
    rows = table_rows(arrow_of(connection, ORDERS_SQL, params))
    if rows:
        total = int(rows[0][-1])
    else:
        ((count,),) = connection.execute(ORDER_COUNT_SQL, {"key": key}).fetchall()
        total = int(count)
    data = row_objects(ORDERS.columns, [row[:-1] for row in rows])
    return {"pagination": pagination(page, total), "data": data}


def _history(connection: duckdb.DuckDBPyConnection, key: str) -> list[dict[str, Any]]:
    rows = table_rows(arrow_of(connection, HISTORY_SQL, {"key": key}))
    return row_objects(HISTORY_COLUMNS, rows)


def _blocks(ctx: RequestContext, profile: dict[str, Any]) -> dict[str, Any]:
    """Everything the profile row says, regrouped as the 360 shows it."""
    rfm = {name: profile[name] for name in RFM_FIELDS} | {"scores_as_of": ctx.scores_as_of}
    return {
        "consents": {channel: profile[channel + "_consent"] for channel in CONSENT_CHANNELS},
        "rfm": rfm,
        "status": {name: profile[name] for name in STATUS_FIELDS},
    }


def customer_result(ctx: RequestContext) -> Result:
    """One customer (404 ``not_found`` for an unknown key); CSV: the profile row."""
    key = ctx.path["customer_key"]
    page = Page(ctx.values["page"], ctx.values["per_page"])
    views = ("customers", "orders", "segment_history", "clv", "churn")
    with ctx.views.connect(*views) as connection:
        profile = _profile(connection, key)
        row = tuple(profile.values())
        if ctx.fmt == "csv":
            return Result(CUSTOMERS.columns, [row])
        orders = _orders(connection, key, page)
        history = _history(connection, key)
        predictions = customer_predictions(ctx, connection, key)
    meta = envelope(ctx) | {"customer_key": key, "profile": None} | _blocks(ctx, profile)
    meta |= {"segment_history": history, "orders": orders} | predictions
    return Result(CUSTOMERS.columns, [row], meta, layout="record", key="profile")
