"""The views that are not about one customer: what the state holds of each resource
(``versions``, refreshed for the changed resources), and what the jobs record
(``segment_history``, ``prediction_models``, ``backtests``: built whole, which every job's
publish does, and untouched by other changes)."""

from __future__ import annotations

import pyarrow as pa

from processors.projections.prediction_models import MODELS_SQL
from processors.projections.projection import Context
from processors.projections.sql import VERSIONS_COUNT_SQL, versions_sql
from schemas.views import VERSIONS_VIEW, VIEWS
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
        upserts = ctx.sql(versions_sql(ctx.pending)).cast(VERSIONS_VIEW)
        keys = VERSIONS_VIEW.empty_table().select(["resource", "resource_id"])
        whole = ctx.reader(versions_sql(None), VERSIONS_VIEW)
        return {"versions": Changed(upserts, keys, ctx.value(VERSIONS_COUNT_SQL), whole)}


class JobViews:
    views = tuple(JOB_TABLE_SQL)
    tables = ()

    def whole(self, ctx: Context, materialise: bool) -> dict[str, pa.Table]:
        return {name: ctx.sql(sql).cast(VIEWS[name]) for name, sql in JOB_TABLE_SQL.items()}

    def changes(self, ctx: Context) -> dict[str, Write]:
        return {}
