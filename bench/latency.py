"""``latency``: webhook -> visible in the API, p95 at 200 events/s (SPEC 7: p95 < 1 s).

``wcpulse run`` (embedded defaults: SQLiteQueue, SQLite metadata, views every 0.5 s) runs
as a subprocess on a free port. New orders (distinct ids, increasing) are POSTed at a
steady 200/s; a watcher polls ``/orders?sort=-order_id`` with ``If-None-Match`` (a 304
costs the server little) and notes when each order id first appears. Latency is from the
moment the webhook's POST started to the moment the API answer showing it was read, so
it includes the poll interval (20 ms). The first second of orders is warm-up (not counted).
"""

from __future__ import annotations

import json
import random
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import report
from bench.http_client import Connection, HttpError, build_request
from bench.loadgen import Sent, open_loop
from bench.options import Options
from bench.orders import Delivery, order_body
from bench.rawlogs import write_raw_log
from bench.service import WcpulseService, stop
from bench.stats import describe_ms, percentile, summary_ms
from bench.webhooks import signed_request
from ingest.demo.phpjson import php_json_encode

TARGET_P95 = 1.0
RATE = 200.0
FIRST_ID = 10_000_000  # above any seeded order id
POLL_SECONDS = 0.02
PAGE = 250
SETTLE_SECONDS = 15.0
SEEDED_EVENTS = 150_000  # --full: about 100,000 orders already in the shop


class Watcher(threading.Thread):
    """Polls the newest orders and records when each id was first seen (perf_counter)."""

    def __init__(self, port: int, shop: dict[str, Any], expected: int) -> None:
        super().__init__(daemon=True)
        self.seen: dict[int, float] = {}
        self.changes: list[float] = []  # when a poll showed new orders (a new publish)
        self.polls = 0
        self.errors: list[str] = []
        self._port, self._expected = port, expected
        self._path = f"/api/v1/shops/{shop['shop_id']}/orders"
        self._auth = {"Authorization": f"Bearer {shop['api_token']}"}
        self._etag = ""
        self._halt = threading.Event()
        self._connection = Connection(port)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            while not self._halt.is_set() and len(self.seen) < self._expected:
                try:
                    self._poll()
                except (HttpError, ValueError, KeyError) as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                self._halt.wait(POLL_SECONDS)
        finally:
            self._connection.close()

    def _get(self, page: int, etag: str = "") -> tuple[int, dict[str, Any], str]:
        headers = self._auth | ({"If-None-Match": etag} if etag else {})
        query = f"?sort=-order_id&per_page={PAGE}&page={page}"
        response = self._connection.request(
            build_request("GET", self._port, self._path + query, headers)
        )
        self.polls += 1
        if response.status not in (200, 304):
            raise ValueError(f"status {response.status}: {response.body[:200]!r}")
        body = json.loads(response.body) if response.status == 200 else {}
        return response.status, body, response.headers.get("etag", "")

    def _poll(self) -> None:
        status, body, etag = self._get(1, self._etag)
        if status != 200:
            return
        self._etag = etag
        now = time.perf_counter()
        page = 1
        while self._note(body, now) and page < 40:
            page += 1
            status, body, _ = self._get(page)

    def _note(self, body: dict[str, Any], now: float) -> bool:
        """Record our ids (the seeded history is not ours); True when the page was full
        of ids we had not seen (look at the next page)."""
        rows = body.get("data", [])
        ids = [row["order_id"] for row in rows if row["order_id"] >= FIRST_ID]
        new = [order_id for order_id in ids if order_id not in self.seen]
        for order_id in new:
            self.seen[order_id] = now
        if new and (not self.changes or self.changes[-1] != now):
            self.changes.append(now)
        return len(rows) == PAGE and len(new) == PAGE


def _requests(port: int, shop: dict[str, Any], count: int) -> list[bytes]:
    now = datetime.now(UTC)
    requests = []
    for n in range(count):
        order_id = FIRST_ID + n
        body = order_body(order_id, n % 997, now - timedelta(minutes=5), random.Random(order_id))
        delivery = Delivery("order.created", order_id, php_json_encode(body))
        requests.append(signed_request(port, shop["shop_id"], shop["webhook_secret"], delivery))
    return requests


def _measure(
    service: WcpulseService, shop: dict[str, Any], count: int
) -> tuple[list[Sent], Watcher]:
    requests = _requests(service.port, shop, count)
    watcher = Watcher(service.port, shop, count)
    watcher.start()
    sent = open_loop(service.port, requests, RATE)
    watcher.join(timeout=SETTLE_SECONDS)
    watcher.stop()
    watcher.join(timeout=5)
    return sent, watcher


def _consumer_batches(log_path: Path) -> dict[str, float]:
    """Batches the consumer committed (from its JSON log): how many, how big on average."""
    sizes = []
    for text in log_path.read_text(errors="replace").splitlines():
        if '"batch_committed"' in text:
            try:
                sizes.append(int(json.loads(text)["messages"]))
            except (ValueError, KeyError):
                continue
    mean = sum(sizes) / len(sizes) if sizes else 0.0
    return {"batches": len(sizes), "mean_messages": round(mean, 1)}


def _figures(sent: list[Sent], watcher: Watcher, warmup: int, log_path: Path) -> dict[str, Any]:
    measured = [(n, s) for n, s in enumerate(sent) if n >= warmup and s.started]
    visible = [
        watcher.seen[FIRST_ID + n] - s.started for n, s in measured if FIRST_ID + n in watcher.seen
    ]
    acks = [s.answered - s.started for _, s in measured if s.answered]
    lateness = [s.started - s.scheduled for _, s in measured] or [0.0]
    starts = [s.started for s in sent if s.started]
    span = max(starts) - min(starts) if starts else 0.0
    return {
        "orders": len(measured),
        "not_sent": len(sent) - len(starts),
        "accepted": sum(1 for _, s in measured if s.status == 202),
        "not_visible": len(measured) - len(visible),
        "send_rate": round((len(starts) - 1) / span, 1) if span > 0 else 0.0,
        "max_send_lateness_ms": round(max(lateness) * 1000, 1),
        "visible": summary_ms(visible),
        "ack": summary_ms(acks),
        "polls": watcher.polls,
        "poll_errors": len(watcher.errors),
        "first_poll_error": watcher.errors[0] if watcher.errors else None,
        "publish_interval": summary_ms(
            [b - a for a, b in zip(watcher.changes, watcher.changes[1:], strict=False)]
        ),
        "consumer": _consumer_batches(log_path),
        "p95_s": round(percentile(visible, 95), 3) if visible else None,
    }


def _print(figures: dict[str, Any]) -> None:
    sent = f"{figures['orders']:,} measured at {figures['send_rate']}/s"
    report.line("sent", f"{sent}, {figures['accepted']:,} answered 202")
    report.line("sender lateness (max)", f"{figures['max_send_lateness_ms']} ms behind schedule")
    report.line("webhook answered (ack)", describe_ms(figures["ack"]))
    report.line("visible in the API", describe_ms(figures["visible"]))
    report.line("new views seen every", describe_ms(figures["publish_interval"]))
    consumer = figures["consumer"]
    average = f"{consumer['mean_messages']} messages on average"
    report.line("consumer batches", f"{consumer['batches']:,}, {average}")
    if figures["not_sent"]:
        report.note(
            f"WARNING: {figures['not_sent']} orders not sent (the server stopped answering)"
        )
    if figures["poll_errors"]:
        report.note(
            f"WARNING: {figures['poll_errors']} failed polls: {figures['first_poll_error']}"
        )
    if figures["not_visible"]:
        late = f"{SETTLE_SECONDS:.0f} s after the last send"
        report.note(f"WARNING: {figures['not_visible']} orders not visible {late}")


def _seed(service: WcpulseService, shop_id: str, events: int) -> None:
    """Give the shop a history first: a raw log of ``events``, then ``wcpulse replay``."""
    started = time.perf_counter()
    write_raw_log(service.data_dir, shop_id, events)
    service.cli("replay", shop_id)
    report.line("shop seeded", f"{events:,} events in {time.perf_counter() - started:.0f} s")


def run(options: Options) -> dict[str, Any]:
    seconds = 5 if options.quick else 20
    count = int(RATE * seconds)
    seeded = options.size(quick=0, default=0, full=SEEDED_EVENTS)
    what = f"webhook -> API at {RATE:.0f}/s for {seconds} s ({count:,} orders), wcpulse run"
    history = f"a shop seeded with {seeded:,} events" if seeded else "a new, empty shop"
    report.heading("latency", f"{what}, {history}")
    with tempfile.TemporaryDirectory(prefix="wcpulse-bench-") as tmp:
        service = WcpulseService(Path(tmp) / "data")
        service.data_dir.mkdir()
        shop = service.add_shop()
        if seeded:
            _seed(service, shop["shop_id"], seeded)
        process = service.start("run")
        try:
            sent, watcher = _measure(service, shop, count)
        finally:
            stop(process)
        figures = _figures(sent, watcher, int(RATE), service.data_dir / "run.log")
    _print(figures)
    if not seeded:
        report.note("(a new shop: each publish rebuilds all views, so a big shop is slower;")
        report.note(" --full seeds the shop with about 100,000 orders first)")
    p95 = figures["p95_s"]
    met = (
        p95 is not None and p95 < TARGET_P95 and not (figures["not_visible"] or figures["not_sent"])
    )
    shown = "n/a" if p95 is None else f"{p95 * 1000:,.0f} ms"
    report.verdict(f"p95 {shown}", "p95 < 1 s", met, None if p95 is None else TARGET_P95 / p95)
    return report.emit(
        "latency",
        {"headline": f"p95 {shown}", "rate": RATE, "seconds": seconds, "seeded": seeded}
        | figures
        | {"target_p95_s": TARGET_P95, "met": met},
    )
