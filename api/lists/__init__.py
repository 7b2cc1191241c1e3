"""Every list view of the read API, each declared once (``api.listing.ListView``).

From a declaration and its view's Arrow schema and key (schemas/views.py ``VIEWS``,
``VIEW_KEYS``) everything else is derived: the route, registered in the app with its
endpoint (api/endpoints.py), the bearer token, ETag and JSON or CSV; the query parameters
(filters, ``sort`` with its enum and default, ``page``, ``per_page``, ``format``), parsed
and documented from the same ParamSpecs; the OpenAPI operation (api/catalog.py,
api/openapi.py); the row component from the schema (money as decimal strings, times and
days as ISO strings, every column nullable) and the page component ``<row>List``
(api/openapi_components.py); the JSON page ``{shop_id, currency, <envelope fields>,
pagination, columns, data}``; the CSV columns (the schema's names, in its order); the SQL
(filters as named parameters, nulls last, the key breaking ties).

Adding a list view, e.g. ``products`` (issue 12), takes exactly:

1. schemas/product_views.py: ``PRODUCTS_VIEW = pa.schema([("product_id", pa.int64()),
   ("name", pa.string()), ("sku", pa.string()), ("score", pa.int64()), ("grade",
   pa.string()), ("revenue", MONEY), ...])``, and in schemas/views.py ``VIEWS["products"] =
   PRODUCTS_VIEW`` and ``VIEW_KEYS["products"] = ("product_id",)``.
2. processors/: the view's projection (its full build and its refresh for changed keys),
   which publishes ``products`` beside the other views.
3. api/lists/products.py: ``PRODUCTS = ListView(view="products", path="/products",
   summary="Products scored 0-100 ...", row="Product", filters=(Filter(ParamSpec("grade",
   "list", "Grades ...", GRADES, loose=True), "list_contains($value, grade)"), ...),
   sorts=("score", "revenue", "product_id"), default_sort="-score", description="...",
   envelope=(SCORED_AS_OF,))``, where a new envelope field is declared beside it:
   ``SCORED_AS_OF = EnvelopeField("scored_as_of", nullable(DAY) | {"description": ...},
   lambda ctx: ctx.manifest_day("products_as_of"))``; and ``PRODUCTS`` appended to
   ``LIST_VIEWS`` below.

Nothing else: the route ``GET /api/v1/shops/{shop_id}/products``, its OpenAPI operation and
the ``Product`` and ``ProductList`` components appear by themselves (the document lists a
list route where api/shop_routes.py's ``SHOP_ROUTES`` places it, else after the shop routes).
A declaration naming a view schemas/views.py lacks, or a sort that is not one of its
columns, fails at import. Not covered by a list declaration: another route
(``products/<id>``: a RouteSpec in api/shop_routes.py and its endpoint in api/endpoints.py),
and another answer on a list's own path (``products?top=5&by=revenue``: a RouteSpec that
adds to the declaration's route, api/top_products.py, and an endpoint of its own).
"""

from __future__ import annotations

from api.listing import ListView, order_by
from api.lists.alerts import ALERTS
from api.lists.customers import CUSTOMERS
from api.lists.lines import ORDER_LINES
from api.lists.orders import ORDERS
from api.lists.predictions import CHURN, CLV
from api.lists.products import PRODUCTS

LIST_VIEWS: tuple[ListView, ...] = (
    ORDERS,
    CUSTOMERS,
    CLV,
    CHURN,
    ORDER_LINES,
    PRODUCTS,
    ALERTS,
)
LIST_VIEWS_BY_NAME: dict[str, ListView] = {spec.view: spec for spec in LIST_VIEWS}

# The order each listed view's base is held in by the read API (api/memtables.py): its
# list's default sort. The first pages of the default listing, and of sorts that follow it
# (orders: -created_at, -order_id), are then found in the first row groups, whose min/max
# let DuckDB's top-N skip the rest: the keys of the newest 250 of a million orders in about
# 4 ms instead of 21.
BASE_ORDER = {spec.view: order_by(spec, None).strip() for spec in LIST_VIEWS}
