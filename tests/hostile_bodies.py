"""Hostile WooCommerce bodies for property tests: a real fixture (order, customer, product,
coupon, refund) with a few fields replaced by what a careless plugin or an attacker can send
signed: huge and negative integers (beyond 64 bits too), inf, nan and 1e308, numeric
strings that do not fit, extreme dates, odd strings (lone surrogates, NUL, very long), deep
nesting, and wrong types (lists for objects and the other way round)."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from processors.normalise import (
    normalise_coupon,
    normalise_customer,
    normalise_order,
    normalise_refund,
)
from processors.normalise_product import normalise_product
from tests.conftest import load_fixture

Path = tuple[str | int, ...]

# A coupon as GET /wc/v3/coupons/<id> returns it (fields of the REST API reference).
COUPON = {
    "id": 720,
    "code": "free10",
    "amount": "10.00",
    "date_created": "2017-03-21T15:23:00",
    "date_created_gmt": "2017-03-21T18:23:00",
    "date_modified": "2017-03-21T15:23:00",
    "date_modified_gmt": "2017-03-21T18:23:00",
    "discount_type": "percent",
    "description": "",
    "date_expires": None,
    "date_expires_gmt": None,
    "usage_count": 3,
    "individual_use": True,
    "product_ids": [],
    "excluded_product_ids": [],
    "usage_limit": None,
    "usage_limit_per_user": None,
    "free_shipping": False,
    "minimum_amount": "100.00",
    "maximum_amount": "0.00",
    "email_restrictions": [],
    "used_by": [],
    "meta_data": [],
}

# The names the normalisers read: replacements land on them four times in five.
READ_KEYS = frozenset(
    "id parent_id number status currency customer_id billing email first_name last_name "
    "phone country date_created_gmt date_modified_gmt date_paid_gmt date_completed_gmt total "
    "subtotal shipping_total total_tax discount_total payment_method line_items refunds "
    "coupon_lines code meta_data key value product_id variation_id name sku quantity price "
    "reason refund role type regular_price sale_price stock_quantity manage_stock "
    "cost_of_goods_sold total_value categories discount_type amount usage_count _links up "
    "href".split()
)
# Fields a fixture may lack, set at the top level.
EXTRA_TOP = (
    "cost_of_goods_sold",
    "stock_quantity",
    "parent_id",
    "usage_count",
    "amount",
    "date_paid_gmt",
    "refunds",
    "line_items",
    "meta_data",
)


@dataclass(frozen=True)
class Kind:
    name: str
    normalise: Callable[[dict[str, Any], str, datetime], Any]
    body: dict[str, Any]
    key: str  # the event's id field and state table key


def kinds() -> list[Kind]:
    refunds = load_fixture("order_refunds.json")
    return [
        Kind("order", normalise_order, load_fixture("order.json"), "order_id"),
        Kind("order", normalise_order, load_fixture("order_refunded.json"), "order_id"),
        Kind("customer", normalise_customer, load_fixture("customer.json"), "customer_id"),
        Kind("product", normalise_product, load_fixture("product.json"), "product_id"),
        Kind("product", normalise_product, load_fixture("product_variation.json"), "product_id"),
        Kind("coupon", normalise_coupon, COUPON, "coupon_id"),
        Kind("refund", normalise_refund, refunds[0], "refund_id"),
        Kind("refund", normalise_refund, refunds[1], "refund_id"),
    ]


KINDS = kinds()


def paths(value: Any, prefix: Path = ()) -> list[Path]:
    """Every place in a JSON value (object keys and list positions), outermost first."""
    if not isinstance(value, dict | list):
        return []
    found: list[Path] = []
    for key, child in value.items() if isinstance(value, dict) else enumerate(value):
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


def _read(path: Path) -> bool:
    """Whether every name on the path is one the normalisers read (``line_items[0].sku``,
    not ``tax_lines[0].id``)."""
    return all(part in READ_KEYS for part in path if isinstance(part, str))


PATHS = [[p for p in paths(k.body) if _read(p)] + [(f,) for f in EXTRA_TOP] for k in KINDS]
OTHER_PATHS = [[p for p in paths(k.body) if not _read(p)] for k in KINDS]


def set_at(body: dict[str, Any], path: Path, value: Any) -> None:
    """Replace the value at ``path``; a path an earlier replacement removed is left alone."""
    node: Any = body
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(node, dict) or (isinstance(node, list) and path[-1] in range(len(node))):
        node[path[-1]] = value  # type: ignore[index]


def nested_lists(depth: int) -> Any:
    value: Any = 0
    for _ in range(depth):
        value = [value]
    return value


def nested_objects(depth: int) -> Any:
    value: Any = {}
    for _ in range(depth):
        value = {"id": value}
    return value


BIG = [2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**64, 10**9, 10**9 + 1, -(10**9) - 1, 10**30]
integers = st.integers() | st.sampled_from([*BIG, -1, 0]) | st.integers(-(2**300), 2**300)
floats = st.floats() | st.sampled_from([1e308, -1e308, math.inf, -math.inf, math.nan, 1e12])
NUMBER_TEXTS = [
    *"1e20 99999999999999999.99 -1e16 -1e20 1e999 Infinity -Infinity NaN sNaN inf".split(),
    *"1e-999999 999999999999.995 18446744073709551616 -5 1_000 0e100 12.5".split(),
    " 12 ",
    "9" * 5000,
]
number_texts = st.sampled_from(NUMBER_TEXTS) | integers.map(str) | floats.map(repr)
OFFSETS = st.timedeltas(min_value=-timedelta(hours=23, minutes=59), max_value=timedelta(hours=23))
DATE_TEXTS = [
    *"0001-01-01T00:00:00+01:00 9999-12-31T23:59:59-05:00 1969-12-31T23:59:59Z".split(),
    *"2100-01-01T00:00:00 2100-01-01T00:00:00.000001 1970-01-01T00:00:00+00:01".split(),
    *"2017-03-22 0000-00-00T00:00:00 2017-13-01T00:00:00 2017-03-22T19:28:08".split(),
]


def spellings(at: datetime) -> list[str]:
    """ISO 8601 spellings of a time that ``datetime.fromisoformat`` reads."""
    forms = [at.isoformat(), at.isoformat(sep=" ", timespec="minutes"), at.date().isoformat()]
    return forms + [at.strftime("%Y%m%dT%H%M%S"), at.isoformat(timespec="hours")]


any_time = st.datetimes(timezones=st.none() | OFFSETS.map(timezone))
dates = st.sampled_from(DATE_TEXTS) | any_time.flatmap(lambda at: st.sampled_from(spellings(at)))
characters = st.characters() | st.characters(categories=["Cs"]) | st.sampled_from("\x00\ufffd")
odd_texts = st.text(characters) | st.sampled_from(["\ud800", "a\x00b", "x" * 100_000, "é" * 9999])
deep = st.integers(1, 3000).flatmap(lambda d: st.sampled_from([nested_lists(d), nested_objects(d)]))
scalars = st.none() | st.booleans() | integers | floats | number_texts | dates | odd_texts
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(sorted(READ_KEYS)) | st.text(max_size=4), children)
    ),
    max_leaves=12,
)
hostile_values = st.one_of(integers, floats, number_texts, dates, odd_texts, deep, json_values)


@st.composite
def hostile_cases(draw: st.DrawFn) -> tuple[Kind, dict[str, Any], list[Any]]:
    """(kind, hostile body, the values put into it)."""
    index = draw(st.integers(0, len(KINDS) - 1))
    body = copy.deepcopy(KINDS[index].body)
    values = []
    for _ in range(draw(st.integers(1, 4))):
        read = draw(st.integers(0, 4)) > 0
        path = draw(st.sampled_from(PATHS[index] if read else OTHER_PATHS[index]))
        value = draw(hostile_values)
        set_at(body, path, value)
        values.append(value)
    return KINDS[index], body, values
