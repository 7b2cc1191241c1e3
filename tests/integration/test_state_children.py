"""An order's line items and refunds follow its winning payload, in a batch of a few orders
(the children found by index lookups) as in one of thousands (found by a semi-join,
``store.state_rows.JOIN_FROM``): checked against the rows the payloads themselves list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from schemas.events import LineItem, OrderChanged, Refund, ResourceTrashed, Version
from store.state import DuckDBStateStore
from store.state_rows import JOIN_FROM

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def order(order_id: int, step: int) -> OrderChanged:
    """Version ``step`` of an order: ``step + 1`` lines (the last one new at each step) and,
    from step 1 on, one refund."""
    lines = tuple(
        LineItem(
            order_id * 10 + n,
            100 + n,
            0,
            f"P{n}",
            "",
            n + 1,
            Decimal("5.00"),
            Decimal("5.00"),
            Decimal("5.00"),
        )
        for n in range(step + 1)
    )
    refunds = (Refund(order_id * 7, Decimal("1.25"), "broken"),) if step else ()
    return OrderChanged(
        order_id=order_id,
        version=Version(T0 + timedelta(hours=step), f"h{step}"),
        number=str(order_id),
        status="completed",
        currency="PLN",
        customer_id=0,
        email=f"c{order_id}@example.com",
        first_name="",
        last_name="",
        phone="",
        country="PL",
        created_at=T0,
        paid_at=None,
        completed_at=None,
        total=Decimal("10.00"),
        subtotal=Decimal("10.00"),
        shipping=Decimal("0"),
        tax=Decimal("0"),
        discount=Decimal("0"),
        payment_method="cod",
        items=lines,
        refunds=refunds,
        coupons=(),
    )


@pytest.mark.parametrize("orders", [3, JOIN_FROM + 50])
def test_children_are_those_of_the_winning_payload(tmp_path, orders):
    state = DuckDBStateStore(tmp_path / "state.duckdb")
    try:
        ids = range(1, orders + 1)
        state.apply([order(i, 0) for i in ids])
        state.apply([order(i, 2) for i in ids] + [order(i, 1) for i in ids])  # 1 is stale
        state.apply([order(i, 1) for i in ids if i % 2])  # stale again: nothing moves
        con = state.connection
        items = con.execute("SELECT order_id, line_id, quantity FROM order_items").fetchall()
        refunds = con.execute("SELECT order_id, refund_id, amount FROM order_refunds").fetchall()
    finally:
        state.close()
    expected = order  # the payload of step 2 won for every order
    assert sorted(items) == sorted(
        (i, line.line_id, line.quantity) for i in ids for line in expected(i, 2).items
    )
    assert sorted(refunds) == sorted((i, i * 7, Decimal("1.25")) for i in ids)


@pytest.mark.parametrize("orders", [4, JOIN_FROM + 50])
def test_stored_rows_are_replaced_once_across_checkpoints_keeping_their_trash_time(
    tmp_path, orders
):
    """Winners replace their rows by a delete and an insert (``DuckDBStateStore._write_newer``):
    on a checkpointed file, beside new orders in the same batch, every key stays one row, a
    trash time stays with its order, and each order's children are its newest payload's."""
    path = tmp_path / "state.duckdb"
    ids = range(1, orders + 1)
    trashed_at = T0 + timedelta(days=3)
    state = DuckDBStateStore(path)
    try:
        state.apply([order(i, 0) for i in ids])
        state.apply([ResourceTrashed("order", i, trashed_at) for i in ids if i % 3 == 0])
        state.connection.execute("CHECKPOINT")
    finally:
        state.close()
    new_ids = range(orders + 1, orders + 4)
    state = DuckDBStateStore(path)
    try:
        result = state.apply([order(i, 2) for i in ids] + [order(i, 0) for i in new_ids])
        stale = state.apply([order(i, 1) for i in ids])
        con = state.connection
        rows = con.execute("SELECT order_id, v_hash, trash_at FROM orders").fetchall()
        items = con.execute("SELECT order_id, count(*) FROM order_items GROUP BY 1").fetchall()
        refunds = con.execute("SELECT order_id FROM order_refunds").fetchall()
    finally:
        state.close()
    assert (result.applied, stale.applied) == (orders + 3, 0)
    assert sorted(rows) == sorted(
        [(i, "h2", trashed_at if i % 3 == 0 else None) for i in ids]
        + [(i, "h0", None) for i in new_ids]
    )
    assert sorted(items) == sorted([(i, 3) for i in ids] + [(i, 1) for i in new_ids])
    assert sorted(refunds) == [(i,) for i in ids]
