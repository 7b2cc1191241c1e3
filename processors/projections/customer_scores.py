"""Customer scores in the customers view: RFM and segment, status by return cycle, consents.

A rescoring (``job.rfm``) scores every customer as of its day (the later of the job's day
and the shop's last sale day) by position in the shop's distribution, records who changed
segment, and keeps what the scores were measured against: the day, the RFM thresholds
(``processors/analytics/rfm_thresholds.py``) and the shop's return cycle (the scoring
basis, state meta ``scoring_basis``). Until the next rescoring a customer is scored against
that basis, as of the later of its day and their own last sale day: a customer whose orders
change moves at once (a new order: recency 0), and nobody else changes. Before the first
rescoring there is no basis: everyone is scored against the shop's distribution as of the
last sale day, at every publish. Either way the result is a pure function of the state, so
a replay reproduces it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from processors.analytics.customer_status import ShopCycle, score_customer_status, shop_cycle
from processors.analytics.rfm import SEGMENT_ACTIONS, score_rfm
from processors.analytics.rfm_thresholds import RfmThresholds, rfm_thresholds, score_rfm_against
from schemas.control_events import ScoresRequested
from schemas.shop import ConsentKeys
from schemas.views import CUSTOMERS_VIEW
from store.state import count_job, transaction

SCORES_AS_OF = "scores_as_of"  # state meta: the day of the last job.rfm
SCORING_BASIS = "scoring_basis"  # state meta: what the last job.rfm measured against (JSON)
RESCORED_AT = "rescored_at"  # state meta: when the last job.rfm was requested (ISO)
_TRUE = {"1", "yes", "true", "on", "y", "subscribed", "opt-in", "optin", "granted"}
_FALSE = {"0", "no", "false", "off", "n", "", "unsubscribed", "opt-out", "optout", "denied"}


def sales_of(orders: pa.Table, *columns: str) -> pa.Table:
    """The ``columns`` of the sale orders (the columns picked first: filtering a whole
    build's 66,000 orders with every column cost 70 ms, two of them under 1 ms)."""
    return orders.select(list(columns)).filter(orders["is_sale"])


def orders_of_group(orders: pa.Table, group: pa.Table) -> pa.Table:
    """The orders of ``group``'s customers: ``orders`` as they are when every one is theirs
    (one scoring day for the whole shop: a whole build's copy of every column saved)."""
    mine = pc.is_in(orders["customer_key"], value_set=group["customer_key"])
    return orders if pc.all(mine).as_py() is not False else orders.filter(mine)


def last_sale_day(orders: pa.Table) -> date | None:
    days = sales_of(orders, "revenue_day")["revenue_day"]
    return pc.max(days).as_py() if len(days) else None


def effective_as_of(stored: str | None, orders: pa.Table) -> date | None:
    """The scoring day: the later of the stored rescoring day and the last sale day."""
    last_sale = last_sale_day(orders)
    candidates = [day for day in (date.fromisoformat(stored) if stored else None, last_sale) if day]
    return max(candidates) if candidates else None


@dataclass(frozen=True)
class ScoringBasis:
    """What a rescoring measured the shop's customers against (see the module doc)."""

    as_of: date
    rfm: RfmThresholds
    shop_cycle: ShopCycle

    def as_json(self) -> str:
        data = {"as_of": self.as_of.isoformat(), "rfm": self.rfm.as_json()}
        return json.dumps(data | {"shop_cycle": list(self.shop_cycle)}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ScoringBasis:
        data = json.loads(text)
        cycle = (float(data["shop_cycle"][0]), str(data["shop_cycle"][1]))
        return cls(date.fromisoformat(data["as_of"]), RfmThresholds.from_json(data["rfm"]), cycle)


def load_basis(con: duckdb.DuckDBPyConnection) -> ScoringBasis | None:
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [SCORING_BASIS]).fetchall()
    return ScoringBasis.from_json(rows[0][0]) if rows else None


def basis_of(customers: pa.Table, orders: pa.Table, as_of: date) -> ScoringBasis | None:
    """The basis a rescoring as of ``as_of`` keeps (None when nobody has a sale order)."""
    scored = np.asarray(customers["orders"].to_numpy(zero_copy_only=False)) > 0
    if not scored.any():
        return None
    limits = rfm_thresholds(*_rfm_inputs(customers, scored, as_of))
    sales = sales_of(orders, "customer_key", "revenue_day")
    keys = sales["customer_key"].to_numpy(zero_copy_only=False)
    days = sales["revenue_day"].to_numpy(zero_copy_only=False)
    return ScoringBasis(as_of, limits, shop_cycle(keys, days, as_of))


def score_columns(
    customers: pa.Table, orders: pa.Table, as_of: date | None, basis: ScoringBasis | None = None
) -> dict[str, pa.Array]:
    """RFM and status columns aligned with ``customers`` (nulls without a sale order), as of
    ``as_of``: against ``basis`` when given, else against these customers' distribution."""
    n = customers.num_rows
    scored = np.asarray(customers["orders"].to_numpy(zero_copy_only=False)) > 0
    if as_of is None or not scored.any():
        scored = np.zeros(n, dtype=bool)
    columns = _rfm_columns(customers, scored, as_of, basis)
    columns.update(_status_columns(customers, orders, scored, as_of, basis))
    return columns


def with_customer_scores(
    customers: pa.Table,
    orders: pa.Table,
    as_of: date | None,
    consent_keys: ConsentKeys,
    basis: ScoringBasis | None = None,
) -> pa.Table:
    """``customers`` (aggregates with a ``consents`` column) as the customers view: with
    their RFM, status and consent columns as of ``as_of`` (against ``basis`` if given)."""
    columns = score_columns(customers, orders, as_of, basis)
    columns.update(consent_columns(customers["consents"], consent_keys))
    for name, values in columns.items():
        customers = customers.append_column(name, values)
    return customers.select(CUSTOMERS_VIEW.names).cast(CUSTOMERS_VIEW)


def scoring_days(customers: pa.Table, basis: ScoringBasis) -> pa.Array:
    """Each customer's scoring day: the later of the basis day and their last sale day."""
    last = pc.fill_null(customers["last_order_day"], pa.scalar(basis.as_of, pa.date32()))
    return pc.max_element_wise(last, pa.scalar(basis.as_of, pa.date32()))


def scored_against(
    customers: pa.Table, orders: pa.Table, basis: ScoringBasis, consent_keys: ConsentKeys
) -> pa.Table:
    """``customers`` scored against ``basis``, each as of their own scoring day (customers
    sharing a day are scored together)."""
    days = scoring_days(customers, basis)
    parts = []
    for day in pc.unique(days).to_pylist():
        group = customers.filter(pc.equal(days, pa.scalar(day, pa.date32())))
        mine = orders_of_group(orders, group)
        parts.append(with_customer_scores(group, mine, day, consent_keys, basis))
    if not parts:
        return with_customer_scores(customers, orders, basis.as_of, consent_keys, basis)
    return pa.concat_tables(parts).sort_by("customer_key")


def _rfm_inputs(
    customers: pa.Table, scored: np.ndarray, as_of: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Recency (days to ``as_of``), frequency and monetary of the ``scored`` customers."""
    last = customers["last_order_day"].to_numpy(zero_copy_only=False)[scored]
    recency = (np.datetime64(as_of, "D") - last.astype("datetime64[D]")).astype(np.int64)
    frequency = customers["orders"].to_numpy(zero_copy_only=False)[scored]
    spent = pc.cast(customers["net_spent"], pa.float64()).to_numpy(zero_copy_only=False)
    return np.maximum(recency, 0), frequency, spent[scored]


def _rfm_columns(
    customers: pa.Table, scored: np.ndarray, as_of: date | None, basis: ScoringBasis | None
) -> dict[str, pa.Array]:
    n = customers.num_rows
    out = {name: np.zeros(n, dtype=np.int64) for name in ("recency_days", "r", "f", "m", "fm")}
    segment = np.full(n, None, dtype=object)
    if scored.any() and as_of is not None:
        recency, frequency, monetary = _rfm_inputs(customers, scored, as_of)
        if basis is None:
            scores = score_rfm(recency, frequency, monetary)
        else:
            scores = score_rfm_against(basis.rfm, recency, frequency, monetary)
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
    customers: pa.Table,
    orders: pa.Table,
    scored: np.ndarray,
    as_of: date | None,
    basis: ScoringBasis | None,
) -> dict[str, pa.Array]:
    n = customers.num_rows
    cycle = np.zeros(n)
    overdue = np.zeros(n)
    expected = np.zeros(n, dtype="datetime64[D]")
    status = np.full(n, None, dtype=object)
    source = np.full(n, None, dtype=object)
    sales = sales_of(orders, "customer_key", "revenue_day")
    if scored.any() and as_of is not None and sales.num_rows:
        # customers by row number: integer keys sort far faster than strings
        rows = pc.index_in(sales["customer_key"], value_set=customers["customer_key"])
        found = score_customer_status(
            rows.to_numpy(zero_copy_only=False).astype(np.int64),
            sales["revenue_day"].to_numpy(zero_copy_only=False),
            as_of,
            kept_shop_cycle=None if basis is None else basis.shop_cycle,
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
    con: duckdb.DuckDBPyConnection,
    customers: pa.Table,
    job: ScoresRequested,
    basis: ScoringBasis | None = None,
) -> int:
    """Record, as of the job's day, every customer whose segment differs from their last
    recorded one (a rescoring of the same day replaces that day's rows), and the job and the
    scoring basis in the state meta; returns how many customers moved."""
    as_of = job.as_of
    scored = customers.select(["customer_key", "segment", "r", "f", "m"])
    con.register("scored", scored)
    try:
        with transaction(con):
            con.execute("DELETE FROM segment_history WHERE changed_on = $as_of", {"as_of": as_of})
            moved = con.execute(SEGMENT_HISTORY_SQL + " RETURNING 1", {"as_of": as_of}).fetchall()
            meta = [SCORES_AS_OF, as_of.isoformat(), RESCORED_AT, job.at.isoformat()]
            if basis is not None:
                meta += [SCORING_BASIS, basis.as_json()]
            con.execute(
                "INSERT INTO meta VALUES "
                + ", ".join(["(?, ?)"] * (len(meta) // 2))
                + " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                meta,
            )
            count_job(con)
    finally:
        con.unregister("scored")
    return len(moved)
