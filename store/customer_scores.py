"""Customer scores in the customers view: RFM and segment, status by return cycle, consents.

Everything here is a pure function of the state and the scoring day (``scores_as_of``), so
a replay reproduces the same view. The scoring day is the later of the last ``job.rfm``
day and the last sale day: between rescorings a new order scores its customer at once
(recency 0), and recency moves on for everyone at each rescoring.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.customer_status import score_customer_status
from processors.analytics.rfm import SEGMENT_ACTIONS, score_rfm
from schemas.events import ScoresRequested
from schemas.shop import ConsentKeys
from schemas.views import CUSTOMERS_VIEW

SCORES_AS_OF = "scores_as_of"  # state meta: the day of the last job.rfm
RESCORED_AT = "rescored_at"  # state meta: when the last job.rfm was requested (ISO)
_TRUE = {"1", "yes", "true", "on", "y", "subscribed", "opt-in", "optin", "granted"}
_FALSE = {"0", "no", "false", "off", "n", "", "unsubscribed", "opt-out", "optout", "denied"}


def effective_as_of(stored: str | None, orders: pa.Table) -> date | None:
    """The scoring day: the later of the stored rescoring day and the last sale day."""
    sales = orders.filter(pc.field("is_sale"))
    last_sale = pc.max(sales["revenue_day"]).as_py() if sales.num_rows else None
    candidates = [day for day in (date.fromisoformat(stored) if stored else None, last_sale) if day]
    return max(candidates) if candidates else None


def score_columns(customers: pa.Table, orders: pa.Table, as_of: date | None) -> dict[str, pa.Array]:
    """RFM and status columns aligned with ``customers`` (nulls without a sale order)."""
    n = customers.num_rows
    scored = np.asarray(customers["orders"].to_numpy(zero_copy_only=False)) > 0
    if as_of is None or not scored.any():
        scored = np.zeros(n, dtype=bool)
    columns = _rfm_columns(customers, scored, as_of)
    columns.update(_status_columns(customers, orders, scored, as_of))
    return columns


def with_customer_scores(
    customers: pa.Table, orders: pa.Table, as_of: date | None, consent_keys: ConsentKeys
) -> pa.Table:
    """``customers`` (aggregates with a ``consents`` column) as the customers view: with
    their RFM, status and consent columns as of ``as_of``."""
    columns = score_columns(customers, orders, as_of)
    columns.update(consent_columns(customers["consents"], consent_keys))
    for name, values in columns.items():
        customers = customers.append_column(name, values)
    return customers.select(CUSTOMERS_VIEW.names).cast(CUSTOMERS_VIEW)


def _rfm_columns(
    customers: pa.Table, scored: np.ndarray, as_of: date | None
) -> dict[str, pa.Array]:
    n = customers.num_rows
    out = {name: np.zeros(n, dtype=np.int64) for name in ("recency_days", "r", "f", "m", "fm")}
    segment = np.full(n, None, dtype=object)
    if scored.any() and as_of is not None:
        last = customers["last_order_day"].to_numpy(zero_copy_only=False)[scored]
        recency = (np.datetime64(as_of, "D") - last.astype("datetime64[D]")).astype(np.int64)
        recency = np.maximum(recency, 0)
        frequency = customers["orders"].to_numpy(zero_copy_only=False)[scored]
        spent = pc.cast(customers["net_spent"], pa.float64()).to_numpy(zero_copy_only=False)
        monetary = spent[scored]
        scores = score_rfm(recency, frequency, monetary)
        out["recency_days"][scored] = recency
        for name in ("r", "f", "m", "fm"):
            out[name][scored] = getattr(scores, name)
        segment[scored] = scores.segment
    mask = ~scored
    columns = {name: pa.array(values, mask=mask) for name, values in out.items()}
    digits = [pc.cast(columns[name], pa.string()) for name in ("r", "f", "m")]
    columns["rfm_score"] = pc.binary_join_element_wise(*digits, "")
    columns["segment"] = pa.array(segment.tolist(), pa.string())
    columns["recommended_action"] = pa.array(
        [SEGMENT_ACTIONS[s] if s else None for s in segment.tolist()], pa.string()
    )
    return columns


def _status_columns(
    customers: pa.Table, orders: pa.Table, scored: np.ndarray, as_of: date | None
) -> dict[str, pa.Array]:
    n = customers.num_rows
    cycle = np.zeros(n)
    overdue = np.zeros(n)
    expected = np.zeros(n, dtype="datetime64[D]")
    status = np.full(n, None, dtype=object)
    source = np.full(n, None, dtype=object)
    sales = orders.filter(pc.field("is_sale"))
    if scored.any() and as_of is not None and sales.num_rows:
        # customers by row number: integer keys sort far faster than strings
        rows = pc.index_in(sales["customer_key"], value_set=customers["customer_key"])
        found = score_customer_status(
            rows.to_numpy(zero_copy_only=False).astype(np.int64),
            sales["revenue_day"].to_numpy(zero_copy_only=False),
            as_of,
        )
        at = found.customer.astype(np.int64)
        cycle[at] = found.cycle_days
        overdue[at] = found.days_overdue
        expected[at] = found.expected_return
        status[at] = found.status
        source[at] = found.cycle_source
    mask = ~scored
    return {
        "status": pa.array(status.tolist(), pa.string()),
        "cycle_days": pa.array(cycle, mask=mask),
        "cycle_source": pa.array(source.tolist(), pa.string()),
        "expected_return": pa.array(expected, pa.date32(), mask=mask),
        "days_overdue": pa.array(overdue, mask=mask),
    }


def consent_columns(consents: pa.ChunkedArray, keys: ConsentKeys) -> dict[str, pa.Array]:
    """``<channel>_consent`` per customer: the first configured key present with a value we
    understand decides. Consent meta repeats a few shapes across customers, so each
    distinct value is parsed once and the answers are spread with ``take``."""
    encoded = pc.dictionary_encode(consents.combine_chunks())
    distinct = [json.loads(raw) if raw else {} for raw in encoded.dictionary.to_pylist()]
    return {
        f"{channel}_consent": pa.array(
            [_consent(meta, channel_keys) for meta in distinct], pa.bool_()
        ).take(encoded.indices)
        for channel, channel_keys in keys
    }


def _consent(meta: dict[str, str], keys: tuple[str, ...]) -> bool | None:
    for key in keys:
        value = str(meta.get(key, "")).strip().lower() if key in meta else None
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
    return None


SEGMENT_HISTORY_SQL = """
INSERT INTO segment_history
SELECT s.customer_key, $as_of, s.segment, p.segment, s.r, s.f, s.m
FROM scored s LEFT JOIN (
    SELECT customer_key, arg_max(segment, changed_on) AS segment
    FROM segment_history WHERE changed_on < $as_of GROUP BY customer_key
) p USING (customer_key)
WHERE s.segment IS NOT NULL AND p.segment IS DISTINCT FROM s.segment
"""


def record_segment_history(
    con: duckdb.DuckDBPyConnection, customers: pa.Table, job: ScoresRequested
) -> int:
    """Record, as of the job's day, every customer whose segment differs from their last
    recorded one (a rescoring of the same day replaces that day's rows), and the job in the
    state meta; returns how many customers moved."""
    as_of = job.as_of
    scored = customers.select(["customer_key", "segment", "r", "f", "m"])
    con.register("scored", scored)
    try:
        con.execute("BEGIN TRANSACTION")
        con.execute("DELETE FROM segment_history WHERE changed_on = $as_of", {"as_of": as_of})
        moved = con.execute(SEGMENT_HISTORY_SQL + " RETURNING 1", {"as_of": as_of}).fetchall()
        con.execute(
            "INSERT INTO meta VALUES (?, ?), (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [SCORES_AS_OF, as_of.isoformat(), RESCORED_AT, job.at.isoformat()],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("scored")
    return len(moved)
