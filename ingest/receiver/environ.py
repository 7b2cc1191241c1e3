"""A request's headers as werkzeug's ``request.headers`` lists them, read from the WSGI environ.

Why not ``request.headers.items()``: the receivers read their headers from the environ so
that one implementation serves Flask's route and the fast path (``fast_path.py``), which has
no ``Request``; and werkzeug's ``EnvironHeaders`` rebuilds every header's name on every
request (about 9 us of a WooCommerce delivery's headers, 4.5 here, where each environ key's
name is worked out once and remembered: a server sends the same few keys again and again).

``header_pairs`` yields the very pairs ``EnvironHeaders`` yields (the same names, the same
values, in the environ's order), so ``parsing.parse_headers`` keeps its rule to the letter:
names compared without case, the first non-blank value wins, values stripped. A header sent
twice reaches the environ once, its values joined by the server (waitress and werkzeug's
test client write ``a, b``): it is one header, before and after this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

_BODY_KEYS = ("CONTENT_TYPE", "CONTENT_LENGTH")  # the two headers without an HTTP_ key
_SHADOWED = ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH")  # werkzeug skips these copies
_REMEMBERED_KEYS = 1024  # environ keys come from clients: remember a bounded number


def header_pairs(environ: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(name, value) of each request header, as ``werkzeug.datastructures.EnvironHeaders``
    iterates them (``HTTP_X_WC_WEBHOOK_ID`` -> ``X-Wc-Webhook-Id``)."""
    for key, value in environ.items():
        name = _header_name(key)
        if name is not None and (value or key not in _BODY_KEYS):
            yield name, value


@lru_cache(maxsize=_REMEMBERED_KEYS)
def _header_name(key: str) -> str | None:
    """The header name werkzeug gives an environ key; None for keys that are no header."""
    if key.startswith("HTTP_"):
        return None if key in _SHADOWED else key[5:].replace("_", "-").title()
    return key.replace("_", "-").title() if key in _BODY_KEYS else None
