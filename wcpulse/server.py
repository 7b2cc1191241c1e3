"""Serve a WSGI app with waitress until SIGINT/SIGTERM, then let the caller clean up.

The body-size limit (``WCPULSE_MAX_BODY_BYTES``) is waitress's own ``max_request_body_size``:
waitress buffers a whole request body before the app sees it, so only waitress can refuse a
10 GB declaration before reading it. It refuses as soon as the headers declare too much
(``Content-Length``) or a chunked upload passes the limit (counting its chunk framing), and
its refusals, like every other error of ours, come out as ``{"error": {"code", "message"}}``
(413 ``payload_too_large``). The extension points are the class attributes waitress offers
for this: the server's ``channel_class`` and the channel's ``error_task_class``.
"""

from __future__ import annotations

import gc
import json
import signal
import threading
from typing import Any

import structlog
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, create_server
from waitress.task import ErrorTask

from schemas.web import JSON_MIMETYPE, code_for_status, error_body
from wcpulse.errors import UserError

log = structlog.get_logger("wcpulse.server")


class _StopServing(SystemExit):  # waitress re-raises SystemExit from its handlers
    pass


def install_stop_signals(stop: threading.Event, interrupt: bool = True) -> None:
    """SIGINT/SIGTERM set ``stop`` and interrupt the main thread's serving loop; without
    ``interrupt``, SIGINT (Ctrl-C) is ignored (a child whose parent stops it)."""

    def handler(signum: int, _frame: Any) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()
        raise _StopServing

    signal.signal(signal.SIGINT, handler if interrupt else signal.SIG_IGN)
    signal.signal(signal.SIGTERM, handler)


class JsonErrorTask(ErrorTask):
    """waitress's own refusals (body too large, malformed request) in the one error shape.

    The message is ours, never waitress's text: that can quote a header line back.
    """

    def execute(self) -> None:
        error = self.request.error
        document = error_body(code_for_status(error.code), self._message(error.code))
        body = json.dumps(document, separators=(",", ":"))
        payload = body.encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.append(("Content-Type", JSON_MIMETYPE))
        self.set_close_on_finish()
        self.content_length = len(payload)
        self.write(payload)

    def _message(self, status: int) -> str:
        if status == 413:  # waitress refuses at max_request_body_size, one past our limit
            return f"body is larger than {self.channel.adj.max_request_body_size - 1} bytes"
        return _WAITRESS_MESSAGES.get(status, "the request could not be served")


_WAITRESS_MESSAGES = {
    400: "the request is not valid HTTP",
    431: "the request headers are too large",
    500: "the server could not serve this request",
    501: "the request's transfer encoding is not supported",
}


class JsonErrorChannel(HTTPChannel):
    """A connection whose errors are JSON, and which never invites a refused body.

    waitress would answer ``Expect: 100-continue`` with ``100 Continue`` even after refusing
    the declared length, and then wait for the body; a refused request gets its error now.
    """

    error_task_class = JsonErrorTask

    def send_continue(self) -> None:
        if self.request is not None and self.request.error is not None:
            return
        super().send_continue()


def make_server(app: Any, host: str, port: int, max_body_bytes: int, threads: int = 8) -> Any:
    """A waitress server for ``app`` that refuses bodies over ``max_body_bytes`` unread."""
    sockets: dict[int, Any] = {}  # waitress's socket map: its listening servers register here
    try:
        server = create_server(
            app,
            map=sockets,
            host=host,
            port=port,
            threads=threads,
            ident="wcpulse",
            max_request_body_size=max_body_bytes + 1,  # waitress refuses at this size
        )
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    for dispatcher in list(sockets.values()):
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = JsonErrorChannel
    return server


def freeze_start_up() -> None:
    """Keep what start-up made (the modules, the wiring: about 150,000 objects) out of the
    garbage collector's full collections: they live as long as the process, and walking them
    took about 70 ms at each full collection, a few times a minute under load, with every
    thread of the process held (the processor under ``bench latency --full``: 57-91 ms per
    full collection before, 0.5-6 ms after)."""
    gc.collect()
    gc.freeze()


def serve_until_stopped(server: Any, stop: threading.Event) -> None:
    """Run the server in this (main) thread until a stop signal."""
    install_stop_signals(stop)
    freeze_start_up()
    try:
        server.run()
    except _StopServing:
        pass
    finally:
        stop.set()
        server.close()


def wait_until_stopped(stop: threading.Event, interrupt: bool = True) -> None:
    """For processes without a web server (processors): block until a stop signal or until
    ``stop`` is set."""
    install_stop_signals(stop, interrupt)
    freeze_start_up()
    try:
        while not stop.wait(1.0):
            pass
    except _StopServing:
        pass
