"""Where-is-my-parcel tickets: the category is normalised before it is matched (trimmed,
lower-cased, ``_``, ``-`` and spaces collapsed), the common names all count, and the
tickets view's SQL flags exactly the tickets the Python rule does."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.tickets import is_wismo, wismo_key
from processors.projections.ticket_views import IS_WISMO_SQL, wismo_params

# category as a helpdesk sends it -> WISMO or not
TABLE = [
    ("where_is_my_order", True),
    ("Where_Is_My_Order ", True),
    ("where-is-my-order", True),
    ("Where is my order?", True),
    ("WHERE  IS   MY\tORDER", True),
    ("where is my parcel", True),
    ("Where-Is-My-Package", True),
    ("WISMO", True),
    (" wismo ", True),
    ("order status", True),
    ("Order_Status", True),
    ("order-status", True),
    ("shipping status", True),
    ("Shipping-Status", True),
    ("delivery_status", True),
    ("Delivery Status", True),
    ("tracking", True),
    ("Tracking!", True),
    ("order tracking", True),
    ("shipping", True),
    ("delivery", True),
    ("", False),
    ("refund", False),
    ("where is my refund", False),
    ("shipping address", False),
    ("order", False),
    ("status", False),
    ("ordersstatus", False),
    ("order status update", False),
    ("wismo-2", False),
    ("re: where is my order", False),
]


@pytest.mark.parametrize(("category", "expected"), TABLE)
def test_a_category_counts_as_wismo_after_normalising_it(category, expected):
    assert is_wismo(category) is expected


@pytest.mark.parametrize(
    ("category", "key"),
    [
        ("  Where__Is--My Order?? ", "where is my order"),
        ("order_-_status", "order status"),
        ("-_- ", ""),
        ("Delivery.", "delivery"),
    ],
)
def test_normalising_collapses_separators_and_trims_the_ends(category, key):
    assert wismo_key(category) == key


def _flags_in_sql(categories: list[str]) -> list[bool]:
    """The tickets view's expression over categories as the state keeps them."""
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE tickets (n INTEGER, category VARCHAR)")
        con.executemany("INSERT INTO tickets VALUES (?, ?)", list(enumerate(categories)))
        rows = con.execute(
            f"SELECT {IS_WISMO_SQL} FROM tickets ORDER BY n", wismo_params()
        ).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def test_the_tickets_view_sql_flags_the_table_as_the_python_rule_does():
    stored = [category.strip().lower() for category, _ in TABLE]  # as normalise_ticket keeps
    assert _flags_in_sql(stored) == [expected for _, expected in TABLE]


_PIECES = st.sampled_from(
    ["where", "is", "my", "order", "parcel", "wismo", "status", "shipping", "tracking",
     " ", "_", "-", "\t", "?", ".", "!", "x", "é"]
)  # fmt: skip


@given(st.lists(st.lists(_PIECES, max_size=8).map("".join), min_size=1, max_size=20))
def test_sql_and_python_agree_on_any_category(categories):
    stored = [category.strip().lower() for category in categories]
    assert _flags_in_sql(stored) == [is_wismo(category) for category in stored]
