"""``api``: read API latency on a big shop (SPEC 7: p95 < 50 ms, 1M orders / 200k customers).

Synthetic views (``bench/api_views.py``) are published for a shop registered with the real
CLI, then ``wcpulse api`` serves them on a free port. One keep-alive client asks each
endpoint in turn (no ``If-None-Match``: every answer is computed) and the client-side time
of each answer counts; a CSV export is streamed and closes its connection, so each CSV
request opens its own (the connect is in its time). The shop's prediction views (clv,
churn, models, timeline, backtests) are computed by the real pipeline
(``bench/api_predictions.py``). Sizes: 1,000,000 orders / 200,000 customers (100,000 /
20,000 with --quick).
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import report
from bench.api_views import publish_big_shop
from bench.http_client import LOOPBACK, Connection, build_request
from bench.options import Options
from bench.service import WcpulseService, stop
from bench.stats import percentile, summary_ms

TARGET_P95 = 0.050
TARGET_304_P95 = 0.005  # a 304 (If-None-Match with the current ETag) costs almost nothing
WARMUP = 3


@dataclass(frozen=True)
class Probe:
    label: str
    view: str
    query: dict[str, str]
    conditional: bool = False  # asked with the ETag of its last answer: a 304 is timed


def probes(today: date) -> list[Probe]:
    year_ago = (today - timedelta(days=365)).isoformat()
    return [
        Probe("kpis last_7_days", "kpis", {"period": "last_7_days"}),
        Probe("kpis last_30_days", "kpis", {"period": "last_30_days"}),
        Probe("kpis quarter_to_date", "kpis", {"period": "quarter_to_date"}),
        Probe("kpis year_to_date", "kpis", {"period": "year_to_date"}),
        Probe("kpis custom 365 days", "kpis", {"from": year_ago, "to": today.isoformat()}),
        Probe("sales summary (six tiles)", "sales/summary", {}),
        Probe("orders page 1", "orders", {}),
        Probe("orders page 200", "orders", {"page": "200"}),
        Probe(
            "orders filtered",
            "orders",
            {
                "status": "completed,processing",
                "from": year_ago,
                "min_total": "100",
                "sort": "-total",
            },
        ),
        Probe("orders of one customer", "orders", {"customer": "1234"}),
        Probe("customers page 1", "customers", {}),
        Probe("customers search name", "customers", {"q": "nowak"}),
        Probe("customers search e-mail", "customers", {"q": "anna.1230@"}),
        Probe("customers min_orders", "customers", {"min_orders": "10", "sort": "-orders"}),
        Probe(
            "customers segment+status",
            "customers",
            {"segment": "At Risk,Can't Lose Them", "status": "at_risk", "sort": "-days_overdue"},
        ),
        Probe("customer 360", "customers/1234", {}),
        Probe("segments", "segments", {}),
        Probe("segment customers", "segments", {"name": "Champions"}),
        Probe("retention (all tables)", "retention", {}),
        Probe("retention purchase_counts", "retention", {"table": "purchase_counts"}),
        Probe("retention over_time", "retention", {"table": "over_time"}),
        Probe("retention cohorts", "retention", {"table": "cohorts"}),
        Probe("retention contacts", "retention", {"table": "contacts"}),
        Probe("timeseries last_30_days", "timeseries", {"period": "last_30_days"}),
        Probe(
            "timeseries 12 months",
            "timeseries",
            {"from": year_ago, "to": today.isoformat(), "interval": "month"},
        ),
        Probe(
            "timeseries 30 days vs previous",
            "timeseries",
            {"period": "last_30_days", "compare": "previous"},
        ),
        Probe(
            "timeseries 90 days vs a year ago",
            "timeseries",
            {"period": "last_90_days", "compare": "year"},
        ),
        Probe("transactions/live page 1", "transactions/live", {}),
        Probe("transactions/live over 500", "transactions/live", {"min_value": "500"}),
        Probe("304 sales summary", "sales/summary", {}, conditional=True),
        Probe("304 orders page 1", "orders", {}, conditional=True),
        Probe("304 transactions/live", "transactions/live", {}, conditional=True),
        Probe(
            "304 timeseries vs previous",
            "timeseries",
            {"period": "last_30_days", "compare": "previous"},
            conditional=True,
        ),
        Probe("clv page 1", "clv", {}),
        Probe("clv value_segment High", "clv", {"value_segment": "High"}),
        Probe("clv sort -confidence", "clv", {"sort": "-confidence"}),
        Probe("clv csv one page", "clv", {"format": "csv", "page": "1"}),
        Probe("churn page 1", "churn", {}),
        Probe("churn churn_level Critical", "churn", {"churn_level": "Critical"}),
        Probe("churn timeline", "churn/timeline", {}),
        Probe("clv model", "clv/model", {}),
        Probe("freshness", "freshness", {}),
    ]


Fetch = Callable[[], tuple[int, str, bytes]]  # status, content type, body


def _keep_alive(connection: Connection, raw: bytes) -> Fetch:
    def fetch() -> tuple[int, str, bytes]:
        response = connection.request(raw)
        return response.status, response.headers.get("content-type", ""), response.body

    return fetch


def _streamed(port: int, path: str, headers: dict[str, str]) -> Fetch:
    """A CSV answer is streamed (chunked) and closes the connection: one connection each."""

    def fetch() -> tuple[int, str, bytes]:
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("content-type", ""), response.read()
        finally:
            connection.close()

    return fetch


def _rows(content_type: str, body: bytes) -> int:
    if content_type.startswith("text/csv"):
        return len(list(csv.reader(io.StringIO(body.decode())))) - 1
    data = json.loads(body)
    return len(data.get("data") or data.get("kpis") or data.get("models") or [])


def _time(fetch: Fetch, samples: int, expected: int = 200) -> tuple[list[float], int]:
    timings: list[float] = []
    status, content_type, body = 0, "", b""
    for n in range(WARMUP + samples):
        started = time.perf_counter()
        status, content_type, body = fetch()
        if n >= WARMUP:
            timings.append(time.perf_counter() - started)
        if status != expected:
            raise RuntimeError(f"{status}: {body[:300]!r}")
    return timings, _rows(content_type, body) if expected == 200 else 0


def _etag(connection: Connection, port: int, path: str, auth: dict[str, str]) -> str:
    response = connection.request(build_request("GET", port, path, auth))
    return response.headers["etag"]


def measure(
    service: WcpulseService,
    shop: dict[str, Any],
    samples: int,
    asked: list[Probe] | None = None,
) -> dict[str, list[float]]:
    """Each probe's timed answers (``asked``, default ``probes`` of today), one line each."""
    connection = Connection(service.port, timeout=30)
    auth = {"Authorization": f"Bearer {shop['api_token']}"}
    results: dict[str, list[float]] = {}
    try:
        for probe in asked if asked is not None else probes(datetime.now(UTC).date()):
            path = f"/api/v1/shops/{shop['shop_id']}/{probe.view}"
            if probe.query:
                path += "?" + urlencode(probe.query)
            headers = auth
            if probe.conditional:
                headers = auth | {"If-None-Match": _etag(connection, service.port, path, auth)}
            if probe.query.get("format") == "csv":
                fetch = _streamed(service.port, path, headers)
            else:
                fetch = _keep_alive(connection, build_request("GET", service.port, path, headers))
            timings, rows = _time(fetch, samples, 304 if probe.conditional else 200)
            results[probe.label] = timings
            summary = summary_ms(timings)
            target = _target(probe.label)
            flag = "" if percentile(timings, 95) < target else f"  << over {target * 1000:g} ms"
            report.line(
                probe.label,
                f"p50 {summary['p50_ms']:6.1f} ms  p95 {summary['p95_ms']:6.1f} ms  "
                f"max {summary['max_ms']:6.1f} ms  rows {rows}{flag}",
            )
    finally:
        connection.close()
    return results


def _target(label: str) -> float:
    return TARGET_304_P95 if label.startswith("304 ") else TARGET_P95


def _served(orders: int, samples: int, options: Options) -> dict[str, list[float]]:
    """Publish the big shop's views, serve them with ``wcpulse api`` and time each probe."""
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        service = WcpulseService(Path(tmp) / "data")
        service.data_dir.mkdir()
        shop = service.add_shop()
        started = time.perf_counter()
        now = datetime.now(UTC)
        publish_big_shop(service.data_dir, shop["shop_id"], orders, orders // 5, now)
        report.line("views written", f"{time.perf_counter() - started:.1f} s (not timed)")
        process = service.start("api")
        try:
            results = measure(service, shop, samples)
        finally:
            stop(process)
        if options.profile:
            from bench.api_profile import profile_endpoints

            profile_endpoints(service.data_dir, shop, probes(now.date()))
    return results


def run(options: Options) -> dict[str, Any]:
    orders = options.size(quick=100_000, default=1_000_000)
    samples = 15 if options.quick else 50
    what = f"{orders:,} orders / {orders // 5:,} customers, {samples} timed requests each"
    report.heading("api", what)
    results = _served(orders, samples, options)
    p95 = {label: percentile(timings, 95) for label, timings in results.items()}
    worst_label = max(p95, key=lambda label: p95[label])
    worst = p95[worst_label]
    over = [label for label, value in p95.items() if value >= _target(label)]
    met = not over
    report.verdict(
        f"worst p95 {worst * 1000:.1f} ms ({worst_label}); "
        f"{len(over)} of {len(results)} over target",
        "p95 < 50 ms, 304s < 5 ms",
        met,
        TARGET_P95 / worst,
    )
    return report.emit(
        "api",
        {
            "headline": f"worst p95 {worst * 1000:.0f} ms ({worst_label})",
            "orders": orders,
            "customers": orders // 5,
            "endpoints": {label: summary_ms(timings) for label, timings in results.items()},
            "worst_p95_ms": round(worst * 1000, 1),
            "over_target": over,
            "target_p95_ms": TARGET_P95 * 1000,
            "met": met,
        },
    )
