"""OpenAPI component schemas: the response shapes of every route (the customer analytics
ones are in api/openapi_customers.py, the prediction ones in api/openapi_predictions.py;
the list views' row and page from their declarations, api/lists/)."""

from __future__ import annotations

from api.alert_settings import alert_settings_schemas
from api.endpoints import FRESHNESS_COLUMNS
from api.json_shapes import DAY, TIME, Schema, nullable, obj, ref, row_schema
from api.listing import ListView
from api.lists import LIST_VIEWS
from api.openapi_customers import customer_component_schemas
from api.openapi_predictions import prediction_component_schemas
from api.runs import RUN_KINDS, SYNC_COLUMNS
from api.sales_summary import sales_summary_schemas
from api.segment_history import segment_history_schemas
from api.transactions_live import transactions_schemas
from processors.analytics.kpis import KPI_NAMES


def list_view_schemas(spec: ListView) -> dict[str, Schema]:
    """A list view's row (its view's columns) and its page: the shop's fields, the
    declaration's envelope fields, the pagination, the columns and the rows."""
    extra = {field.name: field.schema for field in spec.envelope}
    page = obj(
        {"shop_id": {"type": "string"}, "currency": {"type": "string"}}
        | extra
        | {
            "pagination": ref("Pagination"),
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {"type": "array", "items": ref(spec.row)},
        }
    )
    return {spec.row: row_schema(spec.schema), spec.page: page}


def _kpi_schemas() -> dict[str, Schema]:
    value: Schema = {"type": ["string", "integer", "null"], "description": "money or count"}
    kpi = obj(
        {
            "value": value,
            "previous": value,
            "change": value,
            "change_pct": {"type": ["number", "null"], "description": "null when base is 0"},
        }
    )
    period = obj({"name": {"type": "string"}, "from": DAY, "to": DAY})
    kpis = obj(
        {
            "shop_id": {"type": "string"},
            "currency": {"type": "string"},
            "period": period,
            "previous_period": obj({"from": DAY, "to": DAY}),
            "kpis": obj({name: ref("KpiValue") for name in KPI_NAMES}),
        }
    )
    return {"KpiValue": kpi, "Kpis": kpis}


def _freshness_schema() -> Schema:
    shapes: dict[str, Schema] = {
        "shop_id": {"type": "string"},
        "newest_event_at": nullable(TIME),
        "last_applied_at": nullable(TIME),
        "lag_seconds": {"type": ["number", "null"]},
        "events_applied": {"type": "integer"},
        "views_version": {"type": ["string", "null"]},
    }
    return obj({name: shapes[name] for name in FRESHNESS_COLUMNS})


def _sync_schemas() -> dict[str, Schema]:
    count: Schema = {"type": ["integer", "null"]}
    shapes: dict[str, Schema] = {
        "kind": {"type": "string", "enum": list(RUN_KINDS)},
        "started_at": TIME,
        "finished_at": TIME,
        "ok": {"type": "boolean"},
        "error": {"type": ["string", "null"]},
        "window_from": nullable(TIME),
        "repaired": count | {"description": "sync runs: everything repaired; else null"},
        "hard_deleted": count | {"description": "records deleted in WooCommerce, or null"},
        "not_active_webhooks": {
            "type": ["string", "null"],
            "description": "webhook checks: comma-separated topics not active; else null",
        },
        "details": {"type": "string", "description": "the run's counts as compact JSON"},
    }
    run = obj({name: shapes[name] for name in SYNC_COLUMNS})
    runs = obj(
        {
            "shop_id": {"type": "string"},
            "columns": {"type": "array", "items": {"type": "string"}},
            "data": {"type": "array", "items": ref("SyncRun")},
        }
    )
    return {"SyncRun": run, "SyncRunList": runs}


def _erasure_schemas() -> dict[str, Schema]:
    text: Schema = {"type": "string"}
    queued = obj(
        {
            "erasure_id": text,
            "shop_id": text,
            "customer_key": text,
            "status": {"type": "string", "const": "queued"},
            "status_url": text,
        }
    )
    state = {"type": "string", "enum": ["pending", "applied"]}
    status = obj({"erasure_id": text, "shop_id": text, "status": state})
    acknowledged = obj(
        {
            "shop_id": text,
            "alert_id": {"type": "integer"},
            "status": {"type": "string", "const": "queued"},
        }
    )
    return {
        "ErasureQueued": queued,
        "ErasureStatus": status,
        "AlertAcknowledgementQueued": acknowledged,
    }


def component_schemas() -> dict[str, Schema]:
    integer: Schema = {"type": "integer"}
    error = obj({"code": {"type": "string"}, "message": {"type": "string"}})
    return {
        "Error": obj({"error": error}),
        "Health": obj({"status": {"type": "string", "const": "ok"}}),
        "Ready": obj(
            {
                "status": {"type": "string"},
                "checks": {"type": "object", "additionalProperties": {"type": "string"}},
            }
        ),
        "OpenApi": {"type": "object"},
        "Pagination": obj(
            {"page": integer, "per_page": integer, "total": integer, "pages": integer}
        ),
        **{name: shape for spec in LIST_VIEWS for name, shape in list_view_schemas(spec).items()},
        **_kpi_schemas(),
        **sales_summary_schemas(),
        **transactions_schemas(),
        **segment_history_schemas(),
        "Freshness": _freshness_schema(),
        **_sync_schemas(),
        **alert_settings_schemas(),
        **customer_component_schemas(),
        **prediction_component_schemas(),
        **_erasure_schemas(),
    }
