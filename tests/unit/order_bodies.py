"""Hypothesis strategies of WooCommerce order bodies for the fast order decoder's tests
(processors/decode_order.py): valid bodies shaped as WooCommerce sends them (every field the
decoder must understand, some missing, unknown fields besides), the same bodies perturbed
(values of other types, nulls, huge and negative numbers, padded money, bad dates, the
hostile values of tests/hostile_bodies.py), and the JSON texts they travel as (PHP's
escapes, raw UTF-8, indented, and text that is not JSON at all)."""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from tests.hostile_bodies import DATE_TEXTS, NUMBER_TEXTS, Path, hostile_values, set_at

# Text without lone surrogates (those are for the perturbations): control characters, NUL,
# non-ASCII and padding included.
plain_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=12) | st.sampled_from(
    ["John", " Zoë ", "李小龙", "a\x00b", "\ttab\n", "", "  ", 'O\'Brien \\ "/"']
)
money_text = st.integers(-(10**10), 10**12).map(lambda cents: str(Decimal(cents).scaleb(-2)))
money = money_text | st.sampled_from(["0", "12", "12.5", " 12.00 ", "1.005", "-0.00", "", "x"])
price = st.floats(-1e9, 1e9) | st.integers(-(10**9), 10**9)
dates = st.datetimes(datetime(1970, 1, 1), datetime(2099, 12, 31, 23, 59, 59)).map(
    lambda at: at.isoformat(timespec="seconds")
)
gmt = dates | st.none() | st.sampled_from(["", "2017-03-22T19:28:08"])
small_id = st.integers(0, 10**6)
META_KEYS = [
    *("_download_permissions_granted", "_newsletter_consent", "mailchimp_is_subscribed"),
    *("_wc_shipment_tracking_items", "_tracking_number", "is_vat_exempt", "gdpr_ok", "Track"),
]
tracking_item = st.fixed_dictionaries(
    {"tracking_provider": plain_text, "tracking_number": plain_text | st.integers(0, 10**12)}
)
meta_value = (
    plain_text
    | st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.none()
    | st.lists(tracking_item | plain_text, max_size=3)
    | st.dictionaries(plain_text, tracking_item, max_size=2)
)
meta = st.fixed_dictionaries(
    {"key": st.sampled_from(META_KEYS) | plain_text, "value": meta_value}, optional={"id": small_id}
)
line_item = st.fixed_dictionaries(
    {"id": small_id, "product_id": small_id, "quantity": st.integers(-5, 100)},
    optional={
        **{"name": plain_text, "sku": plain_text, "variation_id": small_id, "price": price},
        **{"subtotal": money, "total": money, "tax_class": st.just(""), "taxes": st.just([])},
        "meta_data": st.lists(meta, max_size=2),
    },
)
refund = st.fixed_dictionaries(
    {"id": small_id, "total": money},
    optional={"reason": plain_text | st.none(), "refund": plain_text | st.none()},
)
coupon_line = st.fixed_dictionaries(
    {"id": small_id, "code": plain_text, "discount": money},
    optional={"discount_tax": money, "meta_data": st.just([])},
)
billing = st.fixed_dictionaries(
    {},
    optional={
        **{"first_name": plain_text, "last_name": plain_text, "email": plain_text},
        **{"phone": plain_text, "country": plain_text, "city": plain_text, "company": st.none()},
    },
)
OPTIONAL = {
    **{"number": plain_text, "status": plain_text | st.sampled_from(["processing", "on-hold"])},
    **{"currency": plain_text, "customer_id": st.integers(-(2**63), 2**63 - 1)},
    **{"billing": billing | st.just([]) | st.none(), "payment_method": plain_text},
    **{f"date_{name}_gmt": gmt for name in ("created", "modified", "paid", "completed")},
    **{name: money for name in ("total", "shipping_total", "total_tax", "discount_total")},
    "line_items": st.lists(line_item, max_size=4) | st.just({}) | st.none(),
    "refunds": st.lists(refund, max_size=2) | st.just({}),
    "coupon_lines": st.lists(coupon_line, max_size=2) | st.none(),
    "meta_data": st.lists(meta, max_size=4) | st.just({}),
}
json_scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | plain_text
)
json_value = st.recursive(
    json_scalar, lambda inner: st.lists(inner) | st.dictionaries(plain_text, inner), max_leaves=8
)
extra_fields = st.dictionaries(
    plain_text.filter(lambda key: key not in OPTIONAL and key != "id"), json_value, max_size=3
)
valid_orders = st.builds(
    lambda fields, extra: extra | fields,
    st.fixed_dictionaries({"id": st.integers(1, 2**63 - 1)}, optional=OPTIONAL),
    extra_fields,
)


def _perturbed(value: Any, how: str) -> Any:
    """``value`` changed the way ``how`` says (the value itself when that does not apply)."""
    if how == "text" and isinstance(value, int | float):
        return str(value)
    if how == "number" and isinstance(value, str):
        try:
            return json.loads(value.strip())
        except ValueError:
            return value
    if how == "float" and type(value) is int:
        return float(value)
    if how == "negative" and isinstance(value, int | float):
        return -value
    if how == "padded" and isinstance(value, str):
        return f" \t{value}\n"
    if how == "php empty" and isinstance(value, dict | list):
        return {} if isinstance(value, list) else []
    return value


EDGE_DATES = ["1969-12-31T23:59:59", "1970-01-01T00:00:00", "2099-12-31T23:59:59"]
EDGE_DATES += ["2100-01-01T00:00:00", "2100-01-01T00:00:01", "2100-12-31T00:00:00"]
any_date = st.sampled_from(EDGE_DATES) | st.datetimes().map(
    lambda at: at.isoformat(timespec="seconds")
)
CONTAINERS = ["billing", "line_items", "refunds", "coupon_lines", "meta_data"]
WRONG_SHAPES = [[{}], [1], [None], [[]], {"a": 1}, {"0": {}}, "x", "", 0, 1.5, True]
DATE_FIELDS = [f"date_{name}_gmt" for name in ("created", "modified", "paid", "completed")]
ODD_VALUES = [None, [], {}, True, 2**63, 2**64, -(2**63) - 1, 10**30, 1e308, math.inf, "\ud800"]
how = st.sampled_from(["text", "number", "float", "negative", "padded", "php empty"])
odd_value = (
    st.sampled_from(ODD_VALUES).map(copy.deepcopy)  # a fresh one: perturbations change it
    | st.sampled_from(NUMBER_TEXTS + DATE_TEXTS)
    | any_date
    | hostile_values
)


@st.composite
def perturbed_orders(draw: st.DrawFn) -> dict[str, Any]:
    """A valid order with one to four of its places changed, dropped or replaced."""
    body = copy.deepcopy(draw(valid_orders))
    for _ in range(draw(st.integers(1, 4))):
        places = _places(body)
        if not places:
            break
        path = draw(st.sampled_from(places))
        node: Any = body
        for part in path[:-1]:
            node = node[part]
        change = draw(st.sampled_from(["drop", "odd", "how", "date", "shape"]))
        if change == "date":  # dates near and beyond the bounds, in WooCommerce's shape
            body[draw(st.sampled_from(DATE_FIELDS))] = draw(any_date)
        elif change == "shape":  # an object or a list of objects as something else
            shape = copy.deepcopy(draw(st.sampled_from(WRONG_SHAPES)))
            body[draw(st.sampled_from(CONTAINERS))] = shape
        elif change == "drop" and isinstance(node, dict):
            del node[path[-1]]
        elif change == "odd":
            set_at(body, path, draw(odd_value))
        else:
            set_at(body, path, _perturbed(node[path[-1]], draw(how)))
    return body


def _places(body: dict[str, Any], depth: int = 4) -> list[Path]:
    """Every place in ``body`` (object keys and list positions) down to ``depth`` levels,
    outermost first (a hostile value nests 3000 deep: no recursion, and no result that
    would depend on the stack)."""
    found: list[Path] = []
    level: list[tuple[Path, Any]] = [((), body)]
    for _ in range(depth):
        children = [
            ((*path, key), child)
            for path, node in level
            if isinstance(node, dict | list)
            for key, child in (node.items() if isinstance(node, dict) else enumerate(node))
        ]
        found += [path for path, _ in children]
        level = children
    return found


def encoded(body: Any, style: str) -> str | None:
    """``body`` as JSON text the way ``style`` writes it; None when ``json`` cannot (a
    nesting beyond its recursion limit)."""
    try:
        if style == "php":
            return php_json_encode(body).decode()
        if style == "indented":
            return json.dumps(body, indent=1)
        return json.dumps(body, ensure_ascii=False)
    except RecursionError:
        return None


styles = st.sampled_from(["php", "utf8", "indented"])
JSON_CHARACTERS = '{}[],:"\\ 0123456789.eE+-tnfalsu\x01\ud800é'


@st.composite
def mangled(draw: st.DrawFn, text: str) -> str:
    """``text`` with one to three characters deleted, inserted or replaced, or one of the
    keys the decoder reads given again (first or last: the last one counts)."""
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "key"]))
        if kind == "key" and text.startswith("{"):
            name = draw(st.sampled_from([*OPTIONAL, "id"]))
            value = draw(st.sampled_from(['"5.00"', "12", "null", "[]", "{}", '"x"', "1e400"]))
            end = text.rstrip()
            text = (
                f'{{"{name}":{value},{text[1:]}'
                if draw(st.booleans()) or not end.endswith("}")
                else f'{end[:-1]},"{name}":{value}}}'
            )
        elif kind == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            char = draw(st.sampled_from(JSON_CHARACTERS))
            text = text[:at] + char + text[at + (kind == "replace") :]
    return text
