"""The WooCommerce fast path (ingest/receiver/fast_path.py) answers exactly as Flask does.

Each generated request is sent three ways, and all three must give the same status line,
headers and body, publish the same envelopes and log the same events:

- ``fast``: the ingest app as ``create_app`` builds it, the fast path in front of Flask;
- ``flask``: an identical app served by its Flask alone (``FastPath.flask``), the blueprint's
  view calling the same receiver;
- ``oracle``: the blueprint alone on a Flask app, its receiver reading the request as it
  did before the fast path, through Flask's ``request`` (``request.headers.items()``,
  ``request.content_length``, ``request.stream``).

The requests vary what the receiver reads (header names in any case, repeated and blank
headers, bodies valid, invalid, pings or too long, declared lengths too long, too short or
not numbers, chunked uploads, known and unknown shops, good and bad signatures, a failing
directory and publisher, an exploding publisher) and what decides whether the fast path may
answer at all (the method, odd paths, a bad Host, a WebSocket upgrade). Only the envelope
ids are random: they are replaced by ``<id>`` before comparing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from flask import Flask, request
from hypothesis import HealthCheck, event, example, given, settings
from structlog.testing import capture_logs
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import Client

from ingest.errors import BrokerUnavailable
from ingest.receiver.app import create_app
from ingest.receiver.delivery import Rejected, receiver_blueprint
from ingest.receiver.fast_path import FastPath
from ingest.receiver.parsing import BodyTooLarge, WebhookHeaders, parse_headers, read_limited
from ingest.receiver.tickets import tickets_blueprint
from ingest.receiver.woocommerce import WEBHOOK_RULE, WebhookReceiver
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.settings import Settings
from schemas.web import health_blueprint, register_error_handlers
from tests.integration.webhook_requests import (
    CHUNKED,
    MAX_BODY,
    ORDER,
    SECRET,
    delivery,
    requests,
)

SETTINGS = Settings(max_body_bytes=MAX_BODY)
CLOCK = FixedClock(datetime(2024, 5, 1, 12, 30, tzinfo=UTC))
APP_NAME = "ingest.receiver.app"  # create_app's Flask name: its logger's name too


class Shops:
    def webhook_secret(self, shop_id: str) -> str | None:
        if shop_id == "shop-down":
            raise ConnectionError("database is down")
        return SECRET if shop_id in ("shop-1", "shop-full", "shop-boom") else None


class Publisher:
    def __init__(self) -> None:
        self.published: list[Envelope] = []

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        for envelope in envelopes:
            if envelope.shop_id == "shop-full":
                raise BrokerUnavailable("broker did not confirm")
            if envelope.shop_id == "shop-boom":
                raise RuntimeError("secret internals")
        self.published.extend(envelopes)


class RequestObjectReceiver(WebhookReceiver):
    """The receiver as it read a delivery before the fast path: through Flask's request."""

    def _headers(self, environ: dict[str, Any]) -> WebhookHeaders:
        return parse_headers(request.headers.items())

    def _body_and_secret(
        self, environ: dict[str, Any], shop_id: str, max_content_length: int | None
    ) -> tuple[bytes, str]:
        too_large = Rejected(413, "payload_too_large", f"body is larger than {MAX_BODY} bytes")
        declared = request.content_length
        if declared is not None and declared > self._max_body:
            raise too_large
        try:
            secret = self._shops.webhook_secret(shop_id)
        except Exception as exc:
            raise Rejected(503, "unavailable", self.RETRY, type(exc).__name__) from None
        if secret is None:
            raise Rejected(404, "unknown_shop", "no shop with this id")
        try:
            return read_limited(request.stream, self._max_body), secret
        except (BodyTooLarge, RequestEntityTooLarge):
            raise too_large from None


def oracle_app(publisher: Publisher) -> Flask:
    """``create_app``'s app as it was before the fast path."""
    app = Flask(APP_NAME)
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    receiver = RequestObjectReceiver(SETTINGS, Shops(), publisher, CLOCK)

    def view(shop_id: str) -> Any:
        return receiver.receive(request.environ, shop_id, request.max_content_length).response()

    app.register_blueprint(receiver_blueprint("woocommerce", WEBHOOK_RULE, view))
    app.register_blueprint(tickets_blueprint(SETTINGS, Shops(), publisher, CLOCK))
    app.register_blueprint(health_blueprint())
    register_error_handlers(app)
    return app


@dataclass(frozen=True)
class Way:
    wsgi: Callable[..., Any]
    publisher: Publisher


class CountingFlask:
    """The fast path's Flask, counting the requests handed to it."""

    def __init__(self, flask: Callable[..., Any]) -> None:
        self.flask = flask
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.calls += 1
        return self.flask(environ, start_response)


FAST_APP_FLASK: list[CountingFlask] = []


@cache
def ways() -> dict[str, Way]:
    fast, flask, oracle = Publisher(), Publisher(), Publisher()
    fast_app = create_app(SETTINGS, Shops(), fast, CLOCK)
    fast_path = fast_app.wsgi_app
    assert isinstance(fast_path, FastPath)
    fast_path.flask = CountingFlask(fast_path.flask)
    FAST_APP_FLASK.append(fast_path.flask)
    flask_app = create_app(SETTINGS, Shops(), flask, CLOCK)
    assert isinstance(flask_app.wsgi_app, FastPath)
    return {
        "fast": Way(fast_app, fast),
        "flask": Way(flask_app.wsgi_app.flask, flask),
        "oracle": Way(oracle_app(oracle), oracle),
    }


class Recording(logging.Handler):
    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__()
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def app_log_records() -> Iterator[list[logging.LogRecord]]:
    """What the apps log through their Flask logger (the logged 500)."""
    records: list[logging.LogRecord] = []
    handler = Recording(records)
    logger = logging.getLogger(APP_NAME)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def outcome(way: Way, sent: dict[str, Any]) -> dict[str, Any]:
    """What one way answered, published and logged, envelope ids replaced by ``<id>``."""
    way.publisher.published.clear()
    with capture_logs() as events, app_log_records() as records:
        response = Client(way.wsgi).open(**sent)
    ids = [envelope.envelope_id for envelope in way.publisher.published]
    body = response.get_data()
    for envelope_id in ids:
        body = body.replace(envelope_id.encode(), b"<id>")
    published = [
        json.loads(envelope.to_json()) | {"envelope_id": "<id>"}
        for envelope in way.publisher.published
    ]
    logged = [{k: ("<id>" if k == "envelope_id" else v) for k, v in e.items()} for e in events]
    return {
        "status": response.status,
        "headers": response.headers.to_wsgi_list(),
        "body": body,
        "published": published,
        "events": logged,
        "records": [(r.levelname, r.getMessage()) for r in records],
    }


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sent=requests())
@example(sent=delivery())
@example(sent=delivery(b"webhook_id=12"))
@example(sent=delivery(path="/webhooks/woocommerce/shop-boom"))
@example(sent=delivery(environ={"CONTENT_LENGTH": str(len(ORDER) + 5)}))
@example(
    sent=delivery(b"x" * (MAX_BODY + 1), environ={"HTTP_TRANSFER_ENCODING": "chunked"} | CHUNKED)
)
@example(sent=delivery(environ={"HTTP_HOST": "a..b"}))
@example(sent=delivery(environ={"HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade"}))
def test_the_fast_path_flask_and_the_previous_receiver_answer_publish_and_log_alike(
    sent: dict[str, Any],
) -> None:
    served_by_flask = FAST_APP_FLASK[0].calls if ways() else 0
    answers = {name: outcome(way, sent) for name, way in ways().items()}
    fast = answers["fast"]
    by = "Flask" if FAST_APP_FLASK[0].calls > served_by_flask else "the fast path"
    event(f"{fast['status']} {[e['outcome'] for e in fast['events']]} by {by}")
    assert answers["fast"] == answers["flask"]
    assert answers["fast"] == answers["oracle"]
