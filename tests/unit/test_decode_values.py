"""processors/decode_values.py gives what processors/bounds.py gives, value for value, the
first time and when it remembers (the same result, or the same problem refused)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from processors.bounds import gmt, money, text
from processors.decode_values import date_of, money_of, text_of
from processors.errors import InvalidValue
from tests.hostile_bodies import DATE_TEXTS, NUMBER_TEXTS, dates
from tests.unit.order_bodies import any_date, money_text

money_values = (
    money_text
    | st.sampled_from(NUMBER_TEXTS + [" 12.00 ", "1.005", "-0.00", "", "x", "1_000", "+1"])
    | st.floats()
    | st.sampled_from([0.0, -0.0, 1.0, 0.005, 1e12, -1e-300])
    | st.integers()
    | st.integers(-(10**13), 10**13)
    | st.none()
)
date_values = any_date | st.sampled_from(DATE_TEXTS) | dates | st.text(max_size=25) | st.none()


def result(read: Any, value: Any) -> str:
    """``repr`` of what ``read`` makes of ``value`` ("-0.00" and "0.00" differ), or the
    problem it refuses it for."""
    try:
        return repr(read(value))
    except InvalidValue as exc:
        return f"refused: {exc.problem}"


@settings(max_examples=500)
@given(value=money_values)
def test_money_of_is_money_the_first_time_and_the_next(value):
    expected = result(lambda v: money(v, "total"), value)
    assert result(money_of, value) == expected
    assert result(money_of, value) == expected


@pytest.mark.parametrize("first", [0.0, -0.0])
def test_a_zero_is_read_with_its_sign_whichever_zero_came_first(first):
    money_of(first)
    assert repr(money_of(-0.0)) == "Decimal('-0.00')"
    assert repr(money_of(0.0)) == "Decimal('0.00')"
    assert repr(money_of(-0.0 if first else 0.0)) == repr(money(-0.0 if first else 0.0, "x"))


@settings(max_examples=500)
@given(value=date_values)
def test_date_of_is_gmt_the_first_time_and_the_next(value):
    expected = result(lambda v: gmt(v, "date_created_gmt"), value)
    assert result(date_of, value) == expected
    assert result(date_of, value) == expected


@given(value=st.text() | st.sampled_from(["  a\ud800 ", "\x00", " é "]) | st.none())
def test_text_of_is_text(value):
    assert text_of(value) == text(value)
