"""A publish forgets exactly the changes it included: a small one pair by pair, a big one
(``FORGET_ALL_FROM`` or more) by emptying the table when nothing else is pending, and pair
by pair again when a change came in after the publish read them (checked against the ids
the test itself applied)."""

from __future__ import annotations

import pytest

from store.state import FORGET_ALL_FROM, DuckDBStateStore
from tests.integration.test_state_children import order


def pending(state: DuckDBStateStore) -> set[tuple[str, int]]:
    rows = state.connection.execute("SELECT resource, id FROM pending_changes").fetchall()
    return set(rows)


@pytest.mark.parametrize("orders", [5, FORGET_ALL_FROM + 10])
@pytest.mark.parametrize("late", [False, True])
def test_a_publish_forgets_what_it_included_and_nothing_else(tmp_path, orders, late):
    state = DuckDBStateStore(tmp_path / "state.duckdb")
    try:
        state.apply([order(i, 0) for i in range(1, orders + 1)])
        included = state.pending_changes()
        assert included == {"order": list(range(1, orders + 1))}
        if late:  # applied after the publish read its changes, before it forgot them
            state.apply([order(orders + 1, 0), order(1, 1)])
        state.published(included, "params")
        left = pending(state)
        meta = state.get_meta("view_params")
    finally:
        state.close()
    # order 1 changed again after it was read, but its pending row is one row: it is
    # forgotten with the publish that included it (as before this change, pair by pair)
    assert left == ({("order", orders + 1)} if late else set())
    assert meta == "params"
