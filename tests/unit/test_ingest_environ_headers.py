"""``ingest.receiver.environ.header_pairs`` lists a WSGI environ's headers exactly as werkzeug's
``request.headers`` does (names, values, order), so ``parse_headers`` reads the same
WooCommerce headers from it: whatever the keys' case, repeated, blank or exotic keys
(a Kelvin sign or a long s that werkzeug's title case turns into ASCII), and keys that are
no header at all."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import EnvironHeaders

from ingest.receiver.environ import header_pairs
from ingest.receiver.parsing import parse_headers

KEYS = [
    "HTTP_X_WC_WEBHOOK_TOPIC", "HTTP_X_WC_WEBHOOK_SIGNATURE", "HTTP_X_WC_WEBHOOK_ID",
    "HTTP_X_WC_WEBHOOK_DELIVERY_ID", "HTTP_X_WC_WEBHOOK_SOURCE", "CONTENT_TYPE",
    "CONTENT_LENGTH", "HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH", "HTTP_HOST",
    "HTTP_x_wc_webhook_topic", "HTTP_X-WC-WEBHOOK-ID", "HTTP_ X_WC_WEBHOOK_SOURCE ",
    "HTTP_X_WC_WEBHOO\u212a_TOPIC", "HTTP_X_WC_WEBHOOK_\u017fOURCE", "HTTP_",
    "http_x_wc_webhook_id", "REQUEST_METHOD", "PATH_INFO", "wsgi.url_scheme", "SERVER_NAME",
]  # fmt: skip
VALUES = ["order.updated", " order.created ", "", "  ", "a, b", ", b", "12", "\u00e9t\u00e9"]

environs = st.dictionaries(
    st.sampled_from(KEYS) | st.text(max_size=12) | st.text(max_size=8).map("HTTP_".__add__),
    st.sampled_from(VALUES) | st.text(max_size=8),
    max_size=16,
)


@given(environ=environs)
def test_the_pairs_are_werkzeugs_request_headers(environ: dict[str, Any]) -> None:
    assert list(header_pairs(environ)) == list(EnvironHeaders(environ))


@given(environ=environs)
def test_parse_headers_reads_the_same_headers_from_either(environ: dict[str, Any]) -> None:
    assert parse_headers(header_pairs(environ)) == parse_headers(EnvironHeaders(environ).items())


def test_exotic_keys_that_werkzeug_reads_as_our_headers_are_read_so_here_too() -> None:
    environ = {
        "HTTP_X_WC_WEBHOO\u212a_TOPIC": " order.updated ",
        "HTTP_X_WC_WEBHOOK_\u017fOURCE": "https://shop.example/",
        "HTTP_X-WC-WEBHOOK-ID": "12",
        "HTTP_X_WC_WEBHOOK_DELIVERY_ID": "a, b",
        "CONTENT_TYPE": "",
        "HTTP_CONTENT_TYPE": "application/json",
    }
    headers = parse_headers(header_pairs(environ))
    assert (headers.topic, headers.source, headers.webhook_id) == (
        "order.updated",
        "https://shop.example/",
        "12",
    )
    assert (headers.delivery_id, headers.content_type) == ("a, b", None)
    assert headers == parse_headers(EnvironHeaders(environ).items())
