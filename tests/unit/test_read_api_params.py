"""Query parameter parsing: loose names for segments and statuses, lists validated against
their names, the 400 message that names the parameter, and values accepted exactly as their
OpenAPI schema allows (no empty or padded typed values, documented bounds)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from api.errors import InvalidParameter
from api.lists.customers import CUSTOMER_STATUS, SEGMENT
from api.openapi import param_schema
from api.params import (
    DECIMAL_PATTERN,
    MAX_INTEGER,
    MAX_PAGE,
    PAGE,
    PER_PAGE,
    ParamSpec,
    parse_query,
)
from api.segments import SEGMENT_NAME
from processors.analytics.rfm import SEGMENTS

STRICT = ParamSpec("format", "enum", "", ("json", "csv"))


def parse(spec: ParamSpec, *values: str):
    return parse_query((spec,), MultiDict([(spec.name, value) for value in values]))[spec.name]


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (SEGMENT, "At Risk", ["At Risk"]),
        (SEGMENT, "at_risk, LOST", ["At Risk", "Lost"]),
        (SEGMENT, "cant-lose-them", ["Can't Lose Them"]),
        (SEGMENT, "Lost,lost", ["Lost"]),
        (SEGMENT, " , ", None),
        (CUSTOMER_STATUS, "at risk,NEW", ["At risk", "New"]),
        (SEGMENT_NAME, "potential_loyalist", "Potential Loyalist"),
        (STRICT, "csv", "csv"),
    ],
)
def test_loose_names_match_ignoring_case_spaces_and_punctuation(spec, raw, expected):
    assert parse(spec, raw) == expected


def test_repeated_list_parameters_join_into_one_list():
    assert parse(SEGMENT, "Champions", "lost") == ["Champions", "Lost"]


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (SEGMENT, "Champions,VIP", "segment must be a comma-separated list of Champions,"),
        (CUSTOMER_STATUS, "sleeping", "(got 'sleeping')"),
        (SEGMENT_NAME, "everyone", "name must be one of Champions, Loyal Customers"),
        (STRICT, "CSV", "format must be one of json, csv (got 'CSV')"),  # not loose
    ],
)
def test_unknown_names_are_a_400_naming_the_parameter_and_the_choices(spec, raw, message):
    with pytest.raises(InvalidParameter) as raised:
        parse(spec, raw)

    assert message in raised.value.message


@given(name=st.sampled_from(SEGMENTS), upper=st.booleans(), separator=st.sampled_from(" _-"))
def test_every_segment_is_found_from_its_slug_in_any_case(name, upper, separator):
    slug = name.replace(" ", separator).replace("'", "")

    assert parse(SEGMENT_NAME, slug.upper() if upper else slug.lower()) == name


# --- every parameter accepts exactly what its OpenAPI schema allows (issue 10) -----------

DAY = ParamSpec("to", "date", "")
AMOUNT = ParamSpec("min_spent", "decimal", "")
SHARE = ParamSpec("min_probability", "number", "", minimum=0, maximum=1)
COUNT = ParamSpec("min_orders", "integer", "", minimum=0)
ANY_COUNT = ParamSpec("n", "integer", "")
FLAG = ParamSpec("is_sale", "boolean", "")
TEXT = ParamSpec("q", "string", "")


@pytest.mark.parametrize("spec", [DAY, AMOUNT, SHARE, COUNT, FLAG, STRICT, PAGE])
def test_an_empty_date_number_flag_or_choice_is_refused_naming_the_parameter(spec):
    with pytest.raises(InvalidParameter) as raised:
        parse(spec, "")

    assert raised.value.message == f"{spec.name} is empty: leave it out or give a value"


def test_an_empty_text_or_list_means_no_filter_and_an_absent_value_its_default():
    assert parse(TEXT, "") is None
    assert parse(SEGMENT, "") is None
    assert parse_query((PER_PAGE, DAY), MultiDict()) == {"per_page": 50, "to": None}


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (DAY, " 2024-01-01", "to must be a date as YYYY-MM-DD"),
        (STRICT, " ", "format must be one of json, csv (got ' ')"),
        (COUNT, "1 ", "min_orders must be a whole number"),
        (AMOUNT, " 1.50", "min_spent must be an amount"),
        (FLAG, "true ", "is_sale must be true or false"),
    ],
)
def test_a_value_padded_with_spaces_is_refused(spec, raw, message):
    with pytest.raises(InvalidParameter) as raised:
        parse(spec, raw)

    assert message in raised.value.message


@pytest.mark.parametrize(
    ("spec", "raw", "message"),
    [
        (PAGE, "1000000001", "page must be at most 1000000000"),
        (PAGE, "99999999999999999999999", "page must be at most 1000000000"),
        (COUNT, "-99999999999999999999999", "min_orders must be at least 0"),
        (ANY_COUNT, str(MAX_INTEGER + 1), f"n must be at most {MAX_INTEGER}"),
        (ANY_COUNT, str(-MAX_INTEGER - 1), f"n must be at least {-MAX_INTEGER}"),
        (PER_PAGE, "501", "per_page must be at most 500"),
        (AMOUNT, "1e5", "min_spent must be an amount such as 12.50"),
        (AMOUNT, "10000000000000000", "at most 16 digits before the point"),
        (AMOUNT, "NaN", "min_spent must be an amount"),
        (SHARE, "1.0000001", "min_probability must be at most 1"),
        (SHARE, "-0.1", "min_probability must be at least 0"),
        (SHARE, "1e999", "min_probability must be a number from 0 to 1"),
        (SHARE, "nan", "min_probability must be a number from 0 to 1"),
        (SHARE, ".5", "min_probability must be a number from 0 to 1"),
    ],
)
def test_numbers_beyond_their_documented_bounds_are_refused(spec, raw, message):
    with pytest.raises(InvalidParameter) as raised:
        parse(spec, raw)

    assert message in raised.value.message


@pytest.mark.parametrize(
    ("spec", "raw", "expected"),
    [
        (PAGE, "1000000000", MAX_PAGE),
        (ANY_COUNT, str(-MAX_INTEGER), -MAX_INTEGER),
        (AMOUNT, "9999999999999999.99", Decimal("9999999999999999.99")),
        (AMOUNT, "-0.5", Decimal("-0.5")),
        (SHARE, "1e-05", 0.00001),
        (SHARE, "1", 1.0),
    ],
)
def test_the_bounds_themselves_are_accepted(spec, raw, expected):
    assert parse(spec, raw) == expected


@pytest.mark.parametrize(("spec", "low", "high"), [(PAGE, 1, MAX_PAGE), (ANY_COUNT, None, None)])
def test_every_whole_number_parameter_documents_its_bounds(spec, low, high):
    schema = param_schema(spec)

    assert (schema["minimum"], schema["maximum"]) == (
        -MAX_INTEGER if low is None else low,
        MAX_INTEGER if high is None else high,
    )


def test_a_number_documents_its_range_and_an_amount_its_pattern():
    assert param_schema(SHARE) == {"type": "number", "minimum": 0, "maximum": 1}
    assert param_schema(AMOUNT) == {"type": "string", "pattern": DECIMAL_PATTERN}


@given(raw=st.one_of(st.from_regex(DECIMAL_PATTERN), st.text(max_size=20)))
def test_an_amount_is_accepted_exactly_when_it_fits_the_documented_pattern(raw):
    fits = re.search(DECIMAL_PATTERN, raw) is not None and "\n" not in raw
    try:
        parse(AMOUNT, raw)
    except InvalidParameter:
        assert not fits
    else:
        assert fits


@given(value=st.integers(-(2**60), 2**60))
def test_a_whole_number_is_accepted_exactly_within_its_documented_bounds(value):
    try:
        parse(COUNT, str(value))
    except InvalidParameter:
        assert not 0 <= value <= MAX_INTEGER
    else:
        assert 0 <= value <= MAX_INTEGER
