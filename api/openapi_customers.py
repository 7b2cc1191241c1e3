"""OpenAPI component schemas of the customer analytics views: Customer 360, segments,
retention and the customer timeseries; of one product's detail; and of fulfilment."""

from __future__ import annotations

from typing import get_type_hints

from api.context import SCORES_AS_OF
from api.customer360 import RFM_FIELDS, STATUS_FIELDS
from api.customer_timeseries import TIMESERIES_ROW
from api.fulfillment import OVERDUE_ROW
from api.json_shapes import DAY, TIME, Schema, obj, ref, row_schema, strings, table_schema
from api.openapi_predictions import or_null
from api.product_detail import DAILY
from api.retention import TABLES
from api.sales_breakdowns import CATEGORY_ROW, COUPON_ROW
from api.segments import SEGMENT_ROW
from api.timeseries_compare import timeseries_schemas
from api.top_products import TOP_ROW
from processors.analytics.fulfillment import FulfillmentMetrics
from processors.analytics.tickets import TicketMetrics
from schemas.product_views import PRODUCT_PRICES_VIEW
from schemas.shop import CONSENT_CHANNELS
from schemas.views import CUSTOMERS_VIEW, SEGMENT_HISTORY_VIEW

_SHOP: dict[str, Schema] = {"shop_id": {"type": "string"}, "currency": {"type": "string"}}
_COUNT: Schema = {"type": "integer"}


def _list_of(row: str) -> Schema:
    return {"type": "array", "items": ref(row)}


def _customer_fields(names: tuple[str, ...]) -> dict[str, Schema]:
    columns = row_schema(CUSTOMERS_VIEW)["properties"]
    return {name: columns[name] for name in names}


def _row_name(table: str) -> str:
    return "Retention" + table.title().replace("_", "")


def _customer360() -> Schema:
    consent: Schema = {"type": ["boolean", "null"], "description": "null: unknown"}
    rfm = obj(_customer_fields(RFM_FIELDS) | {"scores_as_of": SCORES_AS_OF.schema})
    orders = obj({"pagination": ref("Pagination"), "data": _list_of("Order")})
    return obj(
        _SHOP
        | {
            "customer_key": {"type": "string"},
            "profile": ref("Customer"),
            "consents": obj({channel: consent for channel in CONSENT_CHANNELS}),
            "rfm": rfm,
            "status": obj(_customer_fields(STATUS_FIELDS)),
            "segment_history": _list_of("SegmentChange"),
            "orders": orders,
            "clv": or_null("CustomerClv"),
            "churn": or_null("CustomerChurn"),
        }
    )


def _segments() -> Schema:
    return obj(
        _SHOP
        | {
            "scores_as_of": SCORES_AS_OF.schema,
            "scored_customers": _COUNT,
            "customers_without_orders": _COUNT,
            "columns": strings(),
            "data": _list_of("SegmentSummary"),
        }
    )


def _retention() -> Schema:
    tables = {name: table_schema(_row_name(name)) for name in TABLES}
    shape = obj(
        _SHOP
        | {
            "as_of": DAY,
            "from": DAY,
            "to": DAY,
            "repeat_purchase_rate": {"type": ["number", "null"], "description": "0..1"},
            "table": {"type": ["string", "null"], "enum": [*TABLES, None]},
        }
        | tables
    )
    shape["required"] = [name for name in shape["required"] if name not in tables]
    return shape


def _product_detail() -> Schema:
    daily = obj({"from": DAY, "to": DAY, "data": _list_of("ProductDay")})
    return obj(
        _SHOP
        | {
            "product_id": {"type": "integer"},
            "product": ref("Product"),
            "daily": daily,
            "price_history": _list_of("ProductPrice"),
        }
    )


def _period_table(row: str, extra: dict[str, Schema] | None = None) -> Schema:
    """A period's table of ``row`` components (top products, categories, coupons)."""
    period = obj({"name": {"type": "string"}, "from": DAY, "to": DAY})
    return obj(
        _SHOP | {"period": period} | (extra or {}) | {"columns": strings(), "data": _list_of(row)}
    )


def _fulfillment_metrics() -> Schema:
    """Counts are whole numbers; hours, rates and shares are numbers, null without a base
    (the orders' figures, then the helpdesk tickets')."""
    hints = get_type_hints(FulfillmentMetrics) | get_type_hints(TicketMetrics)
    fields: dict[str, Schema] = {
        name: _COUNT if hint is int else {"type": ["number", "null"]}
        for name, hint in hints.items()
    }
    return obj(fields | {"overdue_now": _COUNT})


def _fulfillment() -> Schema:
    period = obj({"name": {"type": "string"}, "from": DAY, "to": DAY})
    return obj(
        _SHOP
        | {
            "period": period,
            "sla_hours": _COUNT,
            "as_of": TIME | {"description": "the request's clock: what overdue is as of"},
            "metrics": ref("FulfillmentMetrics"),
            "pagination": ref("Pagination"),
            "overdue": table_schema("OverdueOrder"),
        }
    )


def customer_component_schemas() -> dict[str, Schema]:
    rows = {_row_name(name): row_schema(schema) for name, schema in TABLES.items()}
    return {
        "Customer360": _customer360(),
        "ProductDetail": _product_detail(),
        "ProductDay": row_schema(DAILY),
        "TopProduct": row_schema(TOP_ROW),
        "TopProducts": _period_table(
            "TopProduct", {"by": {"type": "string", "enum": ["revenue", "units"]}}
        ),
        "ProductsOrTop": {"oneOf": [ref("ProductList"), ref("TopProducts")]},
        "CategorySales": row_schema(CATEGORY_ROW),
        "Categories": _period_table("CategorySales"),
        "CouponUse": row_schema(COUPON_ROW),
        "Coupons": _period_table("CouponUse"),
        "ProductPrice": row_schema(PRODUCT_PRICES_VIEW, skip=("product_id",)),
        "SegmentChange": row_schema(SEGMENT_HISTORY_VIEW, skip=("customer_key",)),
        "SegmentSummary": row_schema(SEGMENT_ROW),
        "Segments": {"oneOf": [_segments(), ref("CustomerList")]},
        "Retention": _retention(),
        **rows,
        **timeseries_schemas(TIMESERIES_ROW),
        "FulfillmentMetrics": _fulfillment_metrics(),
        "OverdueOrder": row_schema(OVERDUE_ROW),
        "Fulfillment": _fulfillment(),
    }
