"""Encode JSON the way PHP's ``json_encode`` does by default (escaped ``/`` and ``\\uXXXX``).

WooCommerce signs the bytes ``json_encode`` produced; the demo and the tests build bodies
this way so that signatures are checked against PHP-shaped bytes, not Python's.
"""

from __future__ import annotations

import json
from typing import Any


def php_json_encode(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")
