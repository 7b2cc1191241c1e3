"""Requests for the fast path's property test (test_webhook_fast_path.py): the arguments of
werkzeug's ``Client.open``, varied in everything the receiver reads and in everything that
decides whether the fast path may answer at all."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from ingest.demo.phpjson import php_json_encode
from ingest.receiver.verify import sign

SECRET = "s3cr3t-wc-key"
MAX_BODY = 1024
SHOPS = ["shop-1", "shop-1", "shop-1", "nope", "shop-down", "shop-full", "shop-boom"]
CHUNKED: dict[str, Any] = {
    "wsgi.input_terminated": True
}  # the server ends the body: no declared length

NAMES = {
    "topic": "X-WC-Webhook-Topic",
    "signature": "X-WC-Webhook-Signature",
    "id": "X-WC-Webhook-ID",
    "delivery": "X-WC-Webhook-Delivery-ID",
    "source": "X-WC-Webhook-Source",
    "type": "Content-Type",
    "other": "X-WC-Webhook-Resource",
}
VALUES = {
    "topic": ["order.updated", " order.created ", "", "  ", "job.erase", "order", "coupon.x"],
    "signature": ["<sig>", " <sig> ", "<sig>, <sig>", "<wrong>", "AAAA", "", " "],
    "id": ["12", " 12 ", "", "abc"],
    "delivery": ["5f1c0e8d", "", "\u00e9t\u00e9"],
    "source": ["https://shop.example/", "", "job"],
    "type": ["application/json", "application/x-www-form-urlencoded; charset=UTF-8", "", "text/x"],
    "other": ["order", "job"],
}  # fmt: skip
PATHS = [
    "/webhooks/woocommerce/{shop}", "/webhooks/woocommerce/{shop}", "/webhooks/woocommerce/{shop}",
    "/webhooks/woocommerce/{shop}/", "/webhooks//woocommerce/{shop}", "/webhooks/woocommerce/",
    "/webhooks/woocommerce/{shop}%2Fx", "/webhooks/woocommerce/sh\u00f6p",
    "/webhooks/tickets/{shop}", "/healthz",
]  # fmt: skip
ENVIRON = [
    {}, {}, {}, {"HTTP_HOST": "a..b"}, {"HTTP_HOST": "shop.example:8080"}, {"QUERY_STRING": "a=1"},
    {"HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade"}, {"CONTENT_LENGTH": "100000"},
    {"CONTENT_LENGTH": "abc"}, {"CONTENT_LENGTH": "-1"}, {"CONTENT_LENGTH": "<longer>"},
    {"CONTENT_LENGTH": "<shorter>"},
    CHUNKED,
]  # fmt: skip


def order(resource_id: int) -> bytes:
    return php_json_encode({"id": resource_id, "status": "processing", "total": "12.50"})


ORDER = order(727)
bodies = st.one_of(
    st.integers(-(2**64), 2**64).map(order),
    st.integers(0, 2**63).map(order),
    st.sampled_from([b"webhook_id=12", b"webhook_id=", b"", b"[]", b'{"id": 1', b"\xff\xfe"]),
    st.sampled_from([b'{"id":1,"total":1e999}', b'{"code":"x","message":"no","data":{}}']),
    st.integers(MAX_BODY - 20, MAX_BODY + 20).map(lambda n: b'{"id":1,"p":"' + b"x" * n + b'"}'),
)


def any_case(name: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(
        lambda up: "".join(c.upper() if u else c.lower() for c, u in zip(name, up, strict=True))
    )


@st.composite
def headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    """WooCommerce's headers, each most often sent as it sends it, mixed with others."""
    usual = [("topic", "order.updated"), ("signature", "<sig>"), ("id", "12"), ("type", "")]
    sent: list[tuple[str, str]] = []
    for kind, value in usual:
        if draw(st.sampled_from([True] * 5 + [False])):
            sent.append((NAMES[kind], value or "application/json"))
    for kind in draw(st.lists(st.sampled_from(sorted(NAMES)), max_size=5)):
        header = (draw(any_case(NAMES[kind])), draw(st.sampled_from(VALUES[kind])))
        sent.insert(draw(st.integers(0, len(sent))), header)
    return sent


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """The arguments of ``Client.open`` for one request."""
    body = draw(bodies)
    signature = sign(body, SECRET)
    sent = [
        (name, value.replace("<sig>", signature).replace("<wrong>", sign(body, "other")))
        for name, value in draw(headers())
    ]
    environ = dict(draw(st.sampled_from(ENVIRON)))
    if environ.get("CONTENT_LENGTH") in ("<longer>", "<shorter>"):
        longer = environ["CONTENT_LENGTH"] == "<longer>"
        environ["CONTENT_LENGTH"] = str(max(len(body) + (5 if longer else -5), 0))
    path = draw(st.sampled_from(PATHS)).format(shop=draw(st.sampled_from(SHOPS)))
    method = draw(st.sampled_from(["POST"] * 6 + ["GET", "PUT", "HEAD", "OPTIONS", "post"]))
    return {
        "path": path,
        "method": method,
        "data": body,
        "headers": sent,
        "environ_overrides": environ,
    }


def delivery(
    body: bytes = ORDER,
    path: str = "/webhooks/woocommerce/shop-1",
    environ: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A signed order delivery (an unsigned ping for the ping's body) to ``path``."""
    signed = [
        ("X-WC-Webhook-Topic", "order.updated"),
        ("X-WC-Webhook-Signature", sign(body, SECRET)),
    ]
    return {
        "path": path,
        "method": "POST",
        "data": body,
        "headers": signed if body != b"webhook_id=12" else [],
        "environ_overrides": environ or {},
    }
