"""The HTTP steps every receiver takes around its own parsing (SPEC section 2).

The declared and the bounded length of the body (413), the shop's secret (404, 503 when the
directory fails), the signature (401) and publish-then-answer: 202 only after the publisher
says the envelope is durable, 503 otherwise. Each refusal is a ``Rejected`` that carries its
status, its wire code (also the logged outcome) and its one-line message. The pure parsing
lives in ``ingest.receiver.parsing``, which knows nothing of HTTP.

The steps read the request from its WSGI environ, not from Flask's ``request``, and answer
with an ``Answer`` (a status and the JSON bytes), not a Flask ``Response``: so the same steps
serve a delivery whether Flask dispatched it (the blueprints) or the WooCommerce fast path
(``ingest.receiver.fast_path``) did. They read the environ as werkzeug's ``Request`` does, with
werkzeug's own functions (``get_content_length``, ``get_input_stream``), so a delivery reads
the same either way; ``max_content_length`` is Flask's ``MAX_CONTENT_LENGTH`` of the app.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import orjson
from flask import Blueprint, Response
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wsgi import get_content_length, get_input_stream

from ingest.errors import PublishError
from ingest.receiver.parsing import BodyTooLarge, read_limited
from ingest.receiver.verify import signature_matches
from schemas.clock import Clock
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.web import JSON_MIMETYPE, error_body

WSGIEnviron = dict[str, Any]
RECEIVE = "receive"  # the endpoint of a receiver's view, in its blueprint


class ShopDirectory(Protocol):
    def webhook_secret(self, shop_id: str) -> str | None:
        """The shop's webhook secret; None when there is no such shop."""
        ...


class Publisher(Protocol):
    def publish(self, envelopes: Sequence[Envelope]) -> None:
        """Returns only once the envelopes are durable; raises ``PublishError`` otherwise."""
        ...


@dataclass(frozen=True)
class Answer:
    """A receiver's answer: its status and its JSON body, as Flask would send them."""

    status: int
    body: bytes

    @property
    def status_line(self) -> str:
        """The WSGI status werkzeug writes for this code (``202 ACCEPTED``)."""
        return f"{self.status} {HTTP_STATUS_CODES[self.status].upper()}"

    def headers(self) -> list[tuple[str, str]]:
        """The headers werkzeug writes for a ``Response`` of these bytes and this mimetype."""
        return [("Content-Type", JSON_MIMETYPE), ("Content-Length", str(len(self.body)))]

    def response(self) -> Response:
        return Response(self.body, status=self.status, mimetype=JSON_MIMETYPE)


class Rejected(Exception):
    """A delivery we answer with an error; ``code`` is also the logged outcome."""

    def __init__(self, status: int, code: str, message: str, error: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.error = error  # the exception type behind a 5xx (never its text: it may hold a URL)

    @property
    def level(self) -> int:
        return logging.ERROR if self.status >= 500 else logging.WARNING

    def logged(self, context: dict[str, Any]) -> dict[str, Any]:
        """``context`` with the error type behind a 5xx, when there is one."""
        return context if self.error is None else {**context, "error": self.error}

    def answer(self) -> Answer:
        """The bytes ``schemas.web.error_response`` writes for this error."""
        document = json.dumps(error_body(self.code, self.message), separators=(",", ":"))
        return Answer(self.status, document.encode())


def check_signature(body: bytes, secret: str, signature: str | None, header: str) -> None:
    """401 when ``signature`` (from ``header``) is missing or is not the body's."""
    if signature is None:
        raise Rejected(401, "missing_signature", f"{header} header is missing")
    if not signature_matches(body, secret, signature):
        raise Rejected(401, "invalid_signature", "signature does not match the body")


class Receiver:
    """The view behind a receiver's blueprint: the body limit, the ports it was given and
    the steps every receiver takes. ``RETRY`` is what its 503 tells the sender."""

    RETRY = "the delivery could not be stored right now; nothing was accepted"

    def __init__(
        self, settings: Settings, shops: ShopDirectory, publisher: Publisher, clock: Clock
    ) -> None:
        self._max_body = settings.max_body_bytes
        self._shops = shops
        self._publisher = publisher
        self._clock = clock

    def _body_and_secret(
        self, environ: WSGIEnviron, shop_id: str, max_content_length: int | None
    ) -> tuple[bytes, str]:
        """The request's body and the shop's secret, checked in this order: the declared
        length (413), the shop (404, 503 when the directory fails), the bounded read (413)."""
        declared = get_content_length(environ)
        if declared is not None and declared > self._max_body:
            raise _too_large(self._max_body)
        try:
            secret = self._shops.webhook_secret(shop_id)
        except Exception as exc:  # edge: whatever the directory raises becomes a 503
            raise Rejected(503, "unavailable", self.RETRY, type(exc).__name__) from None
        if secret is None:
            raise Rejected(404, "unknown_shop", "no shop with this id")
        try:
            stream = get_input_stream(environ, max_content_length=max_content_length)
            return read_limited(stream, self._max_body), secret
        except (BodyTooLarge, RequestEntityTooLarge):
            raise _too_large(self._max_body) from None

    def _accept(self, envelope: Envelope) -> Answer:
        """Publish ``envelope`` and answer 202 once it is durable; 503 otherwise."""
        try:
            self._publisher.publish([envelope])
        except PublishError as exc:
            raise Rejected(503, "unavailable", self.RETRY, type(exc).__name__) from None
        return json_answer(202, {"status": "accepted", "envelope_id": envelope.envelope_id})


def receiver_blueprint(name: str, rule: str, view: Callable[[str], Response]) -> Blueprint:
    """A blueprint named ``name`` that answers ``POST rule`` (with ``<shop_id>``) by ``view``."""
    blueprint = Blueprint(name, __name__)
    blueprint.add_url_rule(rule, RECEIVE, view, methods=["POST"])
    return blueprint


def json_answer(status: int, payload: dict[str, str]) -> Answer:
    """What ``jsonify`` writes (sorted keys, a final newline), without its provider lookups."""
    body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    return Answer(status, body)


def _too_large(limit: int) -> Rejected:
    return Rejected(413, "payload_too_large", f"body is larger than {limit} bytes")
