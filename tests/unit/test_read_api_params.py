"""Query parameter parsing: loose names for segments and statuses, lists validated against
their names, and the 400 message that names the parameter."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from api.errors import InvalidParameter
from api.listing import CUSTOMER_STATUS, SEGMENT
from api.params import ParamSpec, parse_query
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
