"""The parts of a WooCommerce REST call that need no connection, for ingest/rest/client.py:
the shop's base URL checked (``InvalidShopUrl``; ``NotHttps`` unless http is allowed),
query values written as WordPress reads them, and a response's ``X-WP-*`` and
``Retry-After`` headers and JSON body read without raising (``None`` when absent or
unreadable)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from ingest.rest.errors import InvalidShopUrl, NotHttps


def checked_base_url(base_url: str, allow_http: bool) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidShopUrl(f"The shop URL {base_url!r} is not a full https:// address")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidShopUrl("The shop URL must not hold a user name, password, query or #part")
    if parts.scheme == "http" and not allow_http:
        raise NotHttps(f"The shop URL http://{parts.netloc} uses http://, not https://")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def query_params(params: Mapping[str, object] | None) -> list[tuple[str, str]]:
    """WordPress-style query values: booleans as true/false, sequences comma-joined,
    datetimes as ISO 8601 without offset (aware ones converted to UTC first)."""
    encoded = []
    for key, value in (params or {}).items():
        if value is not None:
            encoded.append((key, _query_value(value)))
    return encoded


def _query_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds")
    if isinstance(value, list | tuple | set | frozenset):
        return ",".join(_query_value(item) for item in value)
    return str(value)


def int_header(response: httpx.Response, name: str) -> int | None:
    try:
        return int(response.headers[name])
    except (KeyError, ValueError):
        return None


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def json_or_none(response: httpx.Response) -> object:
    try:
        return response.json()
    except ValueError:
        return None
