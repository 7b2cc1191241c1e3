"""One renderer per format: JSON and CSV from the same Result.

CSV is rendered whole (into a spooled temporary file) before the response starts, so an
export either arrives complete or fails with an error response. Errors use the one shape
of schemas/web.py (``{"error": {"code", "message"}}``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

import orjson
from flask import Response, request
from werkzeug.wsgi import wrap_file

from api.result import Result, row_objects

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv; charset=utf-8"
_CENT = Decimal("0.01")
_CSV_CHUNK_ROWS = 1000
_SPOOL_BYTES = 8 * 1024 * 1024  # a CSV export past this size is buffered on disk
_READ_BYTES = 64 * 1024


# orjson hands times, dates and Decimals to ``_json_default``, so they read as before
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def json_response(body: Any, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body, default=_json_default, option=_ORJSON), status=status, mimetype=JSON_TYPE
    )


def format_time(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``: ``2024-01-05T10:00:00Z`` (naive means UTC)."""
    if value.tzinfo is None:
        return value.isoformat() + "Z"
    if value.utcoffset():
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat() + "Z"


def format_money(value: Decimal) -> str:
    return str(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format_money(value)
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError("not JSON serialisable: " + type(value).__name__)


_CSV_TEXT: dict[type, Callable[[Any], str]] = {
    type(None): lambda value: "",
    bool: lambda value: "true" if value else "false",
    str: str,
    int: str,
    float: repr,
    Decimal: format_money,
    datetime: format_time,
    date: date.isoformat,
}


def csv_cell(value: Any) -> str:
    """A cell as CSV text: the same value JSON shows, ``""`` for null."""
    formatter = _CSV_TEXT.get(type(value))
    if formatter is None:  # subclasses: look up through the type's ancestry
        formatter = next(
            (_CSV_TEXT[kind] for kind in type(value).__mro__ if kind in _CSV_TEXT), str
        )
    return formatter(value)


def json_body(result: Result) -> dict[str, Any]:
    """The JSON document for ``result`` (envelope fields first, then the rows)."""
    rows = row_objects(result.columns, result.rows)
    body = dict(result.meta)
    if result.layout == "single":
        body.update(rows[0] if rows else dict.fromkeys(result.columns))
    elif result.layout == "keyed":
        first, *rest = result.columns
        body[result.key] = {row[first]: {name: row[name] for name in rest} for row in rows}
    elif result.layout == "record":
        body[result.key] = rows[0] if rows else None
    elif result.layout == "block":
        body[result.key] = {"columns": list(result.columns), "data": rows}
    else:
        body["columns"] = list(result.columns)
        body[result.key] = rows
    return body


def render_json(result: Result) -> Response:
    return json_response(json_body(result))


def csv_chunks(columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> Iterator[str]:
    """The header row, then the rows, as CSV text in chunks of about 1,000 rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(list(columns))
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(value) for value in row])
        if count % _CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _spooled_csv(result: Result) -> IO[bytes]:
    """The whole CSV in a spooled file (memory, then disk past ``_SPOOL_BYTES``), at 0."""
    body = tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES)
    try:
        for chunk in csv_chunks(result.columns, result.rows):
            body.write(chunk.encode("utf-8", "replace"))
        body.seek(0)
    except BaseException:
        body.close()
        raise
    return body


def render_csv(result: Result, filename: str) -> Response:
    """CSV rendered whole before the first byte goes out: a failure on any row is an
    error response in the one shape, never a 200 cut off mid-stream."""
    body = _spooled_csv(result)
    size = body.seek(0, io.SEEK_END)
    body.seek(0)
    response = Response(
        wrap_file(request.environ, body, _READ_BYTES),
        content_type=CSV_TYPE,
        direct_passthrough=True,
    )
    response.content_length = size
    response.headers["Content-Disposition"] = "attachment; filename=" + filename
    return response


def render(result: Result, fmt: str, filename: str) -> Response:
    """The response for ``result`` in ``fmt`` (``json`` or ``csv``)."""
    if fmt == "csv":
        return render_csv(result, filename)
    return render_json(result)
