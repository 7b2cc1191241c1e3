"""A query parameter a route does not declare is a 400 ``invalid_parameter`` naming it, in the
one error shape, on every shop route: a misspelt filter must not answer every row as if it
had been applied. What each route takes is read from the OpenAPI document the API serves;
order statuses are WooCommerce's, any case. Real Parquet views, DuckDB and Flask (the shop
of read_api_support.py)."""

from __future__ import annotations

import re

import pytest

from api.catalog import ROUTES
from tests.integration.read_api_support import AUTH, ORDERS, get

SHOP_GETS = [r for r in ROUTES if r.shop and r.method == "get" and not r.admin]


def _url(path: str) -> str:
    """The route's path with the shop's id and a placeholder for any other path key."""
    return re.sub(r"\{[a-z_]+\}", "1", path.replace("{shop_id}", "shop-a"))


def _declared(shop, path: str) -> set[str]:
    document = shop.get("/api/v1/openapi.json").get_json()
    parameters = document["paths"][path]["get"].get("parameters", [])
    return {p["name"] for p in parameters if p["in"] == "query"}


def _error(response) -> dict:
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == "invalid_parameter"
    return body["error"]


def test_every_shop_route_is_checked():
    names = {route.name for route in SHOP_GETS}
    assert {"kpis", "orders", "customers", "freshness", "segments", "timeseries"} <= names


@pytest.mark.parametrize("route", SHOP_GETS, ids=lambda route: route.name)
def test_an_undeclared_parameter_is_a_400_naming_it_and_what_the_route_takes(shop, route):
    response = shop.get(_url(route.path) + "?utm_source=mail", headers=AUTH)

    message = _error(response)["message"]
    assert message.startswith("unknown parameter 'utm_source': this route ")
    declared = _declared(shop, route.path)
    if declared:
        listed = message.split("this route takes ", 1)[1]
        assert set(listed.split(", ")) == declared
    else:
        assert message.endswith("takes no query parameters")


def test_several_undeclared_parameters_are_all_named_even_beside_valid_ones(shop):
    response = get(shop, "orders?per_page=2&Status=completed&_=1712745600&sort=total")

    message = _error(response)["message"]
    assert message.startswith("unknown parameters 'Status', '_': ")  # names are exact


def test_a_bogus_order_status_is_a_400_listing_woocommerces_statuses(shop):
    message = _error(get(shop, "orders?status=bogus"))["message"]

    assert message.startswith("status must be a comma-separated list of pending, processing")
    assert "on-hold" in message and "(got 'bogus')" in message


def test_order_statuses_match_in_any_case_and_spelling(shop):
    response = get(shop, "orders?status=On_Hold,COMPLETED&per_page=50")

    assert response.status_code == 200
    expected = {row[0] for row in ORDERS if row[2] in ("on-hold", "completed")}
    assert {row["order_id"] for row in response.get_json()["data"]} == expected


def test_the_token_is_checked_before_the_parameters(shop):
    response = shop.get("/api/v1/shops/shop-a/orders?bogus=1")

    assert response.status_code == 401
