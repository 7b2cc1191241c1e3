"""The body-size limit at the HTTP server: waitress from ``make_server``, a real socket.

The served app is the one ``wcpulse run`` serves (read API and webhook receiver), over a
real SQLite registry and the embedded queue in ``tmp_path``. Requests are written by hand
on a raw socket, so a test can declare a body it never sends and still expect an answer:
a server that waited for the body would never answer, and ``read_response`` fails at its
deadline instead.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.demo.phpjson import php_json_encode
from ingest.messaging.spool import SQLiteQueue
from ingest.receiver.verify import sign
from schemas.clock import FixedClock
from schemas.settings import load_settings
from store.layout import embedded_broker_path
from wcpulse.server import make_server
from wcpulse.wiring import build_web_app, open_registry

LIMIT = 4096
NOW = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
DEADLINE_SECONDS = 20.0  # only ever reached when the server waits for a body never sent
TEN_GB = 10_000_000_000


@dataclass(frozen=True)
class Served:
    port: int
    shop_id: str
    secret: str
    queue: SQLiteQueue

    @property
    def webhook_path(self) -> str:
        return f"/webhooks/woocommerce/{self.shop_id}"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def error(self) -> dict[str, str]:
        assert self.headers["content-type"] == "application/json"
        document = json.loads(self.body)
        assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}
        return document["error"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    env = {
        "WCPULSE_DATA_DIR": str(tmp_path),
        "WCPULSE_SECRET_KEY": "0" * 64,
        "WCPULSE_MAX_BODY_BYTES": str(LIMIT),
    }
    settings = load_settings(env)
    registry = open_registry(settings)
    queue = SQLiteQueue(embedded_broker_path(settings.data_dir), settings.partitions)
    new = registry.add_shop(name="Shop", url="https://shop.example", now=NOW)
    app = build_web_app(settings, registry, queue, FixedClock(NOW), readiness={})
    server = make_server(app, "127.0.0.1", 0, settings.max_body_bytes, threads=2)
    thread = threading.Thread(target=_serve, args=(server,), name="body-limit-server", daemon=True)
    thread.start()
    try:
        yield Served(server.effective_port, new.shop.shop_id, new.webhook_secret, queue)
    finally:
        server.close()
        thread.join(timeout=10)
        queue.close()
        registry.close()


def _serve(server) -> None:
    """The server's loop until the test closes its sockets (its select then fails: EBADF)."""
    try:
        server.run()
    except OSError:
        pass


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def exchange(port: int, sent: bytes) -> Answer:
    """Send ``sent`` (and nothing more, never closing our side), then read one answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE_SECONDS) as sock:
        sock.sendall(sent)
        return read_response(sock)


def read_response(sock: socket.socket) -> Answer:
    received = b""
    while b"\r\n\r\n" not in received:
        received += _recv(sock)
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    while len(body) < int(headers.get("content-length", "0")):
        body += _recv(sock)
    return Answer(int(status_line.split()[1]), headers, body)


def _recv(sock: socket.socket) -> bytes:
    try:
        chunk = sock.recv(65536)
    except TimeoutError:
        raise AssertionError(
            "no answer before the deadline: the server waited for the body"
        ) from None
    assert chunk, "the server closed the connection without answering"
    return chunk


def signed_headers(served: Served, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Topic": "order.updated",
        "X-WC-Webhook-Signature": sign(body, served.secret),
    }


def padded_order(size: int) -> bytes:
    """A PHP-shaped order body of exactly ``size`` bytes."""
    bare = php_json_encode({"id": 727, "pad": ""})
    return php_json_encode({"id": 727, "pad": "x" * (size - len(bare))})


def assert_too_large(answer: Answer) -> None:
    assert answer.status == 413
    assert answer.error() == {
        "code": "payload_too_large",
        "message": f"body is larger than {LIMIT} bytes",
    }


def test_a_ten_gigabyte_declaration_gets_the_json_413_while_its_body_is_still_unsent(
    served: Served,
) -> None:
    headers = {"Content-Type": "application/json", "Content-Length": str(TEN_GB)}
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers) + b'{"id"')
    assert_too_large(answer)
    assert answer.headers["connection"] == "close"
    assert served.queue.depth() == 0


def test_a_refused_declaration_is_never_invited_with_100_continue(served: Served) -> None:
    headers = {"Content-Length": str(TEN_GB), "Expect": "100-continue"}
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers))
    assert_too_large(answer)


def test_a_chunked_upload_is_refused_as_soon_as_it_passes_the_limit(served: Served) -> None:
    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    chunk = b"x" * (LIMIT + 100)
    unfinished = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"  # no last chunk: never ends
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers) + unfinished)
    assert_too_large(answer)
    assert served.queue.depth() == 0


def test_a_chunked_delivery_under_the_limit_is_accepted(served: Served) -> None:
    body = padded_order(LIMIT // 2)
    headers = {**signed_headers(served, body), "Transfer-Encoding": "chunked"}
    chunked = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers) + chunked)
    assert answer.status == 202
    assert served.queue.depth() == 1


@pytest.mark.parametrize(("size", "status"), [(LIMIT, 202), (LIMIT + 1, 413)])
def test_the_limit_is_inclusive_through_the_server(served: Served, size: int, status: int) -> None:
    body = padded_order(size)
    assert len(body) == size
    headers = {**signed_headers(served, body), "Content-Length": str(size)}
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers) + body)
    assert answer.status == status
    assert served.queue.depth() == (1 if status == 202 else 0)


def test_the_read_api_on_the_same_server_has_the_limit_too(served: Served) -> None:
    path = f"/api/v1/shops/{served.shop_id}/orders"
    headers = {"Authorization": "Bearer nope", "Content-Length": str(TEN_GB)}
    assert_too_large(exchange(served.port, request_head("GET", path, headers)))


def test_waitress_refusing_a_malformed_request_answers_in_the_json_shape_without_echoing_it(
    served: Served,
) -> None:
    headers = {"Content-Length": "twelve-secret-bytes"}
    answer = exchange(served.port, request_head("POST", served.webhook_path, headers))
    assert answer.status == 400
    assert answer.error()["code"] == "bad_request"
    assert b"twelve-secret-bytes" not in answer.body
