"""Shipment tracking numbers: what the normaliser keeps of order meta, the per-shop keys
setting, the tracking share and the ``why`` of an alert whose unit says what was measured.

Expected values are written out by hand.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.analytics.fulfillment import fulfillment_metrics, share_tracked
from processors.normalise import normalise_order
from processors.normalise_meta import meta_json, tracking_number
from schemas.alerts import Alert, AlertSettings, InvalidAlertSetting, parse_setting
from schemas.tracking import DEFAULT_TRACKING_KEYS, is_tracking_key
from tests import woo_payloads as woo

NOW = datetime(2024, 6, 3, 12, tzinfo=UTC)
SETTING = "fulfillment_delayed.tracking_meta_keys"
ITEM = {"tracking_provider": "ups", "tracking_number": "1Z999AA10123456784", "tracking_id": "a"}


@pytest.mark.parametrize(
    ("value", "number"),
    [
        ("  JD014600006281230 ", "JD014600006281230"),
        (73012345678, "73012345678"),
        ("", ""),
        ("   ", ""),
        (None, ""),
        (True, ""),
        (1.5, ""),
        ([ITEM], "1Z999AA10123456784"),
        ([{"tracking_number": ""}, ITEM], "1Z999AA10123456784"),  # the first with a number
        ([], ""),
        ({"3": ITEM}, "1Z999AA10123456784"),  # a PHP array with a gap, sent as an object
        (ITEM, "1Z999AA10123456784"),
        (["LX1", "LX2"], "LX1"),
        ([{"tracking_provider": "dhl"}], ""),
        ("x" * 150, "x" * 100),
    ],
)
def test_a_meta_value_gives_its_tracking_number(value, number):
    assert tracking_number(value) == number


def test_only_keys_that_mention_tracking_are_kept_and_a_repeated_key_keeps_its_first_number():
    metas = [
        {"key": "_order_note", "value": "fragile"},
        {"key": "_tracking_number", "value": ""},
        {"key": "_tracking_number", "value": "A1"},
        {"key": "_tracking_number", "value": "A2"},
        {"key": "_wc_shipment_tracking_items", "value": [ITEM]},
        {"key": "marketing_consent_email", "value": "yes"},
        {"key": 7, "value": "not a key"},
    ]
    consents, tracking = meta_json(metas, tracking=True)
    assert json.loads(tracking) == {
        "_tracking_number": "A1",
        "_wc_shipment_tracking_items": "1Z999AA10123456784",
    }
    assert json.loads(consents) == {"marketing_consent_email": "yes"}
    assert meta_json(metas, tracking=False)[1] == ""
    assert meta_json([{"key": "_order_note", "value": "x"}], tracking=True) == ("", "")


def test_an_order_carries_its_tracking_meta_and_one_without_carries_none():
    body = woo.order(1)
    assert normalise_order(body, "h", NOW).tracking == ""
    body["meta_data"].append({"id": 9, "key": "ywot_tracking_code", "value": "RR123"})
    assert json.loads(normalise_order(body, "h", NOW).tracking) == {"ywot_tracking_code": "RR123"}


def test_every_default_key_is_one_the_normaliser_keeps():
    assert all(is_tracking_key(key) for key in DEFAULT_TRACKING_KEYS)


def test_the_keys_setting_is_tidied_and_its_default_is_the_well_known_keys():
    assert AlertSettings().names("fulfillment_delayed", "tracking_meta_keys") == (
        DEFAULT_TRACKING_KEYS
    )
    _, name, value = parse_setting(f"{SETTING}= _my_tracking , _wcst_order_trackno,_my_tracking")
    assert (name, value) == ("tracking_meta_keys", "_my_tracking,_wcst_order_trackno")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "give at least one order meta key"),
        (" , ", "give at least one order meta key"),
        ("_carrier_ref", "key '_carrier_ref' must mention one of track"),
        ('_my"tracking', "holds a quote"),
        (",".join(f"_tracking_{n}" for n in range(21)), "give at most 20 keys"),
        ("_tracking_" + "x" * 100, "is longer than 100 characters"),
    ],
)
def test_a_bad_keys_setting_is_one_line_naming_it(raw, words):
    with pytest.raises(InvalidAlertSetting) as caught:
        parse_setting(f"{SETTING}={raw}")
    message = str(caught.value)
    assert message.startswith(SETTING + ": ") and words in message and "\n" not in message


@pytest.mark.parametrize(
    ("unit", "why"),
    [
        (" hours without a tracking number", "25 hours without a tracking number against a "
         "threshold of 24 hours"),
        (" hours", "25 hours against a threshold of 24 hours"),
        ("%", "25% against a threshold of 24%"),
        ("", "25 against a threshold of 24"),
    ],
)  # fmt: skip
def test_the_why_names_what_was_measured_and_gives_the_threshold_in_its_unit(unit, why):
    alert = Alert(1, "s", "fulfillment_delayed", "warning", "t", "m", 25.0, 24.0, unit, "order",
                  "1", "#1", NOW)  # fmt: skip
    assert alert.why == why


def test_the_tracking_share_counts_the_paid_orders_with_a_number():
    seconds = [3600.0, math.nan, 7200.0, math.nan]
    assert fulfillment_metrics(seconds, [True, False, True, True]).tracking_share == 0.75
    assert fulfillment_metrics(seconds).tracking_share is None  # the shop does not track
    assert fulfillment_metrics([], []).tracking_share is None  # no paid orders
    assert share_tracked([True, False, False]) == 0.3333
    with pytest.raises(ValueError, match="one value per paid order"):
        fulfillment_metrics(seconds, [True])


@given(st.lists(st.booleans(), min_size=1, max_size=50), st.randoms())
def test_the_tracking_share_does_not_depend_on_the_orders_order(flags, rng):
    shuffled = list(flags)
    rng.shuffle(shuffled)
    assert share_tracked(shuffled) == share_tracked(flags) == round(sum(flags) / len(flags), 4)
