"""The views engine: a publish refreshes the rows its pending changes reach.

Applying a batch records the resources it changed (``pending_changes`` in the shop state,
in the same transaction). A publish then either

- **refreshes the change**: each projection (``PROJECTIONS``) refreshes the rows of its
  views the pending changes reach (``customer_views.py``: the orders, their customers,
  their predictions; ``small_views.py``: the versions of the changed resources), and the
  view store writes those rows as deltas. The cost follows the change, not the shop.
- or **builds the shop whole**: before the first rescoring (scores are then measured on the
  whole shop at every publish), when what the views are computed with changed (a job ran,
  the shop's settings changed: ``params``), or when the materialised tables are missing (a
  replay, an erasure, a new version of this code).

Both give the same rows for the same state: the whole build scores and predicts every
customer exactly as a refresh would (a property test holds them equal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb

from processors.projections.alert_views import AlertsView
from processors.projections.coupon_views import OrderCoupons
from processors.projections.customer_scores import (
    RESCORED_AT,
    SCORES_AS_OF,
    SCORING_BASIS,
    ScoringBasis,
    load_basis,
)
from processors.projections.customer_views import CustomerViews
from processors.projections.line_views import OrderLines
from processors.projections.predictions import PREDICTED_AS_OF
from processors.projections.product_jobs import PRODUCTS_AT
from processors.projections.product_views import PRODUCT_BASIS, ProductViews
from processors.projections.projection import Context, Projection
from processors.projections.small_views import JobViews, PriceHistoryView, VersionsView
from processors.projections.sql import tracking_keys
from processors.projections.ticket_views import TicketViews
from schemas.jobs import PREDICTION_JOBS, PRODUCTS, RETENTION, RETENTION_DONE, RFM
from schemas.shop import ShopConfig
from store.state import JOBS_RUN, SMALL_WORK_THREADS, VIEW_PARAMS, transaction
from store.viewstore import Whole, Write

ENGINE_VERSION = "9"  # raise when the materialised tables change (9: mv_churn_now, mv_product_days)
# in this order: the order lines take the order rows ``CustomerViews`` built, the products
# view reads the lines ``OrderLines`` refreshed
PROJECTIONS: tuple[Projection, ...] = (
    CustomerViews(),
    VersionsView(),
    JobViews(),
    OrderLines(),
    OrderCoupons(),
    ProductViews(),
    PriceHistoryView(),
    AlertsView(),
    TicketViews(),
)


# a publish of at least CHEAPER_WHOLE_FROM changes, and of at least one per WHOLE_SHARE
# orders of the shop, builds the views whole (``ViewEngine._cheaper_whole``)
CHEAPER_WHOLE_FROM = 1000
WHOLE_SHARE = 10


@dataclass(frozen=True)
class Refresh:
    writes: dict[str, Write]
    extra: dict[str, Any]  # what the manifest says beside the files
    params: str  # what these views were computed with (kept after the publish)
    # every view built whole because a job ran or the settings changed (not: because that
    # was cheaper than the refresh of a backlog's changes)
    whole: bool = False


class ViewEngine:
    """One publish's work on a shop's state connection (the shop's writer only)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, shop: ShopConfig) -> None:
        self._con = con
        self._shop = shop

    def refresh(
        self, use_threads: Callable[[int | None], None], changed: dict[str, list[int]]
    ) -> Refresh:
        """The writes of this publish (materialised tables updated in one transaction), on
        the DuckDB threads ``use_threads`` sets (the state store's: every core for a whole
        build); ``changed``: the state's pending changes (ids by resource)."""
        ctx = Context(self._con, self._shop, load_basis(self._con))
        params = self._params(ctx)
        # the materialised tables exist when the last publish ran with the same parameters
        # (a replayed or rebuilt state has none of its own, an older version other ones)
        whole = ctx.basis is None or params != ctx.meta(VIEW_PARAMS)
        pending = {} if whole else changed
        cheaper_whole = not whole and self._cheaper_whole(pending)
        use_threads(None if whole or cheaper_whole else SMALL_WORK_THREADS)
        with transaction(self._con):
            writes: dict[str, Write] = {}
            if whole or cheaper_whole:  # materialised from here on when changes can be refreshed
                for projection in PROJECTIONS:
                    tables = projection.whole(ctx, materialise=ctx.basis is not None)
                    writes |= {name: Whole(table) for name, table in tables.items()}
            else:
                ctx.pending = pending
                for projection in PROJECTIONS:
                    writes |= projection.changes(ctx)
        return Refresh(writes, self._extra(ctx), params, whole)

    def _cheaper_whole(self, pending: dict[str, list[int]]) -> bool:
        """Whether building every view whole costs less than refreshing ``pending``: a
        refresh costs about 100 us per changed order, a whole build about 12 us per order
        of the shop (on every core), so from a tenth of the shop changed (a backlog's
        publish) the whole build is cheaper. Both give the same rows; the alert rules still
        check only what changed (``Refresh.whole`` stays False)."""
        changed = sum(len(ids) for ids in pending.values())
        if changed < CHEAPER_WHOLE_FROM:
            return False
        ((orders,),) = self._con.execute("SELECT count(*) FROM mv_orders").fetchall()
        return changed * WHOLE_SHARE >= orders

    def full_tables(self) -> dict[str, Any]:
        """Every view built whole (tests compare refreshed views with this)."""
        ctx = Context(self._con, self._shop, load_basis(self._con))
        tables: dict[str, Any] = {}
        for projection in PROJECTIONS:
            tables |= projection.whole(ctx, materialise=False)
        return tables

    def _extra(self, ctx: Context) -> dict[str, Any]:
        basis: ScoringBasis | None = ctx.basis
        scores_as_of = basis.as_of if basis else _day(ctx.meta(SCORES_AS_OF))
        return {
            # False: every publish scores the whole shop until a rescoring keeps a basis
            SCORING_BASIS: basis is not None,
            SCORES_AS_OF: scores_as_of.isoformat() if scores_as_of else None,
            RESCORED_AT: ctx.meta(RESCORED_AT),
            PREDICTED_AS_OF: ctx.meta(PREDICTED_AS_OF),
            # when each job the views include was requested (what ``jobs run`` waits for)
            "products_as_of": _basis_day(ctx.meta(PRODUCT_BASIS)),
            "jobs_applied": {RFM: ctx.meta(RESCORED_AT), PRODUCTS: ctx.meta(PRODUCTS_AT)}
            | {job: ctx.meta(f"job_{job}_at") for job in (*PREDICTION_JOBS, RETENTION)},
            # what the newest job.retention purged (``processors/retention.py``)
            RETENTION_DONE: _json(ctx.meta(RETENTION_DONE)),
        }

    def _params(self, ctx: Context) -> str:
        """What the materialised rows depend on besides the changed resources: the jobs run
        (each one counted), the scoring basis and the shop's settings."""
        shop = self._shop
        data = {
            "engine": ENGINE_VERSION,
            "basis": ctx.basis.as_json() if ctx.basis else None,
            "meta": {key: ctx.meta(key) for key in (JOBS_RUN, SCORES_AS_OF, PREDICTED_AS_OF)},
            "shop": repr(
                (
                    shop.timezone,
                    shop.revenue_date,
                    shop.paid_statuses,
                    shop.consent_keys,
                    shop.predictions,
                    shop.products,
                    tracking_keys(shop),  # the orders view's tracking_number
                )
            ),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None


def _basis_day(text: str | None) -> str | None:
    return json.loads(text)["as_of"] if text else None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None
