"""``products``: product analytics on the 1M-order shop (issue 12): the daily products job's
time, and the read API's products endpoints (SPEC 7: p95 < 50 ms).

The shop is ``bench publish``'s cached 1M-order shop (``bench/latency_shop.py``: a copy,
registered with ``wcpulse shop add``). ``job.products`` runs through ``ShopPipeline.apply``
as the scheduler's would (timed), then the whole publish it causes (timed apart); then
``wcpulse api`` serves the views and one keep-alive client asks each products endpoint in
turn (``bench/api.py``'s probes: no ``If-None-Match``, client-side time), then the
dashboard's endpoints that only a pipeline-built shop has (fulfilment, alerts, segment
shares over time, a real customer's Customer 360).
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import report
from bench.api import TARGET_P95, Probe, measure
from bench.latency_shop import LiveShop, prepare_live_shop
from bench.logs import configure_discarded_logging
from bench.options import Options
from bench.service import stop
from bench.stats import percentile, summary_ms
from processors.pipeline import ShopPipeline
from schemas.jobs import PRODUCTS, dated_job_envelope
from schemas.shop import ShopConfig
from store.layout import shop_paths
from store.view_files import read_view


def _run_job(live: LiveShop) -> dict[str, float]:
    """``job.products`` and the publish after it on the live shop's state (timed)."""
    shop = ShopConfig(live.shop["shop_id"], "Bench", "https://shop.example", currency="PLN")
    pipeline = ShopPipeline(live.prepared.data_dir, shop)
    try:
        now = datetime.now(UTC)
        job = dated_job_envelope(shop.shop_id, PRODUCTS, now.date(), now)
        started = time.perf_counter()
        _, failures = pipeline.apply([job], now)
        applied = time.perf_counter()
        if failures:
            raise RuntimeError(f"job.products failed: {next(iter(failures.values()))}")
        pipeline.publish(now)
        published = time.perf_counter()
    finally:
        pipeline.close()
    return {"job_s": applied - started, "publish_s": published - applied}


def _probes(live: LiveShop) -> list[Probe]:
    views = shop_paths(live.prepared.data_dir, live.shop["shop_id"]).views_dir
    products = read_view(views, "products")
    if products is None or products.num_rows == 0:
        raise RuntimeError("the shop has no products view")
    top = products.sort_by([("revenue", "descending")])["product_id"][0].as_py()
    today = datetime.now(UTC).date()
    quarter = {"from": (today - timedelta(days=89)).isoformat(), "to": today.isoformat()}
    return [
        Probe("products page 1 (by score)", "products", {}),
        Probe("products by revenue", "products", {"sort": "-revenue"}),
        Probe("products grade A+,B", "products", {"grade": "A+,B"}),
        Probe("products low stock", "products", {"low_stock": "true"}),
        Probe("products search", "products", {"q": "product 1"}),
        Probe("products csv export", "products", {"format": "csv"}),
        Probe("top 5 last_30_days", "products/top", {"period": "last_30_days"}),
        Probe("top 5 by units, 90 days", "products/top", quarter | {"by": "units"}),
        Probe("top 5 via products?top=5", "products", {"top": "5"}),
        Probe("categories last_30_days", "categories", {"period": "last_30_days"}),
        Probe("categories, 90 days", "categories", quarter),
        Probe("coupons last_30_days", "coupons", {"period": "last_30_days"}),
        Probe("coupons, 90 days", "coupons", quarter),
        Probe("product detail", f"products/{top}", {}),
        Probe("order lines page 1", "order-lines", {}),
        Probe("order lines of a product", "order-lines", {"product": str(top)}),
        # the dashboard's other panels, over views the pipeline built
        Probe("fulfillment 30 days", "fulfillment", {"period": "last_30_days"}),
        Probe("fulfillment 90 days", "fulfillment", quarter),
        Probe("open alerts", "alerts", {"acknowledged": "false"}),
        Probe("segment shares, quarter", "segments/history", {"period": "quarter_to_date"}),
        Probe("sales summary", "sales/summary", {}),
        Probe("live transactions", "transactions/live", {}),
        Probe("customer 360", f"customers/{_a_buyer(views)}", {}),
    ]


def _a_buyer(views: Path) -> str:
    customers = read_view(views, "customers")
    if customers is None or customers.num_rows == 0:
        raise RuntimeError("the shop has no customers view")
    return str(customers.sort_by([("orders", "descending")])["customer_key"][0].as_py())


def run(options: Options) -> dict[str, Any]:
    samples = 15 if options.quick else 50
    report.heading("products", f"the 1M-order shop, {samples} timed requests each")
    configure_discarded_logging()
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        live = prepare_live_shop(Path(tmp))
        timed = _run_job(live)
        report.line("job.products", f"{timed['job_s']:.1f} s")
        report.line("the whole publish after it", f"{timed['publish_s']:.1f} s")
        process = live.service.start("api")
        try:
            results = measure(live.service, live.shop, samples, _probes(live))
        finally:
            stop(process)
    p95 = {label: percentile(timings, 95) for label, timings in results.items()}
    worst_label = max(p95, key=lambda label: p95[label])
    worst = p95[worst_label]
    over = [label for label, value in p95.items() if value >= TARGET_P95]
    report.verdict(
        f"worst p95 {worst * 1000:.1f} ms ({worst_label}); {len(over)} of {len(p95)} over 50 ms",
        "p95 < 50 ms",
        not over,
        TARGET_P95 / worst,
    )
    return report.emit(
        "products",
        {
            "headline": f"job {timed['job_s']:.1f} s; worst p95 {worst * 1000:.0f} ms",
            "job_s": round(timed["job_s"], 2),
            "publish_after_job_s": round(timed["publish_s"], 2),
            "endpoints": {label: summary_ms(timings) for label, timings in results.items()},
            "worst_p95_ms": round(worst * 1000, 1),
            "over_target": over,
            "met": not over,
        },
    )
