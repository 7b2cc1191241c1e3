"""List views declared once (api/lists/): the route, the endpoint, the OpenAPI operation and
components, the CSV columns and the SQL all come from one declaration and its view's schema
and key in schemas/views.py."""

from __future__ import annotations

import pyarrow as pa
import pytest

from api.catalog import ROUTES, ROUTES_BY_NAME, with_list_routes
from api.context import EnvelopeField
from api.endpoints import ENDPOINTS
from api.json_shapes import DAY, nullable
from api.listing import Filter, ListView, order_by, where_clause
from api.lists import LIST_VIEWS
from api.lists.orders import ORDERS
from api.openapi import build_openapi, operation
from api.openapi_components import list_view_schemas
from api.params import ParamSpec
from api.route_spec import SHOP_PREFIX
from schemas.view_types import MONEY
from schemas.views import VIEW_KEYS, VIEWS

DOCUMENT = build_openapi(ROUTES)
PRODUCTS_VIEW = pa.schema(
    [
        ("product_id", pa.int64()),
        ("variation_id", pa.int64()),
        ("name", pa.string()),
        ("grade", pa.string()),
        ("score", pa.int64()),
        ("revenue", MONEY),
        ("velocity", pa.float64()),
        ("margin_assumed", pa.bool_()),
        ("last_sold_day", pa.date32()),
        ("scored_at", pa.timestamp("us", tz="UTC")),
    ]
)
SCORED_AS_OF = EnvelopeField(
    "scored_as_of",
    nullable(DAY) | {"description": "the day products are scored as of"},
    lambda ctx: ctx.manifest_day("products_as_of"),
)


@pytest.fixture
def products(monkeypatch) -> ListView:
    """A list view that is not in the house yet: its schema and key, and its declaration."""
    monkeypatch.setitem(VIEWS, "products", PRODUCTS_VIEW)
    monkeypatch.setitem(VIEW_KEYS, "products", ("product_id", "variation_id"))
    return ListView(
        view="products",
        path="/products",
        summary="Products scored 0-100, filtered, sorted and paginated.",
        row="Product",
        filters=(
            Filter(
                ParamSpec("grade", "list", "Grades.", ("A+", "B", "C", "D", "F"), loose=True),
                "list_contains($value, grade)",
            ),
            Filter(
                ParamSpec("min_score", "integer", "Lowest score.", minimum=0), "score >= $value"
            ),
        ),
        sorts=("score", "revenue", "velocity"),
        default_sort="-score",
        description="Every product with its score and grade.",
        envelope=(SCORED_AS_OF,),
    )


@pytest.mark.parametrize("spec", LIST_VIEWS, ids=lambda spec: spec.view)
def test_every_declared_list_view_is_served_and_documented_with_its_views_columns(spec):
    route = ROUTES_BY_NAME[spec.view]
    components = DOCUMENT["components"]["schemas"]

    # the declared route, or one that adds to it (products: ``?top=``)
    assert (route.name, route.path) == (spec.route.name, spec.route.path)
    assert route.name in ENDPOINTS
    assert [p for p in route.params if p in spec.route.params] == list(spec.route.params)
    if route != spec.route:
        assert route.response in components and spec.page in str(components[route.response])
    assert route.path in DOCUMENT["paths"]
    joined = tuple(field.name for field in spec.joined.fields) if spec.joined else ()
    assert spec.columns == tuple(VIEWS[spec.view].names) + joined  # alerts: + mail_status
    assert list(components[spec.row]["properties"]) == list(spec.columns)
    assert components[spec.page]["properties"]["data"]["items"] == {
        "$ref": "#/components/schemas/" + spec.row
    }


def test_a_new_list_view_gets_its_route_with_filters_sort_and_pages_from_its_declaration(
    products,
):
    route = products.route
    parameters = {item["name"]: item for item in operation(route)["parameters"]}

    assert (route.name, route.path, route.response) == (
        "products",
        SHOP_PREFIX + "/products",
        "ProductList",
    )
    assert list(parameters) == [
        "shop_id",
        "grade",
        "min_score",
        "sort",
        "page",
        "per_page",
        "format",
    ]
    assert parameters["grade"]["schema"]["items"]["enum"] == ["A+", "B", "C", "D", "F"]
    assert parameters["sort"]["schema"]["default"] == "-score"
    assert "-velocity" in parameters["sort"]["schema"]["enum"]
    assert operation(route)["description"] == "Every product with its score and grade."


def test_a_new_list_views_row_follows_its_schema_and_its_page_carries_its_envelope_fields(
    products,
):
    schemas = list_view_schemas(products)
    row = schemas["Product"]["properties"]
    page = schemas["ProductList"]

    assert list(row) == PRODUCTS_VIEW.names
    assert row["revenue"]["type"] == ["string", "null"] and "pattern" in row["revenue"]
    assert row["last_sold_day"] == {"type": ["string", "null"], "format": "date"}
    assert row["scored_at"]["format"] == "date-time"
    assert row["margin_assumed"]["type"] == ["boolean", "null"]
    assert row["velocity"]["type"] == ["number", "null"]
    assert page["required"] == [
        "shop_id",
        "currency",
        "scored_as_of",
        "pagination",
        "columns",
        "data",
    ]
    assert page["properties"]["scored_as_of"] == SCORED_AS_OF.schema


def test_a_list_view_the_route_table_does_not_place_follows_the_shop_routes(products):
    placed = (ORDERS.route,)

    routes = with_list_routes(placed, (ORDERS, products))

    assert [route.name for route in routes] == ["orders", "products"]


def test_sort_ties_are_broken_by_every_column_of_the_views_key(products):
    assert order_by(products, "revenue") == (
        " ORDER BY revenue ASC NULLS LAST, product_id ASC, variation_id ASC"
    )
    assert order_by(ORDERS, None) == " ORDER BY created_at DESC NULLS LAST, order_id DESC"


def test_filter_values_travel_as_named_parameters_and_never_inside_the_sql():
    clause, params = where_clause(ORDERS, {"customer": "x' OR 1=1 --", "status": ["On-Hold"]})

    assert clause == " WHERE list_contains($f_status, status) AND customer_key = $f_customer"
    assert params == {"f_status": ["on-hold"], "f_customer": "x' OR 1=1 --"}


def test_a_declaration_of_a_view_that_schemas_does_not_publish_fails_at_once():
    with pytest.raises(ValueError, match="no such view"):
        ListView("nothing", "/nothing", "Nothing.", "Nothing", (), ("id",), "id")


def test_a_declaration_that_sorts_by_a_column_its_view_lacks_fails_at_once():
    with pytest.raises(ValueError, match="sorts name a column"):
        ListView("orders", "/orders", "Orders.", "Order", (), ("colour",), "colour")
    with pytest.raises(ValueError, match="default_sort"):
        ListView("orders", "/orders", "Orders.", "Order", (), ("total",), "-created_at")
