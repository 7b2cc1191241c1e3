"""The OpenAPI document describes the customer analytics routes, and what they answer
fits the schemas it documents (checked on the shop of tests/integration/customer_shop.py)."""

from __future__ import annotations

import pytest

from processors.analytics.customer_status import STATUSES
from processors.analytics.rfm import SEGMENTS
from tests.integration.customer_shop import (
    P3,
)
from tests.integration.openapi_check import problems
from tests.integration.read_api_support import get

PREFIX = "/api/v1/shops/{shop_id}/"


@pytest.fixture
def document(api):
    return api.get("/api/v1/openapi.json").get_json()


def _parameters(document: dict, path: str, method: str = "get") -> dict[str, dict]:
    operation = document["paths"][PREFIX + path][method]
    return {parameter["name"]: parameter for parameter in operation["parameters"]}


def test_the_customer_table_documents_its_filters_with_the_allowed_names(document):
    parameters = _parameters(document, "customers")

    assert set(parameters) >= {"segment", "status", "min_orders", "max_orders", "min_spent"}
    assert set(parameters) >= {"max_spent", "last_order_from", "last_order_to", "country"}
    assert parameters["segment"]["schema"]["items"]["enum"] == list(SEGMENTS)
    assert parameters["status"]["schema"]["items"]["enum"] == list(STATUSES)
    assert parameters["segment"]["explode"] is False
    sorts = parameters["sort"]["schema"]["enum"]
    assert {"recency_days", "-days_overdue", "expected_return", "-rfm_score"} <= set(sorts)


def test_customer_360_documents_its_key_its_404_and_the_admin_delete_beside_it(document):
    path = document["paths"][PREFIX + "customers/{customer_key}"]

    assert set(path) == {"get", "delete"}
    assert {"shop_id", "customer_key", "page", "per_page"} <= set(
        _parameters(document, path="customers/{customer_key}")
    )
    assert path["get"]["responses"]["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    assert "clv" in path["get"]["description"] and "CSV" in path["get"]["description"]
    assert path["delete"]["security"] == [{"adminAuth": []}]


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("segments", {"name", "sort", "page", "per_page", "format"}),
        ("retention", {"table", "from", "to", "format"}),
        ("timeseries", {"period", "from", "to", "interval", "compare", "format"}),
    ],
)
def test_each_new_route_documents_its_parameters(document, path, names):
    assert set(_parameters(document, path)) == names | {"shop_id"}


def test_period_names_include_previous_week_and_last_month(document):
    for path in ("kpis", "timeseries"):
        periods = _parameters(document, path)["period"]["schema"]["enum"]
        assert {"previous_week", "last_month", "last_7_days", "custom"} <= set(periods)


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("customers?per_page=500", "CustomerList"),
        ("customers/1", "Customer360"),
        ("customers/6", "Customer360"),
        ("customers/" + P3.key + "?per_page=1", "Customer360"),
        ("segments", "Segments"),
        ("segments?name=At%20Risk", "Segments"),
        ("retention", "Retention"),
        ("retention?table=cohorts", "Retention"),
        ("timeseries?period=last_30_days&interval=week", "Timeseries"),
    ],
)
def test_every_answer_fits_the_schema_the_document_gives_it(api, document, path, schema):
    body = get(api, path).get_json()

    assert problems(document, {"$ref": "#/components/schemas/" + schema}, body) == []


def test_the_checker_notices_a_body_that_does_not_fit(api, document):
    body = get(api, "segments").get_json()
    body["data"][0]["customers"] = "many"
    del body["scored_customers"]
    body["surprise"] = 1

    found = problems(document, {"$ref": "#/components/schemas/Segments"}, body)

    assert found == ["$: fits no oneOf option"]
    segments = document["components"]["schemas"]["Segments"]["oneOf"][0]
    assert problems(document, segments, body) == [
        "$: missing scored_customers",
        "$.data[0].customers: 'many' is not ['integer', 'null']",
        "$: surprise is not documented",
    ]
