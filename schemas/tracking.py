"""Shipment tracking numbers in order meta (SPEC §4 support metrics, seed 002).

Shops that track shipments keep the number in an order's ``meta_data``, under a key of the
plugin they use: WooCommerce Shipment Tracking (and Advanced Shipment Tracking) a list of
objects with ``tracking_number`` under ``_wc_shipment_tracking_items``, AfterShip
``_aftership_tracking_items`` or ``_aftership_tracking_number``, YITH Order Tracking
``ywot_tracking_code``, WooCommerce Shipping Tracking ``_wcst_order_trackno``, hand-made
set-ups often ``_tracking_number``. Which keys count is a shop's setting
(``fulfillment_delayed.tracking_meta_keys``, DEFAULT_TRACKING_KEYS unless set).

The normaliser keeps every meta entry whose key mentions one of TRACKING_HINTS and holds a
number (so a shop's keys can change without a replay); a configured key must therefore
mention one too.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TrackingKeys = tuple[str, ...]
TRACKING_HINTS: tuple[str, ...] = ("track", "shipment", "consignment", "waybill")
DEFAULT_TRACKING_KEYS: TrackingKeys = (
    "_wc_shipment_tracking_items",
    "_aftership_tracking_items",
    "_aftership_tracking_number",
    "ywot_tracking_code",
    "_ywot_tracking_code",
    "_wcst_order_trackno",
    "_tracking_number",
    "tracking_number",
)
MAX_TRACKING_KEY = 100  # characters
MAX_TRACKING_KEYS = 20
_HINTED = re.compile("|".join(TRACKING_HINTS), re.IGNORECASE)


def is_tracking_key(key: str) -> bool:
    """Whether the normaliser keeps a meta entry of this key (it mentions a hint)."""
    return _HINTED.search(key) is not None


def tidy_tracking_keys(text: str) -> TrackingKeys:
    """The comma-separated keys of ``text`` stripped, each once, in the order given."""
    return tuple(dict.fromkeys(key.strip() for key in text.split(",") if key.strip()))


def tracking_keys_problem(keys: TrackingKeys) -> str | None:
    """What is wrong with these keys, in one line (None when they are usable)."""
    if not keys:
        return "give at least one order meta key"
    if len(keys) > MAX_TRACKING_KEYS:
        return f"give at most {MAX_TRACKING_KEYS} keys"
    for key in keys:
        if len(key) > MAX_TRACKING_KEY:
            return f"key {key[:20]!r}... is longer than {MAX_TRACKING_KEY} characters"
        if '"' in key or "\\" in key or any(unicodedata.category(c) in ("Cc", "Cs") for c in key):
            return f"key {key!r} holds a quote, a backslash or a control character"
        if not is_tracking_key(key):
            hints = ", ".join(TRACKING_HINTS)
            return f"key {key!r} must mention one of {hints} (only those are kept)"
    return None


def checked_tracking_keys(text: str) -> str:
    """The setting's value of the comma-separated keys of ``text``, tidied; ValueError
    saying what is wrong otherwise."""
    keys = tidy_tracking_keys(text)
    problem = tracking_keys_problem(keys)
    if problem:
        raise ValueError(problem)
    return joined(keys)


def joined(keys: Iterable[str]) -> str:
    """The keys as the setting holds them: comma-separated."""
    return ",".join(keys)
