"""Conditional GET: an ETag from what the response depends on, and 304 when it matches."""

from __future__ import annotations

import hashlib
from datetime import date

from flask import Request, Response
from werkzeug.datastructures import MultiDict


def normalised_query(args: MultiDict[str, str]) -> str:
    """The query string with its parameters sorted, so ``?a=1&b=2`` equals ``?b=2&a=1``."""
    pairs = sorted(args.items(multi=True))
    return "&".join(key + "=" + value for key, value in pairs)


def compute_etag(stamp: str, request: Request, fmt: str, today: date) -> str:
    """Hash of the views version, the path, the normalised query, the format and the day
    (relative periods such as last_30_days move at the shop's midnight)."""
    parts = (stamp, request.path, normalised_query(request.args), fmt, today.isoformat())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def not_modified(request: Request, etag: str) -> Response | None:
    """An empty 304 when ``If-None-Match`` holds ``etag``; ``None`` otherwise."""
    if not request.if_none_match.contains_weak(etag):
        return None
    return with_cache_headers(Response(status=304), etag)


def with_cache_headers(response: Response, etag: str) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Accept", "Authorization"))
    return response
