""" "Data as of": the newest event the shop's published views have applied (the freshness
file's ``newest_event_at``, when the receiver stamped that event), which every shop view
answers in the ``X-Data-As-Of`` header and the newer views also as ``as_of_event``.

The freshness file is written right after each publish of the views, so read before the
manifest and the Parquet it never claims newer data than the answer holds. It is not part
of the ETag (api/caching.py): it moves only with a publish, which changes the views'
version anyway; a 304 carries the current value too.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response

from api.context import EnvelopeField
from api.json_shapes import TIME, Schema, nullable
from api.render import format_time
from api.viewfiles import ShopViews

DATA_AS_OF_HEADER = "X-Data-As-Of"
_MEANING = (
    "the newest event the shop's published views have applied (when the webhook was "
    "received), ISO 8601 UTC"
)
DATA_AS_OF_DOC: Schema = {
    "description": "Data as of: " + _MEANING + "; absent before the first event is applied.",
    "schema": TIME,
}


def data_as_of(views: ShopViews) -> datetime | None:
    """The newest applied event's time (aware UTC), or None before the first publish."""
    value = views.freshness.get("newest_event_at")
    return datetime.fromisoformat(value) if value else None


def with_data_as_of(response: Response, as_of: datetime | None) -> Response:
    """``response`` with the ``X-Data-As-Of`` header (left out while there is no data)."""
    if as_of is not None:
        response.headers[DATA_AS_OF_HEADER] = format_time(as_of)
    return response


AS_OF_EVENT = EnvelopeField(
    "as_of_event",
    nullable(TIME) | {"description": "data as of: " + _MEANING + "; null before the first"},
    lambda ctx: data_as_of(ctx.views),
)
