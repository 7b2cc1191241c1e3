"""Product state from a WooCommerce product body (issue 12, point 2): stock status, cost from
the cost-of-goods field or the shop's cost meta keys, and the price-history rule (pure)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.errors import UnprocessableEvent
from processors.handlers import handle_envelope
from processors.normalise_product import normalise_product
from schemas.envelope import Envelope
from schemas.events import ProductChanged, Version
from schemas.settings import SettingsError, load_settings
from schemas.shop import DEFAULT_COST_KEYS, cost_keys_problem, tidy_cost_keys
from store.state_prices import NO_PRICES, price_history
from tests.woo_payloads import product

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
T0 = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
KEYS = ("_purchase_price", "_wc_cog_cost")


def normalised(body: dict[str, Any], keys: tuple[str, ...] = DEFAULT_COST_KEYS) -> ProductChanged:
    return normalise_product(body, "0" * 64, RECEIVED, keys)


def with_meta(*entries: tuple[str, Any], cogs: dict[str, Any] | None = None) -> dict[str, Any]:
    body = product(794, price="20.00")
    body["meta_data"] = [{"id": 100 + i, "key": k, "value": v} for i, (k, v) in enumerate(entries)]
    if cogs is not None:
        body["cost_of_goods_sold"] = cogs
    return body


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("instock", "instock"),
        ("outofstock", "outofstock"),
        ("onbackorder", "onbackorder"),
        (" OutOfStock ", "outofstock"),
        ("", ""),
        (None, ""),
        ("discontinued", ""),
        (3, ""),
        (["instock"], ""),
    ],
)
def test_stock_status_is_one_of_woocommerces_three_or_empty_never_a_refusal(sent, kept):
    body = product(794, price="20.00")
    body["stock_status"] = sent
    assert normalised(body).stock_status == kept


def test_a_product_without_stock_status_has_an_empty_one_and_the_fixtures_are_in_stock():
    body = product(794, price="20.00")
    del body["stock_status"]
    assert normalised(body).stock_status == ""
    assert normalised(product(794, price="20.00")).stock_status == "instock"


def test_woocommerces_own_cost_of_goods_field_wins_over_every_meta_key():
    cogs = {"values": [{"defined_value": 7.5, "effective_value": 7.5}], "total_value": 7.5}
    body = with_meta(("_purchase_price", "4.00"), ("_wc_cog_cost", "5.00"), cogs=cogs)
    assert normalised(body, KEYS).cost == Decimal("7.50")


def test_a_cost_of_goods_field_of_zero_counts_only_when_the_shop_entered_zero():
    unset = {"values": [{"defined_value": None, "effective_value": 0}], "total_value": 0}
    entered = {"values": [{"defined_value": 0, "effective_value": 0}], "total_value": 0}
    assert normalised(with_meta(("_wc_cog_cost", "5.00"), cogs=unset)).cost == Decimal("5.00")
    assert normalised(with_meta(cogs=unset)).cost is None
    assert normalised(with_meta(("_wc_cog_cost", "5.00"), cogs=entered)).cost == Decimal("0.00")


def test_a_variation_inheriting_its_parents_cost_of_goods_takes_the_total():
    inherited = {
        "values": [{"defined_value": None, "effective_value": 3.25}],
        "defined_value_overrides_parent": False,
        "total_value": 3.25,
    }
    assert normalised(with_meta(cogs=inherited)).cost == Decimal("3.25")


def test_the_first_configured_meta_key_with_a_value_wins_in_the_shops_order():
    body = with_meta(("_wc_cog_cost", "5.00"), ("_purchase_price", "4.20"))
    assert normalised(body, KEYS).cost == Decimal("4.20")
    assert normalised(body, ("_wc_cog_cost", "_purchase_price")).cost == Decimal("5.00")
    assert normalised(body).cost == Decimal("5.00")  # the default: _wc_cog_cost


def test_a_meta_key_the_shop_did_not_configure_is_not_a_cost():
    body = with_meta(("_purchase_price", "4.20"))
    assert normalised(body).cost is None
    assert normalised(body, KEYS).cost == Decimal("4.20")


@pytest.mark.parametrize(
    "unusable",
    ["", "  ", "abc", "-3.00", "NaN", "Infinity", None, True, {"amount": "4"}, ["4"], -1],
)
def test_an_unusable_cost_is_passed_over_for_the_next_key_not_refused(unusable):
    body = with_meta(("_purchase_price", unusable), ("_wc_cog_cost", "5.00"))
    assert normalised(body, KEYS).cost == Decimal("5.00")
    assert normalised(with_meta(("_purchase_price", unusable)), KEYS).cost is None


@pytest.mark.parametrize("unusable", ["-2.00", "n/a", "", None, -1.5])
def test_an_unusable_cost_of_goods_field_falls_back_to_the_meta_keys(unusable):
    cogs = {"values": [{"defined_value": unusable}], "total_value": unusable}
    assert normalised(with_meta(("_wc_cog_cost", "5.00"), cogs=cogs)).cost == Decimal("5.00")


def test_a_key_given_twice_takes_its_first_usable_value_and_numbers_are_costs_too():
    body = with_meta(("_wc_cog_cost", "oops"), ("_wc_cog_cost", 6), ("_wc_cog_cost", "7.00"))
    assert normalised(body).cost == Decimal("6.00")
    assert normalised(with_meta(("_wc_cog_cost", 2.675))).cost == Decimal("2.68")


def test_no_cost_anywhere_is_none():
    assert normalised(with_meta(), KEYS).cost is None
    assert normalised(product(794, price="20.00")).cost is None


def test_a_cost_the_state_cannot_hold_is_still_refused_naming_its_field():
    with pytest.raises(UnprocessableEvent, match=r"^meta_data\[0\]\.value: amount out of range$"):
        normalised(with_meta(("_wc_cog_cost", "1e20")))


def _envelope(topic: str, body: Any) -> Envelope:
    resource, _, event = topic.partition(".")
    return Envelope("shp_x", topic, resource, event, None, json.dumps(body), RECEIVED)


def test_the_handler_passes_the_shops_cost_keys_to_products_of_webhooks_and_pages():
    body = with_meta(("_wc_cog_cost", "5.00"), ("_purchase_price", "4.20"))
    [webhook] = handle_envelope(_envelope("product.updated", body), KEYS)
    [element] = handle_envelope(_envelope("product.imported", [body]), KEYS)
    [default] = handle_envelope(_envelope("product.updated", body))
    assert [webhook.cost, element.cost, default.cost] == [Decimal("4.20")] * 2 + [Decimal("5")]


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        ((), "give at least one cost meta key"),
        (("_cost", ""), "a cost meta key is empty"),
        (("x" * 101,), "cost meta key 'xxxxxxxxxxxxxxxxxxxx'... is longer than 100 characters"),
        (("_cost\n",), "cost meta key '_cost\\n' contains control characters"),
        (("a\x00b",), "cost meta key 'a\\x00b' contains control characters"),
        (("a\x85b",), "cost meta key 'a\\x85b' contains control characters"),
        (tuple(f"k{i}" for i in range(21)), "give at most 20 cost meta keys"),
    ],
)
def test_unusable_cost_keys_are_named_in_one_line(keys, problem):
    assert cost_keys_problem(keys) == problem
    assert "\n" not in problem


def test_cost_keys_are_stripped_kept_once_in_order_and_may_be_long_up_to_100():
    keys = tidy_cost_keys([" _b ", "_a", "_b", "x" * 100, "_coût"])
    assert keys == ("_b", "_a", "x" * 100, "_coût")
    assert cost_keys_problem(keys) is None


def test_the_cost_keys_default_comes_from_wcpulse_cost_keys():
    assert load_settings({}).cost_keys == ("_wc_cog_cost",)
    env = {"WCPULSE_COST_KEYS": " _purchase_price, _wc_cog_cost,,"}
    assert load_settings(env).cost_keys == ("_purchase_price", "_wc_cog_cost")
    with pytest.raises(SettingsError, match="^WCPULSE_COST_KEYS: give at least one cost meta"):
        load_settings({"WCPULSE_COST_KEYS": ",,"})
    with pytest.raises(SettingsError, match="longer than 100 characters"):
        load_settings({"WCPULSE_COST_KEYS": "x" * 101})


# The price history rule (store.state_prices.price_history), against a model that applies payloads
# one at a time, in the order they came.
def change(product_id: int, minute: int, price: str | None, sale: str | None = None, tag="a"):
    money = None if price is None else Decimal(price)
    return ProductChanged(
        product_id=product_id,
        version=Version(T0 + timedelta(minutes=minute), tag * 64),
        parent_id=0,
        type="simple",
        name="P",
        sku="",
        status="publish",
        price=Decimal(sale) if sale else money,
        regular_price=money,
        sale_price=Decimal(sale) if sale else None,
        stock_quantity=None,
        manage_stock=False,
        cost=None,
        categories=(),
    )


def one_by_one(events: list[ProductChanged]) -> dict[int, list]:
    stored: dict[int, Version] = {}
    rows: dict[int, list] = {}
    for event in events:
        for pid, history in price_history([event], stored, rows).items():
            rows[pid] = history
        if event.product_id not in stored or event.version > stored[event.product_id]:
            stored[event.product_id] = event.version
    return rows


def test_a_price_row_is_added_only_when_a_newer_payload_changes_the_prices():
    events = [
        change(1, 0, "10.00"),
        change(1, 5, "10.00"),  # unchanged
        change(1, 10, "12.00"),  # a price change
        change(1, 3, "99.00"),  # stale
        change(1, 20, "12.00", sale="9.00"),  # on sale
    ]
    at = [T0 + timedelta(minutes=m) for m in (0, 10, 20)]
    d = Decimal
    assert one_by_one(events) == {
        1: [
            (at[0], (d("10.00"), d("10.00"), None)),
            (at[1], (d("12.00"), d("12.00"), None)),
            (at[2], (d("9.00"), d("12.00"), d("9.00"))),
        ]
    }


def test_a_first_payload_without_prices_adds_no_row_and_clearing_a_price_does():
    rows = one_by_one([change(2, 0, None), change(2, 1, "5.00"), change(2, 2, None)])
    five = (Decimal("5.00"), Decimal("5.00"), None)
    assert rows[2] == [(T0 + timedelta(minutes=1), five), (T0 + timedelta(minutes=2), NO_PRICES)]


def test_a_tie_of_times_keeps_the_prices_of_the_greater_version_in_any_order():
    low, high = change(3, 5, "11.00", tag="a"), change(3, 5, "10.00", tag="b")
    base = change(3, 0, "10.00")
    assert one_by_one([base, low, high]) == one_by_one([base, high, low])
    assert one_by_one([base, high]) == {3: [(T0, (Decimal("10.00"), Decimal("10.00"), None))]}


@given(
    st.lists(
        st.tuples(st.integers(1, 2), st.integers(0, 6), st.sampled_from(["5.00", "6.00", None])),
        max_size=12,
    ),
    st.data(),
)
def test_one_batch_gives_what_the_same_payloads_give_one_by_one(specs, data):
    events = [change(pid, minute, price, tag="ab"[minute % 2]) for pid, minute, price in specs]
    dedup = {(e.product_id, e.version): e for e in events}  # one body per version, as hashes
    events = [dedup[(e.product_id, e.version)] for e in events]
    cut = data.draw(st.integers(0, len(events)))
    first = one_by_one(events[:cut])
    stored: dict[int, Version] = {}
    for event in events[:cut]:
        if event.product_id not in stored or event.version > stored[event.product_id]:
            stored[event.product_id] = event.version
    batched = {**first, **price_history(events[cut:], stored, first)}
    assert batched == one_by_one(events)
