"""What the normaliser keeps of a resource's ``meta_data`` (pure): the consent entries and,
for orders, the shipment tracking numbers, in one pass over the entries.

Both are kept as compact JSON objects sorted by key ("" when there is none), keys cut to
100 characters: the consents of the entries whose key mentions consent
(schemas.shop.CONSENT_HINTS) and holds a scalar (a key given twice: its last value), the
tracking numbers of the entries whose key mentions tracking (schemas.tracking.TRACKING_HINTS)
and holds one (a key given twice: its first number). Which keys a shop reads is its own
setting, applied when the views are built, so a change of setting needs no replay.

A tracking number is a string (trimmed, at most 100 characters) or an integer, or, for a
list (or a PHP array sent as an object), the first number among its first 20 items, each a
number or an object with ``tracking_number`` (WooCommerce Shipment Tracking's
``_wc_shipment_tracking_items``: ``[{"tracking_provider": ..., "tracking_number": ...}]``).
"""

from __future__ import annotations

import json
from typing import Any

from processors.bounds import clean
from schemas.shop import is_consent_key
from schemas.tracking import is_tracking_key

MAX_KEY = 100  # characters of a meta key kept
MAX_TRACKING_ITEMS = 20  # items of a tracking list looked at


def meta_json(metas: list[dict[str, Any]], tracking: bool) -> tuple[str, str]:
    """The consents and (with ``tracking``) the tracking numbers of ``metas``, the checked
    objects of a body's ``meta_data``, as JSON (module doc)."""
    consents: dict[str, str] = {}
    numbers: dict[str, str] = {}
    for meta in metas:
        key, value = meta.get("key"), meta.get("value")
        if not isinstance(key, str):
            continue
        if is_consent_key(key) and isinstance(value, str | int | float):
            consents[clean(key[:MAX_KEY])] = scalar_text(value)
        if tracking and is_tracking_key(key):
            number = tracking_number(value)
            if number:
                numbers.setdefault(clean(key[:MAX_KEY]), number)
    return _compact(consents), _compact(numbers)


def tracking_number(value: Any) -> str:
    """The tracking number a meta value holds, "" when none (module doc)."""
    if isinstance(value, dict):
        value = [value] if "tracking_number" in value else list(value.values())
    if not isinstance(value, list):
        return _number_text(value)
    for item in value[:MAX_TRACKING_ITEMS]:
        number = _number_text(item.get("tracking_number") if isinstance(item, dict) else item)
        if number:
            return number
    return ""


def scalar_text(value: str | int | float) -> str:
    """A scalar as text of at most 100 characters."""
    if isinstance(value, str):
        return clean(value[:100])
    try:
        return str(value)[:100]
    except ValueError:  # an int of more digits than Python converts to text
        return ""


def _number_text(value: Any) -> str:
    if isinstance(value, str):
        return clean(value.strip()[:100])
    if type(value) is int:
        return scalar_text(value)
    return ""


def _compact(kept: dict[str, str]) -> str:
    return json.dumps(kept, sort_keys=True, separators=(",", ":")) if kept else ""
