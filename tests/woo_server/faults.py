"""Faults a test injects into the local WooCommerce server, and what it counts.

Thread-safe: tests arm faults from their own thread while the server answers in others.
A planned fault (``fail``, ``timeout``) applies to the next ``times`` matching requests
(``times=None``: every one, until ``clear``); ``slow`` delays every matching request.
Paths are matched against the request path without the query string.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Plan:
    kind: str  # "fail" or "timeout"
    times: int | None
    path_contains: str | None
    status: int = 0
    seconds: float = 0.0
    retry_after: str | None = None

    def matches(self, path: str) -> bool:
        return self.path_contains is None or self.path_contains in path


@dataclass(frozen=True)
class Failure:
    status: int
    retry_after: str | None


@dataclass(frozen=True)
class Decision:
    """What to do with one request: wait ``delay`` seconds, then fail or answer."""

    delay: float = 0.0
    failure: Failure | None = None


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._plans: list[_Plan] = []
        self._slow: list[tuple[float, str | None]] = []
        self._plain = False
        self._read_only = False
        self._strip_authorization = False
        self._pages: dict[tuple[str, int], list[Callable[[], object]]] = {}
        self._counts: Counter[str] = Counter()

    # -- arming -------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        times: int | None = 1,
        path_contains: str | None = None,
        *,
        retry_after: int | str | None = None,
    ) -> None:
        """Answer ``status`` (500, 502, 503, 429, or 401/403/404 with WordPress' bodies),
        with a ``Retry-After`` header when given."""
        after = None if retry_after is None else str(retry_after)
        plan = _Plan("fail", times, path_contains, status=status, retry_after=after)
        with self._lock:
            self._plans.append(plan)

    def timeout(
        self, seconds: float, times: int | None = 1, path_contains: str | None = None
    ) -> None:
        """Sleep ``seconds`` (make it longer than the client's timeout) before answering."""
        with self._lock:
            self._plans.append(_Plan("timeout", times, path_contains, seconds=seconds))

    def slow(self, seconds: float, path_contains: str | None = None) -> None:
        """Delay every matching request by ``seconds``, until ``clear``."""
        with self._lock:
            self._slow.append((seconds, path_contains))

    def plain_permalinks(self, on: bool = True) -> None:
        """Every ``/wp-json/...`` answers 404 ``rest_no_route``, as with Plain permalinks."""
        with self._lock:
            self._plain = on

    def read_only(self, on: bool = True) -> None:
        """The key has Read permission only: writes answer 401 as WooCommerce does."""
        with self._lock:
            self._read_only = on

    def strip_authorization(self, on: bool = True) -> None:
        """Ignore the Authorization header, as some hosts do (CGI/FastCGI set-ups): only
        ``consumer_key``/``consumer_secret`` query parameters authenticate."""
        with self._lock:
            self._strip_authorization = on

    def on_page(
        self, resource: str, page: int, callback: Callable[[], object], *, times: int = 1
    ) -> None:
        """Run ``callback()`` when page ``page`` of ``resource`` (a path under
        ``/wp-json/wc/v3/``, e.g. ``"orders"``) is requested, before that page is built.
        Runs ``times`` times (once by default)."""
        with self._lock:
            self._pages.setdefault((resource.strip("/"), page), []).extend([callback] * times)

    def clear(self) -> None:
        """Disarm every fault (counters stay)."""
        with self._lock:
            self._plans.clear()
            self._slow.clear()
            self._pages.clear()
            self._plain = self._read_only = self._strip_authorization = False

    # -- what the server asks -------------------------------------------------------------

    def decide(self, path: str) -> Decision:
        """Count the request and take the first matching planned fault."""
        with self._lock:
            self._counts[path] += 1
            delay = sum(seconds for seconds, part in self._slow if part is None or part in path)
            for plan in self._plans:
                if plan.matches(path):
                    self._use(plan)
                    if plan.kind == "timeout":
                        return Decision(delay + plan.seconds)
                    return Decision(delay, Failure(plan.status, plan.retry_after))
            return Decision(delay)

    def _use(self, plan: _Plan) -> None:
        if plan.times is None:
            return
        plan.times -= 1
        if plan.times <= 0:
            self._plans.remove(plan)

    def page_callbacks(self, resource: str, page: int) -> list[Callable[[], object]]:
        with self._lock:
            waiting = self._pages.get((resource, page))
            return [waiting.pop(0)] if waiting else []

    @property
    def is_plain_permalinks(self) -> bool:
        return self._plain

    @property
    def is_read_only(self) -> bool:
        return self._read_only

    @property
    def strips_authorization(self) -> bool:
        return self._strip_authorization

    def sleep(self, seconds: float) -> None:
        """Wait, but wake at once when the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def start(self) -> None:
        """The server (re)starts: ``sleep`` sleeps again."""
        self._stopping.clear()

    def stop(self) -> None:
        """The server stops: wake every request still sleeping in a fault."""
        self._stopping.set()

    # -- counters ---------------------------------------------------------------------------

    def requests(self, path_contains: str | None = None) -> int:
        """Requests received (faulty ones included) whose path contains ``path_contains``."""
        with self._lock:
            counted = self._counts.items()
            return sum(n for path, n in counted if not path_contains or path_contains in path)

    @property
    def counts(self) -> dict[str, int]:
        """Requests received per path."""
        with self._lock:
            return dict(self._counts)
