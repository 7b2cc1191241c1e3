"""Serve a WSGI app with waitress until SIGINT/SIGTERM, then let the caller clean up."""

from __future__ import annotations

import signal
import threading
from typing import Any

import structlog
from waitress.server import create_server

from wcpulse.errors import UserError

log = structlog.get_logger("wcpulse.server")


class _StopServing(SystemExit):  # waitress re-raises SystemExit from its handlers
    pass


def install_stop_signals(stop: threading.Event) -> None:
    """SIGINT/SIGTERM set ``stop`` and interrupt the main thread's serving loop."""

    def handler(signum: int, _frame: Any) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()
        raise _StopServing

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def make_server(app: Any, host: str, port: int, threads: int = 8) -> Any:
    try:
        return create_server(app, host=host, port=port, threads=threads, ident="wcpulse")
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc


def serve_until_stopped(server: Any, stop: threading.Event) -> None:
    """Run the server in this (main) thread until a stop signal."""
    install_stop_signals(stop)
    try:
        server.run()
    except _StopServing:
        pass
    finally:
        stop.set()
        server.close()


def wait_until_stopped(stop: threading.Event) -> None:
    """For processes without a web server (processors): block until a stop signal."""
    install_stop_signals(stop)
    try:
        while not stop.wait(1.0):
            pass
    except _StopServing:
        pass
