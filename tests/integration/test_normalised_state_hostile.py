"""Property: whatever normalises successfully fits the real DuckDB state (BIGINT,
DECIMAL(18,2), timestamps, UTF-8 text through Arrow), so a hostile body is refused by the
normaliser, never by the state in the middle of a batch."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings

from processors.errors import UnprocessableEvent
from processors.normalise import normalise_order
from store.state import DuckDBStateStore
from store.state_schema import RESOURCE_TABLES
from tests.conftest import load_fixture
from tests.hostile_bodies import Kind, hostile_cases

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_whatever_normalises_from_a_hostile_body_can_be_applied_to_the_duckdb_state(tmp_path):
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    applied: list[str] = []

    @settings(
        max_examples=100,
        deadline=None,
        derandomize=True,  # the same examples every run: the coverage asserts below are stable
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(case=hostile_cases())
    def apply_what_normalises(case: tuple[Kind, dict[str, Any], list[Any]]) -> None:
        kind, body, _ = case
        try:
            event = kind.normalise(body, f"{len(applied):064x}", RECEIVED)
        except UnprocessableEvent:
            return
        store.apply([event])
        table = RESOURCE_TABLES[kind.name]
        key = getattr(event, kind.key)
        rows = store.connection.execute(
            f"SELECT count(*) FROM {table.name} WHERE {table.key} = ?", [key]
        ).fetchone()
        assert rows == (1,)
        applied.append(kind.name)

    try:
        apply_what_normalises()
    finally:
        store.close()
    assert len(applied) >= 50  # most hostile bodies still normalise (tolerant defaults)
    assert {"order", "customer", "product", "coupon", "refund"} <= set(applied)


def test_an_order_at_the_edges_of_the_bounds_is_stored_and_read_back_unchanged(tmp_path):
    body = load_fixture("order_refunded.json")
    body.update(id=2**63 - 1, customer_id=2**63 - 1, total="999999999999.99")
    body.update(date_created_gmt="1970-01-01T00:00:00", date_paid_gmt="2100-01-01T00:00:00")
    body["billing"].update(first_name="Ann\ud800", last_name="O\x00Neil")
    body["line_items"] = [dict(body["line_items"][0], quantity=10**9, subtotal="-999999999999.99")]
    body["refunds"] = [dict(body["refunds"][0], total="-999999999999.99")]
    event = normalise_order(body, "0" * 64, RECEIVED)
    store = DuckDBStateStore(tmp_path / "state.duckdb")
    try:
        assert store.apply([event]).applied == 1
        row = store.connection.execute(
            "SELECT customer_id, total, refunds, items, created_at, paid_at, first_name, "
            "last_name FROM orders WHERE order_id = ?",
            [2**63 - 1],
        ).fetchone()
        quantity = store.connection.execute(
            "SELECT max(quantity) FROM order_items WHERE order_id = ?", [2**63 - 1]
        ).fetchone()
    finally:
        store.close()
    most = Decimal("999999999999.99")
    assert row[:4] == (2**63 - 1, most, most, 10**9)
    assert (row[4], row[5]) == (datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))
    assert row[6:] == ("Ann\ufffd", "O\x00Neil")
    assert quantity == (10**9,)
