"""The customer search (``q``, api/lists/customers.py over api/search_text.py) finds exactly
the customers the four ILIKEs it replaced found: e-mail, phone, customer_key or "first
last" containing the term in any case, the term's ``%``, ``_`` and ``\\`` taken literally.
The old predicate is the oracle here; both run in DuckDB itself, over field values that
may be null, empty or hold the separator (NUL) themselves."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api import search_text
from api.errors import InvalidParameter
from api.lists.customers import SEARCH, searched

CHARS = "aAbB_%\\ .@łŁéÉİıßẞ1+"
TEXT = st.text(alphabet=st.sampled_from(CHARS), max_size=8)
FIELD = st.none() | TEXT | st.text(alphabet=st.sampled_from(CHARS + "\x00"), max_size=6)
OLD_FIELDS = ("email", "phone", "customer_key", "concat_ws(' ', first_name, last_name)")


def _old_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return "%" + escaped + "%"


OLD_SQL = " OR ".join(f"{column} ILIKE $pattern ESCAPE '\\'" for column in OLD_FIELDS)
NEW_SQL = SEARCH.sql.replace("$value", "$term")


@settings(max_examples=400, deadline=None)
@given(fields=st.tuples(FIELD, FIELD, FIELD, FIELD, FIELD), term=TEXT.filter(bool))
def test_the_search_text_finds_what_the_four_ilikes_found(fields, term):
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE c AS SELECT $1 AS email, $2 AS phone, $3 AS customer_key, "
        "$4 AS first_name, $5 AS last_name",
        list(fields),
    )
    connection.execute(f"CREATE VIEW v AS SELECT {search_text.SELECT_LIST} FROM c")
    ((old,),) = connection.execute(
        f"SELECT coalesce(({OLD_SQL}), false) FROM c", {"pattern": _old_pattern(term)}
    ).fetchall()
    ((new,),) = connection.execute(
        f"SELECT coalesce({NEW_SQL}, false) FROM v", {"term": searched(term)}
    ).fetchall()
    assert new == old


def test_a_term_holding_the_separator_is_refused():
    with pytest.raises(InvalidParameter, match="NUL"):
        searched("a\x00b")
