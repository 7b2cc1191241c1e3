"""Property: any correctly signed hostile body gets 202 or a 4xx in the one error shape.

Bodies are built as JSON *text*, so they can hold what ``json.dumps`` never writes:
``1e999``, lone surrogate escapes, 100 levels of nesting. Each piece knows whether the
receiver must refuse it (a number that is not finite, a lone surrogate, an integer Python
cannot read) and how deep it nests, so the property checks the verdict, not only that
nothing broke: refused exactly when it holds one of those or nests past 64 levels.
The receiver is the real app from ``ingest.receiver.app.create_app``; the publisher records
envelopes, since the property is about HTTP answers.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from hypothesis import event, given, settings
from hypothesis import strategies as st

from ingest.receiver.app import create_app
from ingest.receiver.strict_json import MAX_JSON_DEPTH
from ingest.receiver.verify import sign
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.settings import Settings
from tests.integration.test_webhook_receiver import NOW, SECRET, SHOP, URL, RecordingPublisher
from tests.shop_directories import DictShops


@dataclass(frozen=True)
class Piece:
    """A piece of JSON text, whether the receiver must refuse it, and how deep it nests."""

    text: str
    refused: bool = False
    depth: int = 0


def php_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=True).replace("/", "\\/")


ACCEPTED_LITERALS = [
    "1e308", "-1e308", "1.7976931348623157e308", "5e-324", "-0", "-0.0", "1e-999", "0E0",
    str(2**63), str(-(2**63) - 1), str(2**64), "-" + "9" * 40,
    "true", "false", "null", "[]", "{}",
    '"\\u0000"', '"a\\u0000b"', '"\\ud83d\\ude00"', '"\\\\ud800"', '""',
    '"0001-01-01T00:00:00+01:00"', '"9999-12-31T23:59:59-05:00"', '"0000-00-00 00:00:00"',
    '"1e20"', '"99999999999999999.99"', '"-1e16"', '"NaN"', '"Infinity"', '"-1e20"',
]  # fmt: skip
REFUSED_LITERALS = [
    "1e999", "-1e400", "2e308", "1E309", "-1.8e308",
    '"\\ud800"', '"x\\udfff"', '"\\ude00\\ud83d"', '{"\\udbff": 1}',
]  # fmt: skip
WOO_KEYS = [
    "id", "customer_id", "total", "date_modified_gmt", "date_created_gmt", "status",
    "line_items", "quantity", "price", "stock_quantity", "refunds", "billing", "email",
]  # fmt: skip
TOPICS = [
    "order.updated", "order.created", "order.deleted", "customer.updated",
    "product.updated", "coupon.created", "action.woocommerce_new_order",
    "job.erase", "job.rfm", "job.clv",
]  # fmt: skip

scalars = st.one_of(
    st.sampled_from(ACCEPTED_LITERALS).map(Piece),
    st.sampled_from(REFUSED_LITERALS).map(lambda text: Piece(text, refused=True)),
    st.integers().map(lambda n: Piece(str(n))),
    st.integers(min_value=2**63).map(lambda n: Piece(str(-n))),
    st.integers(300, 4300).map(lambda digits: Piece("9" * digits)),  # beyond any double
    st.integers(309, 400).map(lambda digits: Piece("1" + "0" * digits + ".0", refused=True)),
    st.integers(4301, 6000).map(lambda digits: Piece("7" * digits, refused=True)),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda x: Piece(repr(x))),
    st.text(max_size=20).map(lambda s: Piece(php_string(s))),
    st.text(max_size=20).map(lambda s: Piece(json.dumps(s, ensure_ascii=False))),
)


def array(items: Sequence[Piece]) -> Piece:
    text = "[" + ",".join(p.text for p in items) + "]"
    return Piece(text, any(p.refused for p in items), 1 + max((p.depth for p in items), default=0))


def obj(pairs: Sequence[tuple[str, Piece]]) -> Piece:
    text = "{" + ",".join(f"{php_string(k)}:{p.text}" for k, p in pairs) + "}"
    depth = 1 + max((p.depth for _, p in pairs), default=0)
    return Piece(text, any(p.refused for _, p in pairs), depth)


keys = st.sampled_from(WOO_KEYS) | st.text(max_size=6)
pieces = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4).map(array)
        | st.lists(st.tuples(keys, children), max_size=4).map(obj)
    ),
    max_leaves=20,
)


@st.composite
def deepened(draw: st.DrawFn) -> Piece:
    """A piece wrapped in up to twice the depth limit of arrays and objects."""
    piece = draw(pieces)
    for wrap_in_array in draw(st.lists(st.booleans(), max_size=2 * MAX_JSON_DEPTH)):
        piece = array([piece]) if wrap_in_array else obj([("k", piece)])
    return piece


bodies = st.one_of(
    st.lists(st.tuples(st.sampled_from(WOO_KEYS), deepened()), max_size=8).map(obj),
    deepened(),
)


@settings(max_examples=200, deadline=None)
@given(body=bodies, topic=st.sampled_from(TOPICS))
def test_a_signed_hostile_body_gets_202_or_a_json_4xx_never_a_5xx(body: Piece, topic: str) -> None:
    publisher = RecordingPublisher()
    app = create_app(Settings(), DictShops({SHOP: SECRET}), publisher, FixedClock(NOW))
    raw = body.text.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Signature": sign(raw, SECRET),
    }
    response = app.test_client().post(URL, data=raw, headers=headers)
    event(f"answered {response.status_code}")
    assert response.status_code in (202, 400), response.data
    if body.refused or body.depth > MAX_JSON_DEPTH:
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid_json"
        assert response.get_json()["error"]["message"]
        assert publisher.published == []
        return
    assert response.status_code == 202, response.get_json()
    [envelope] = publisher.published
    assert envelope.body.encode("utf-8") == raw
    assert envelope.source == "webhook"
    assert Envelope.from_json(envelope.to_json()) == envelope
