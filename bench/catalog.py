"""The benchmarks, in the order ``python -m bench`` runs them (imported only when chosen)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.options import Options


@dataclass(frozen=True)
class Benchmark:
    name: str
    module: str
    target: str
    summary: str

    def load(self) -> Callable[[Options], dict[str, Any]]:
        return importlib.import_module(self.module).run  # type: ignore[no-any-return]


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "processors",
        "bench.processors",
        ">= 20,000 order events/s per core",
        "one consumer draining an embedded queue (batch 500, 2000), and ShopPipeline direct",
    ),
    Benchmark(
        "ingest",
        "bench.ingest",
        ">= 85% of a bare Flask+HMAC endpoint",
        "signed webhooks/s: wcpulse ingest vs bare Flask+HMAC, same server and load",
    ),
    Benchmark(
        "latency",
        "bench.latency",
        "p95 < 1 s at 200 events/s",
        "webhook -> visible in the API with wcpulse run, new shop (--full: 1M-order shop)",
    ),
    Benchmark(
        "publish",
        "bench.publish",
        "1M orders within 2x of 10k",
        "apply + publish a 100-event batch on shops of 10k, 100k, 1M orders (--quick: no 1M)",
    ),
    Benchmark(
        "replay",
        "bench.replay",
        "1,000,000 orders < 60 s",
        "replay_shop of a raw log (200k, extrapolated to 1M; --full runs 1M)",
    ),
    Benchmark(
        "retention",
        "bench.retention",
        "views identical after a purge (no speed target)",
        "job.retention's raw log purge of 200k order events (--quick 20k, --full 1M), replay",
    ),
    Benchmark(
        "import",
        "bench.import_history",
        "100,000 orders < 60 s",
        "wcpulse import from a local WooCommerce server, embedded and RabbitMQ (--quick: 10k)",
    ),
    Benchmark(
        "forward",
        "bench.forward",
        "faster than a confirm per message (no spec target)",
        "a RabbitMQ outage's spool forwarded: one confirm wait per list vs one per message",
    ),
    Benchmark(
        "api",
        "bench.api",
        "p95 < 50 ms, 1M orders / 200k customers",
        "read API latency per endpoint on a big shop (wcpulse api)",
    ),
    Benchmark(
        "products",
        "bench.products",
        "products endpoints p95 < 50 ms on the 1M-order shop",
        "job.products' time and the products endpoints' latency on the cached 1M-order shop",
    ),
    Benchmark(
        "clv",
        "bench.clv",
        "BG/NBD + Gamma-Gamma fit >= 10x faster than lifetimes; 1M customers < 5 s",
        "CLV fits vs lifetimes 0.11.3 (own venv) on CDNOW and a simulated shop; 1M customers",
    ),
)
BY_NAME = {benchmark.name: benchmark for benchmark in BENCHMARKS}
