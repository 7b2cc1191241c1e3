"""The customer search's ILIKE pattern (api/lists/customers.py) finds exactly the values
that contain the term in any case, the term's own ``%``, ``_`` and ``\\`` taken literally:
checked against Python's ``in`` over lower-cased text, in DuckDB itself."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from api.lists.customers import containing

TEXT = st.text(alphabet=st.sampled_from("aAbB_%\\ .@łŁéÉ1"), max_size=8)


@settings(max_examples=300, deadline=None)
@given(value=TEXT, term=TEXT.filter(bool))
def test_the_pattern_matches_what_contains_the_term_in_any_case(value, term):
    connection = duckdb.connect()
    ((found,),) = connection.execute(
        "SELECT $value ILIKE $pattern ESCAPE '\\'", {"value": value, "pattern": containing(term)}
    ).fetchall()
    assert found == (term.lower() in value.lower())


def test_wildcards_in_the_term_are_literal():
    assert containing("a_b%") == "%a\\_b\\%%"
    assert containing("back\\slash") == "%back\\\\slash%"
