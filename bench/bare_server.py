"""The ingest baseline: a bare Flask endpoint that checks a WooCommerce signature.

It reads the raw body, compares base64(HMAC-SHA256(body, secret)) with the
``X-WC-Webhook-Signature`` header in constant time and answers 200 (401 when it does not
match). Served by waitress with 8 threads on 127.0.0.1, like ``wcpulse`` serves its apps.

    BENCH_BARE_SECRET=s3cret python -m bench.bare_server --port 8765
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import os

from flask import Flask, Response, request
from waitress.server import create_server

THREADS = 8


def create_app(secret: str) -> Flask:
    app = Flask("bare")
    key = secret.encode()

    @app.post("/webhooks/woocommerce/<shop_id>")
    def receive(shop_id: str) -> Response:
        body = request.get_data()
        expected = base64.b64encode(hmac.new(key, body, hashlib.sha256).digest())
        given = request.headers.get("X-WC-Webhook-Signature", "").encode()
        if not hmac.compare_digest(expected, given):
            return Response("bad signature", status=401)
        return Response("ok", status=200)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response("ok", status=200)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    server = create_server(
        create_app(os.environ["BENCH_BARE_SECRET"]),
        host="127.0.0.1",
        port=args.port,
        threads=THREADS,
        ident="bare",
    )
    server.run()


if __name__ == "__main__":
    main()
