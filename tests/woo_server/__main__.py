"""Run the local WooCommerce server standalone, for benchmarks and trying the importer:

    python -m tests.woo_server --orders 100000 --seed 1 --port 8400 [--key ck --secret cs]

Prints one JSON line (base URL, credentials, the shop's ``now`` and the expected totals),
then serves until interrupted (Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from typing import Any

from tests.woo_server import WooShopData, running_woo_server


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC).replace(microsecond=0)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    started = time.perf_counter()
    data = WooShopData.generate(orders=args.orders, seed=args.seed, now=now)
    generated = time.perf_counter() - started
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with running_woo_server(
        data, key=args.key, secret=args.secret, tls=args.tls, port=args.port
    ) as shop:
        summary: dict[str, Any] = {"base_url": shop.base_url, "key": shop.key}
        summary |= {"secret": shop.secret, "now": now.isoformat(), "seed": args.seed}
        summary |= {"generated_s": round(generated, 2), "cert_path": _text(shop.cert_path)}
        summary["expected_totals"] = data.expected_totals()
        print(json.dumps(summary, default=_text), flush=True)
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.woo_server", description=__doc__)
    parser.add_argument("--orders", type=int, default=10_000, help="orders to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same shop)")
    parser.add_argument("--port", type=int, default=8400, help="port on 127.0.0.1 (0: any)")
    parser.add_argument("--key", default="ck_test", help="consumer key to accept")
    parser.add_argument("--secret", default="cs_test", help="consumer secret to accept")
    parser.add_argument("--now", help="the shop's present, ISO 8601 (default: now)")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS (prints cert_path)")
    return parser


def _text(value: object) -> str | None:
    return None if value is None else str(value)


if __name__ == "__main__":
    sys.exit(main())
