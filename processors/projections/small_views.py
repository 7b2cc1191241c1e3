"""The views that are not about one customer: what the state holds of each resource
(``versions``, refreshed for the changed resources), the products' price history
(``product_prices``, refreshed for the changed products), and what the jobs record
(``segment_history``, ``prediction_models``, ``backtests``: built whole, which every job's
publish does, and untouched by other changes)."""

from __future__ import annotations

import pyarrow as pa

from processors.projections.prediction_models import MODELS_SQL
from processors.projections.projection import Context
from processors.projections.sql import VERSIONS_COUNT_SQL, in_ids, versions_sql
from schemas.product_views import PRODUCT_PRICES_VIEW
from schemas.views import VERSIONS_VIEW, VIEWS
from store.state_schema import RESOURCE_TABLES
from store.viewstore import Changed, Write

JOB_TABLE_SQL = {
    "segment_history": "SELECT * FROM segment_history ORDER BY customer_key, changed_on",
    "prediction_models": MODELS_SQL,
    "backtests": "SELECT * FROM backtests ORDER BY as_of",
}


class VersionsView:
    views = ("versions",)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {"versions": ctx.sql(versions_sql(None)).cast(VERSIONS_VIEW)}

    def changes(self, ctx: Context) -> dict[str, Write]:
        if not any(ctx.pending.get(resource) for resource in RESOURCE_TABLES):
            return {}  # no resource changed (e.g. only alerts raised)
        upserts = ctx.sql(versions_sql(ctx.pending)).cast(VERSIONS_VIEW)
        keys = VERSIONS_VIEW.empty_table().select(["resource", "resource_id"])
        whole = ctx.reader(versions_sql(None), VERSIONS_VIEW)
        return {"versions": Changed(upserts, keys, ctx.counter(VERSIONS_COUNT_SQL), whole)}


PRICES_SQL = (
    "SELECT product_id, changed_at, price, regular_price, sale_price FROM product_prices "
    "WHERE {scope} ORDER BY product_id, changed_at"
)


class PriceHistoryView:
    views = ("product_prices",)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {
            "product_prices": ctx.sql(PRICES_SQL.format(scope="TRUE")).cast(PRODUCT_PRICES_VIEW)
        }

    def changes(self, ctx: Context) -> dict[str, Write]:
        products = ctx.pending.get("product", [])
        if not products:
            return {}
        scope = f"product_id IN {in_ids(products)}"
        upserts = ctx.sql(PRICES_SQL.format(scope=scope)).cast(PRODUCT_PRICES_VIEW)
        keys = PRODUCT_PRICES_VIEW.empty_table().select(["product_id", "changed_at"])
        whole = ctx.reader(PRICES_SQL.format(scope="TRUE"), PRODUCT_PRICES_VIEW)
        count = ctx.counter("SELECT count(*) FROM product_prices")
        return {"product_prices": Changed(upserts, keys, count, whole)}


class JobViews:
    views = tuple(JOB_TABLE_SQL)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {name: ctx.sql(sql).cast(VIEWS[name]) for name, sql in JOB_TABLE_SQL.items()}

    def changes(self, ctx: Context) -> dict[str, Write]:
        return {}
