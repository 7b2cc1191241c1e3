"""Closed-loop load: a fixed number of prepared requests over a few keep-alive connections."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.http_client import Connection, HttpError


@dataclass
class LoadResult:
    requests: int
    wall: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    client_cpu: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.wall if self.wall > 0 else 0.0


def _worker(port: int, raw: bytes, count: int, result: LoadResult, lock: threading.Lock) -> None:
    connection = Connection(port)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors: list[str] = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            try:
                statuses[connection.request(raw).status] += 1
            except HttpError as exc:  # the server is in trouble: stop this connection
                errors.append(str(exc))
                break
            latencies.append(time.perf_counter() - started)
    finally:
        connection.close()
        with lock:
            result.statuses.update(statuses)
            result.latencies += latencies
            result.errors += errors


def closed_loop(port: int, raw: bytes, total: int, concurrency: int) -> LoadResult:
    """Send ``raw`` ``total`` times over ``concurrency`` connections, each waiting for its
    answer before sending the next; returns the wall time and what came back."""
    result = LoadResult(requests=total, wall=0.0)
    lock = threading.Lock()
    shares = [
        total // concurrency + (1 if n < total % concurrency else 0) for n in range(concurrency)
    ]
    threads = [
        threading.Thread(target=_worker, args=(port, raw, share, result, lock), daemon=True)
        for share in shares
    ]
    cpu0, started = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.wall = time.perf_counter() - started
    result.client_cpu = time.process_time() - cpu0
    return result


@dataclass
class Sent:
    scheduled: float  # perf_counter when it was due
    started: float = 0.0  # perf_counter when sending began
    answered: float = 0.0  # perf_counter when the answer was read (0: no answer)
    status: int = 0


def _paced_worker(
    port: int, requests: list[bytes], sent: list[Sent], claim: Callable[[], int]
) -> None:
    connection = Connection(port)
    try:
        while (index := claim()) < len(requests):
            item = sent[index]
            delay = item.scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            item.started = time.perf_counter()
            try:
                item.status = connection.request(requests[index]).status
                item.answered = time.perf_counter()
            except HttpError:  # the server is in trouble: stop this sender
                item.status = -1
                break
    finally:
        connection.close()


def open_loop(port: int, requests: list[bytes], rate: float, senders: int = 4) -> list[Sent]:
    """Send ``requests`` in order at a steady ``rate`` per second (each at its own time,
    whatever happened to the ones before it), over ``senders`` keep-alive connections."""
    start = time.perf_counter() + 0.05
    sent = [Sent(scheduled=start + n / rate) for n in range(len(requests))]
    lock = threading.Lock()
    counter = iter(range(len(requests) + senders))

    def claim() -> int:
        with lock:
            return next(counter)

    threads = [
        threading.Thread(target=_paced_worker, args=(port, requests, sent, claim), daemon=True)
        for _ in range(senders)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sent
