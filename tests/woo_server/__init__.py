"""A local WooCommerce-compatible REST server for tests and benchmarks.

    data = WooShopData.generate(orders=1234, seed=1, now=NOW)
    with running_woo_server(data) as shop:
        client = WooClient(shop.base_url, shop.key, shop.secret, allow_http=True)

``tls=True`` serves HTTPS with a certificate from a throwaway authority: clients verifying
against the system store fail, ``verify=shop.cert_path`` succeeds. The server listens on
127.0.0.1 only, on a free port unless one is given.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from werkzeug.serving import WSGIRequestHandler, make_server

from tests.woo_server.app import create_app
from tests.woo_server.data import WooShopData
from tests.woo_server.faults import Faults
from tests.woo_server.tls import server_context

__all__ = ["Faults", "WooServer", "WooShopData", "running_woo_server"]
HOST = "127.0.0.1"


@dataclass(frozen=True)
class WooServer:
    base_url: str  # e.g. http://127.0.0.1:40123 (no trailing slash)
    data: WooShopData
    faults: Faults
    key: str
    secret: str
    cert_path: Path | None = None  # the CA file to pass as ``verify=`` when tls


class _QuietHandler(WSGIRequestHandler):
    """No access log lines, no tracebacks for clients that hung up (timeouts)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def log_error(self, format: str, *args: object) -> None:
        pass


@contextmanager
def running_woo_server(
    data: WooShopData,
    faults: Faults | None = None,
    *,
    key: str = "ck_test",
    secret: str = "cs_test",
    tls: bool = False,
    port: int = 0,
) -> Iterator[WooServer]:
    faults = faults or Faults()
    app = create_app(data, faults, key, secret)
    with ExitStack() as stack:
        context, cert_path = None, None
        if tls:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            context, cert_path = server_context(directory, HOST)
        server = make_server(
            HOST, port, app, threaded=True, request_handler=_QuietHandler, ssl_context=context
        )
        faults.start()
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            scheme = "https" if tls else "http"
            base_url = f"{scheme}://{HOST}:{server.server_port}"
            yield WooServer(base_url, data, faults, key, secret, cert_path)
        finally:
            faults.stop()
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
