"""The read API over HTTP: auth, ETag and 304, OpenAPI, health checks, errors, threads.

Real Parquet views, real DuckDB, real Flask; the shop's orders are in read_api_support.py.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from api.app import create_app
from schemas.settings import Settings
from store.view_files import live_files, read_manifest
from tests.integration.read_api_support import AUTH, GUEST, Tokens, get, publish_views
from tests.views_builder import at

# --- auth ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer nope"}, 401, "unauthorized"),
        ({"Authorization": "Basic dG9rZW4tYTo="}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        ({"Authorization": "Bearer token-b"}, 403, "forbidden"),  # the other shop's token
    ],
)
def test_only_the_shops_own_token_reads_it(shop, headers, status, code):
    for view in ("kpis", "orders", "customers", "freshness"):
        response = shop.get("/api/v1/shops/shop-a/" + view, headers=headers)

        assert response.status_code == status
        error = response.get_json()["error"]
        assert error["code"] == code
        assert set(error) == {"code", "message"} and error["message"]


def test_a_missing_token_asks_for_bearer_auth(shop):
    response = shop.get("/api/v1/shops/shop-a/orders")

    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("admin_token", [None, "admin-token"])
@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "erasures/0123456789abcdef"), ("delete", "customers/25")],
)
def test_a_missing_token_is_401_on_the_admin_routes_whether_or_not_they_are_on(
    tmp_path, clock, admin_token, method, path
):
    app = create_app(Settings(data_dir=tmp_path, admin_token=admin_token), Tokens(), clock)
    response = getattr(app.test_client(), method)("/api/v1/shops/shop-a/" + path)

    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_with_the_admin_api_off_a_token_on_an_admin_route_is_403_admin_disabled(client):
    response = client.get("/api/v1/shops/shop-a/erasures/0123456789abcdef", headers=AUTH)

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "admin_disabled"


def test_a_token_for_an_unknown_shop_id_is_forbidden_without_saying_whether_it_exists(shop):
    response = shop.get("/api/v1/shops/nowhere/orders", headers=AUTH)

    assert response.status_code == 403


# --- ETag and 304 -------------------------------------------------------------------------


def test_an_unchanged_view_answers_304_without_a_body(shop):
    first = get(shop, "orders?status=completed&sort=total")
    etag = first.headers["ETag"]

    again = get(shop, "orders?sort=total&status=completed", **{"If-None-Match": etag})

    assert first.headers["Cache-Control"] == "no-cache"
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag


def test_the_etag_differs_by_query_format_path_and_views_version(shop, tmp_path):
    def etag(path: str, **headers) -> str:
        return get(shop, path, **headers).headers["ETag"]

    base = etag("orders")
    assert etag("orders") == base
    others = [etag("orders?page=2"), etag("orders", Accept="text/csv"), etag("customers")]
    publish_views(tmp_path, version="v2")
    others.append(etag("orders"))

    assert len({base, *others}) == 5
    stale = get(shop, "orders", **{"If-None-Match": base})
    assert stale.status_code == 200
    assert stale.get_json()["pagination"]["total"] == 10


def test_kpis_etag_moves_at_the_shops_midnight(shop, clock):
    before = get(shop, "kpis").headers["ETag"]
    clock.set(at("2024-04-10 21:59"))  # 23:59 in Warsaw
    same_day = get(shop, "kpis").headers["ETag"]
    clock.set(at("2024-04-10 22:01"))  # 00:01 on 04-11

    after = get(shop, "kpis", **{"If-None-Match": before})

    assert same_day == before
    assert after.status_code == 200
    assert after.get_json()["period"]["to"] == "2024-04-10"


# --- OpenAPI, health, errors --------------------------------------------------------------


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"]} if "$ref" in node else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


def test_the_openapi_document_describes_every_route_and_parameter(client):
    response = client.get("/api/v1/openapi.json")
    document = json.loads(response.get_data(as_text=True))
    rules = {
        re.sub(r"<(\w+)>", r"{\1}", rule.rule)
        for rule in client.application.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("dashboard.")
    }

    assert response.status_code == 200
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == rules
    orders = document["paths"]["/api/v1/shops/{shop_id}/orders"]["get"]
    names = {parameter["name"] for parameter in orders["parameters"]}
    assert names >= {"shop_id", "status", "customer", "from", "to", "is_sale", "min_total"}
    assert names >= {"max_total", "sort", "page", "per_page", "format"}
    schemas = document["components"]["schemas"]
    assert {ref.rsplit("/", 1)[1] for ref in _refs(document)} <= set(schemas)
    assert set(schemas["Kpis"]["properties"]["kpis"]["properties"]) >= {"aov", "new_customers"}


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("kpis", "period=today&from=2024-04-01"),
        ("kpis", "period=custom&from=2024-04-01"),
        ("kpis", "from=2024-04-05&to=2024-04-01"),
        ("kpis", "from=0001-01-01&to=0001-01-05"),
        ("timeseries", "from=2000-01-01&to=2024-01-01"),
        ("retention", "from=2010-01-01&to=2024-04-01"),
        ("retention", "from=2024-05-01&to=2024-04-01"),
        ("churn/timeline", "from=2024-04-10&to=2024-04-01"),
    ],
)
def test_each_rule_between_valid_parameters_is_stated_word_for_word_in_the_openapi(
    shop, path, query
):
    response = get(shop, path + "?" + query)
    document = shop.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/api/v1/shops/{shop_id}/" + path]["get"]

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_parameter"
    rule = response.get_json()["error"]["message"].split(" (")[0]
    assert rule in operation["description"]


def test_the_openapi_states_the_bounds_and_patterns_the_api_enforces(client):
    document = client.get("/api/v1/openapi.json").get_json()
    churn = document["paths"]["/api/v1/shops/{shop_id}/churn"]["get"]["parameters"]
    schemas = {parameter["name"]: parameter["schema"] for parameter in churn}
    customer = document["paths"]["/api/v1/shops/{shop_id}/customers/{customer_key}"]

    assert schemas["min_probability"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert (schemas["page"]["minimum"], schemas["page"]["maximum"]) == (1, 1_000_000_000)
    assert (schemas["per_page"]["minimum"], schemas["per_page"]["maximum"]) == (1, 500)
    for method in ("get", "delete"):
        (key,) = [p for p in customer[method]["parameters"] if p["name"] == "customer_key"]
        assert re.fullmatch(key["schema"]["pattern"].strip("^$"), "guest-0123456789abcdef")
        assert not re.fullmatch(key["schema"]["pattern"].strip("^$"), "ada@example.com")


def test_healthz_is_ok_and_readyz_names_the_failing_checks(tmp_path, clock):
    def broken() -> None:
        raise ConnectionError("postgresql://user:secret@db refused")

    ready = {"store": lambda: None}
    app = create_app(Settings(data_dir=tmp_path), Tokens(), clock, ready | {"broker": broken})
    client = app.test_client()

    assert client.get("/healthz").get_json() == {"status": "ok"}
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "not_ready"
    assert response.get_json()["checks"] == {"store": "ok", "broker": "failed"}
    assert "secret" not in response.get_data(as_text=True)
    healthy = create_app(Settings(data_dir=tmp_path), Tokens(), clock, ready).test_client()
    assert healthy.get("/readyz").status_code == 200


def test_unknown_routes_and_methods_answer_in_the_one_error_shape(client):
    missing = client.get("/api/v1/shops/shop-a/nothing", headers=AUTH)
    wrong_method = client.post("/api/v1/shops/shop-a/orders", headers=AUTH)

    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    assert "GET" in wrong_method.headers["Allow"]


def test_an_unreadable_view_is_a_500_in_the_one_error_shape(shop, tmp_path):
    views = tmp_path / "shops" / "shop-a" / "views"
    (views / live_files(read_manifest(views))["orders"].base).write_bytes(b"not parquet")

    response = get(shop, "orders")

    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"


# --- many threads -------------------------------------------------------------------------


def test_concurrent_requests_on_many_threads_each_see_their_own_views(shop):
    app = shop.application
    expected = {
        "orders?per_page=3&sort=order_id": [101, 102, 103],
        "customers?min_orders=2": ["25", GUEST],
        "kpis?period=last_7_days": "190.00",
    }

    def read(path: str):
        body = get(app.test_client(), path).get_json()
        if path.startswith("kpis"):
            return body["kpis"]["net_revenue"]["value"]
        return [row.get("order_id", row["customer_key"]) for row in body["data"]]

    paths = list(expected) * 20
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(read, paths))

    assert answers == [expected[path] for path in paths]
