"""The fast path on the apps wcpulse serves (``build_web_app``: the ingest app and the read
API's app with the receivers), over a real SQLite registry: it answers WooCommerce
deliveries without Flask, hands everything else to Flask, and steps aside whenever Flask
would add something to the answer (a request hook, a signal receiver)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask
import pytest
from flask import Flask
from structlog.testing import capture_logs
from werkzeug.test import Client

from ingest.receiver.fast_path import FastPath
from ingest.receiver.verify import sign
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.settings import load_settings
from store.metadata import NewShop, ShopRegistry
from wcpulse.wiring import build_web_app, open_registry

NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
BODY = b'{"id":727,"status":"processing"}'


class Publisher:
    def __init__(self, explode: bool = False) -> None:
        self.published: list[Envelope] = []
        self.explode = explode

    def publish(self, envelopes: Sequence[Envelope]) -> None:
        if self.explode:
            raise RuntimeError("secret internals")
        self.published.extend(envelopes)


class CountingFlask:
    def __init__(self, app: Flask) -> None:
        assert isinstance(app.wsgi_app, FastPath)
        self.flask = app.wsgi_app.flask
        self.calls = 0
        app.wsgi_app.flask = self

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.flask(environ, start_response)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[ShopRegistry]:
    env = {"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64}
    opened = open_registry(load_settings(env))
    yield opened
    opened.close()


def web_app(registry: ShopRegistry, publisher: Publisher, serve_api: bool) -> Flask:
    settings = load_settings({"WCPULSE_SECRET_KEY": "0" * 64})
    return build_web_app(settings, registry, publisher, FixedClock(NOW), {}, serve_api=serve_api)


@pytest.fixture
def shop(registry: ShopRegistry) -> NewShop:
    return registry.add_shop(name="Shop", url="https://shop.example", now=NOW)


def webhook_path(shop: NewShop) -> str:
    return f"/webhooks/woocommerce/{shop.shop.shop_id}"


def deliver(wsgi: Any, shop: NewShop) -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": sign(BODY, shop.webhook_secret),
    }
    return Client(wsgi).post(webhook_path(shop), data=BODY, headers=headers)


@pytest.mark.parametrize("serve_api", [False, True], ids=["ingest", "run"])
def test_both_apps_answer_a_signed_delivery_without_flask_and_everything_else_with_it(
    registry: ShopRegistry, shop: NewShop, serve_api: bool
) -> None:
    publisher = Publisher()
    app = web_app(registry, publisher, serve_api)
    counted = CountingFlask(app)
    response = deliver(app, shop)
    assert (response.status, counted.calls) == ("202 ACCEPTED", 0)
    [envelope] = publisher.published
    assert response.get_json() == {"status": "accepted", "envelope_id": envelope.envelope_id}
    assert Client(app).get("/healthz").status_code == 200
    assert Client(app).get(webhook_path(shop)).status_code == 405
    assert counted.calls == 2


def test_a_request_hook_sends_deliveries_back_through_flask(
    registry: ShopRegistry, shop: NewShop
) -> None:
    app = web_app(registry, Publisher(), serve_api=False)
    counted = CountingFlask(app)
    seen: list[str] = []

    @app.before_request
    def hook() -> None:
        seen.append(flask.request.path)

    assert deliver(app, shop).status_code == 202
    assert (counted.calls, len(seen)) == (1, 1)


def test_a_request_signal_receiver_sends_deliveries_back_through_flask(
    registry: ShopRegistry, shop: NewShop
) -> None:
    app = web_app(registry, Publisher(), serve_api=False)
    counted = CountingFlask(app)
    started: list[Flask] = []

    def receiver(sender: Flask, **extra: Any) -> None:
        started.append(sender)

    with flask.request_started.connected_to(receiver, app):
        assert deliver(app, shop).status_code == 202
    assert (counted.calls, started) == (1, [app])
    assert deliver(app, shop).status_code == 202
    assert counted.calls == 1


def test_the_read_api_apps_own_500_comes_out_of_the_fast_path_as_out_of_flask(
    registry: ShopRegistry, shop: NewShop
) -> None:
    app = web_app(registry, Publisher(explode=True), serve_api=True)
    answers = []
    for wsgi in (app, app.wsgi_app.flask):  # type: ignore[attr-defined]
        with capture_logs() as events:
            response = deliver(wsgi, shop)
        answers.append((response.status, response.headers.to_wsgi_list(), response.data))
        assert [e["event"] for e in events] == ["api.unhandled_error"]
    assert answers[0] == answers[1]
    assert answers[0][0] == "500 INTERNAL SERVER ERROR"
    assert b"secret internals" not in answers[0][2]
