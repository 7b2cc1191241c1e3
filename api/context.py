"""What a shop view gets to compute its Result: the request, parsed, and the shop's data;
and the fields a view's JSON carries around its rows (its envelope)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from api.alert_mail import ShopAlertMail
from api.json_shapes import DAY, Schema, nullable
from api.runs import ShopRuns
from api.viewfiles import ShopViews
from schemas.shop import ShopConfig


@dataclass(frozen=True)
class RequestContext:
    shop: ShopConfig
    views: ShopViews
    values: Mapping[str, Any]  # parsed query parameters
    fmt: str  # json | csv
    today: date  # in the shop's timezone
    runs: ShopRuns
    path: Mapping[str, str] = field(default_factory=dict)  # path values beside shop_id
    now: datetime | None = None  # the request's clock (aware UTC): overdue is as of it
    mail: ShopAlertMail | None = None  # the shop's alert mail statuses (the alerts list)

    @property
    def scores_as_of(self) -> date | None:
        """The day the published RFM and status scores are computed as of."""
        return self.manifest_day("scores_as_of")

    @property
    def predictions_as_of(self) -> date | None:
        """The day the published CLV and churn predictions are made from."""
        return self.manifest_day("predictions_as_of")

    def manifest_day(self, name: str) -> date | None:
        """A day the published manifest names (``YYYY-MM-DD``), or None."""
        day = self.views.manifest.get(name)
        return date.fromisoformat(day) if day else None


def envelope(ctx: RequestContext) -> dict[str, Any]:
    """The fields every shop view's JSON starts with."""
    return {"shop_id": ctx.shop.shop_id, "currency": ctx.shop.currency}


@dataclass(frozen=True)
class EnvelopeField:
    """A field a view's JSON carries beside ``envelope``'s: its name, its OpenAPI schema,
    and its value for a request."""

    name: str
    schema: Schema
    value: Callable[[RequestContext], Any]


SCORES_AS_OF = EnvelopeField(
    "scores_as_of",
    nullable(DAY) | {"description": "the day RFM and status scores are as of"},
    lambda ctx: ctx.scores_as_of,
)
PREDICTIONS_AS_OF = EnvelopeField(
    "predictions_as_of",
    nullable(DAY)
    | {"description": "the day CLV and churn are predicted from; null before the first prediction"},
    lambda ctx: ctx.predictions_as_of,
)
