"""Pure parsing of a WooCommerce delivery: headers, ping detection, bounded body, envelope.

Nothing here knows Flask or HTTP statuses: the blueprint maps the errors raised here to
responses. The body is never re-serialised; the envelope carries the raw text unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from ingest.errors import IngestError
from ingest.receiver.strict_json import NOT_JSON, JsonRefused, loads_strict
from schemas.envelope import Envelope, split_topic

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
ERROR_RESOURCE = "error"

_PING_BODY = re.compile(rb"webhook_id=[0-9]{1,20}")
_READ_CHUNK = 64 * 1024
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

_HEADER_FIELDS = {
    "x-wc-webhook-topic": "topic",
    "x-wc-webhook-signature": "signature",
    "x-wc-webhook-id": "webhook_id",
    "x-wc-webhook-delivery-id": "delivery_id",
    "x-wc-webhook-source": "source",
    "content-type": "content_type",
}


class BodyTooLarge(IngestError):
    """The request body is longer than the configured maximum."""


class InvalidPayload(IngestError):
    """A signed body that cannot become an envelope; ``code`` is the wire error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class WebhookHeaders:
    """The headers of a delivery that matter to us (absent or blank -> None)."""

    topic: str | None = None
    signature: str | None = None
    webhook_id: str | None = None
    delivery_id: str | None = None
    source: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class JsonBody:
    """A body that is valid UTF-8 JSON: its text exactly as received, and its value."""

    text: str
    value: Any


def parse_headers(pairs: Iterable[tuple[str, str]]) -> WebhookHeaders:
    """Pick our headers out of (name, value) pairs, names compared case-insensitively.

    The first non-blank value of a header wins; values are stripped of surrounding space.
    """
    found: dict[str, str] = {}
    for name, value in pairs:
        field = _HEADER_FIELDS.get(name.strip().lower())
        if field is not None and field not in found and value.strip():
            found[field] = value.strip()
    return WebhookHeaders(**found)


def media_type(content_type: str | None) -> str | None:
    """``application/x-www-form-urlencoded; charset=UTF-8`` -> the bare, lowercased type."""
    if content_type is None:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def is_ping(headers: WebhookHeaders, body: bytes) -> bool:
    """WooCommerce's ping on saving a webhook: unsigned ``webhook_id=<N>``, form-encoded.

    WordPress sends it as ``application/x-www-form-urlencoded`` (with or without a
    charset); a ping whose content type was dropped on the way is still a ping.
    """
    if headers.signature is not None:
        return False
    if media_type(headers.content_type) not in (FORM_CONTENT_TYPE, None):
        return False
    return _PING_BODY.fullmatch(body) is not None


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """Read the whole stream, but never more than ``limit + 1`` bytes of it.

    Raises ``BodyTooLarge`` as soon as the stream turns out to be longer than ``limit``.
    """
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(f"body is larger than {limit} bytes")
        chunks.append(chunk)


def decode_json(body: bytes) -> JsonBody:
    """Strict UTF-8 and strict, bounded JSON (``ingest.receiver.strict_json`` says what is refused).

    Whatever parsing raises becomes ``InvalidPayload`` (a 400), never a 500.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidPayload("invalid_json", "body is not valid UTF-8") from None
    try:
        value = loads_strict(body, text)
    except JsonRefused as exc:
        raise InvalidPayload("invalid_json", str(exc)) from None
    except Exception:  # edge: any other failure to parse is the body's fault, not ours
        raise InvalidPayload("invalid_json", NOT_JSON) from None
    return JsonBody(text=text, value=value)


def is_rest_error(value: Any) -> bool:
    """A REST error object (``{"code", "message", "data"}``) sent instead of a resource."""
    return isinstance(value, dict) and "code" in value and "message" in value and "id" not in value


def resource_id_of(value: Any) -> int | None:
    """The body's ``id`` when it is a JSON integer (not a bool, string or float) that fits
    the envelope's signed 64-bit ``resource_id``; a bigger one travels only in the body,
    where the processor refuses it with a reason."""
    if not isinstance(value, dict):
        return None
    raw = value.get("id")
    if isinstance(raw, int) and not isinstance(raw, bool) and _INT64_MIN <= raw <= _INT64_MAX:
        return raw
    return None


def build_envelope(
    shop_id: str, headers: WebhookHeaders, body: JsonBody, received_at: datetime
) -> Envelope:
    """One envelope for one signed delivery of any topic; only a missing topic fails."""
    if headers.topic is None:
        raise InvalidPayload("missing_topic", "X-WC-Webhook-Topic header is missing")
    resource, event = split_topic(headers.topic)
    if is_rest_error(body.value):
        resource = ERROR_RESOURCE
    return Envelope(
        shop_id=shop_id,
        topic=headers.topic,
        resource=resource,
        event=event,
        resource_id=resource_id_of(body.value),
        body=body.text,
        received_at=received_at,
        source="webhook",
        webhook_id=headers.webhook_id,
        delivery_id=headers.delivery_id,
    )
