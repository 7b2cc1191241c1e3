"""A client for a shop's WooCommerce REST API v3: reads everything, writes only webhooks.

- Basic auth over HTTPS; ``query_auth=True`` sends ``consumer_key``/``consumer_secret`` as
  query parameters instead, for hosts that strip the Authorization header.
- Timeouts, connection errors, 429 (honouring ``Retry-After``, capped) and 5xx are retried
  with exponential backoff and jitter; 4xx never are and map at once to a ``WooError``
  naming the fix (``ingest/rest/errors.py``). A POST is retried only when the shop surely
  did not act on it (no connection, 429, 503).
- ``iter_pages`` learns ``X-WP-TotalPages`` from the first page, then keeps up to
  ``concurrency`` pages in flight and yields them in order.
- Logs are structlog events with the host and API path only: never a query string (it may
  hold the secret), a key, a secret or a body.
- ``ingest/rest/wire.py`` checks the base URL, writes the query values and reads the
  response's headers.
"""

from __future__ import annotations

import random
import ssl
import time
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

from ingest.rest.errors import (
    RestApiNotFound,
    WooBadResponse,
    WooError,
    WooTimeout,
    WooUnavailable,
    certificate_error,
    error_for_body,
    error_for_status,
)
from ingest.rest.wire import checked_base_url, int_header, json_or_none, query_params, retry_after

log = structlog.get_logger(__name__)

API_PREFIX = "/wp-json/wc/v3"
PER_PAGE = 100
MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 60.0
USER_AGENT = "wcpulse/0.1 (WooCommerce REST importer)"
_RETRYABLE = (WooTimeout, WooUnavailable)
_NOT_ACTED_ON = (429, 503)  # statuses after which even a POST can safely be sent again


@dataclass(frozen=True)
class _Failure:
    error: WooError
    unsent: bool  # the shop surely did not act on the request: even a POST may be re-sent
    retry_after: float | None = None


@dataclass(frozen=True)
class Page:
    items: list[dict]  # decoded JSON objects of this page
    page: int
    total: int  # X-WP-Total (or len(items) if absent)
    total_pages: int  # X-WP-TotalPages (if absent: page + 1 after a full page, else page)


class WooClient:
    """One shop's REST API. Thread-safe; close it (or use it as a context manager)."""

    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        allow_http: bool = False,
        query_auth: bool = False,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        concurrency: int = 4,
        verify: bool | str = True,
    ) -> None:
        self._base = checked_base_url(base_url, allow_http)
        self._host = urlsplit(self._base).netloc
        self._timeout = timeout
        self._retries = max(0, retries)
        self._backoff = backoff
        self._concurrency = max(1, concurrency)
        self._auth_params = {}
        if query_auth:
            self._auth_params = {"consumer_key": consumer_key, "consumer_secret": consumer_secret}
        self._http = httpx.Client(
            auth=None if query_auth else httpx.BasicAuth(consumer_key, consumer_secret),
            timeout=httpx.Timeout(timeout),
            verify=ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify,
            limits=httpx.Limits(max_connections=self._concurrency + 2),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
        )

    def __enter__(self) -> WooClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def check(self) -> None:
        """Raise the ``WooError`` that explains why importing from this shop cannot work."""
        index = self.get("")
        if not isinstance(index, dict) or index.get("namespace") != "wc/v3":
            raise RestApiNotFound(
                f"{self._host}{API_PREFIX} answered, but not as the WooCommerce REST API"
            )
        self.get("orders", {"per_page": 1, "_fields": "id"})

    def get(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        return self._decode(self._send("GET", path, params, None), path)

    def post(self, path: str, body: dict) -> Any:
        return self._decode(self._send("POST", path, None, body), path)

    def put(self, path: str, body: dict) -> Any:
        return self._decode(self._send("PUT", path, None, body), path)

    def delete(self, path: str, params: Mapping[str, object] | None = None) -> Any:
        return self._decode(self._send("DELETE", path, params, None), path)

    def iter_pages(
        self, path: str, params: Mapping[str, object] | None = None, start_page: int = 1
    ) -> Iterator[Page]:
        """Every page of a collection from ``start_page``, in order. ``per_page`` defaults
        to 100. Stops after the last page (``X-WP-TotalPages``, re-read on every page) or at
        the first empty page."""
        query = {"per_page": PER_PAGE, **(params or {})}
        first = self._fetch_page(path, query, start_page)
        if not first.items:
            return
        yield first
        yield from self._following_pages(path, query, first)

    def _following_pages(self, path: str, query: dict, first: Page) -> Iterator[Page]:
        last, following = first.total_pages, first.page + 1
        in_flight: deque[Future[Page]] = deque()
        pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="woo-page")
        try:
            while True:
                while len(in_flight) < self._concurrency and following <= last:
                    in_flight.append(pool.submit(self._fetch_page, path, query, following))
                    following += 1
                if not in_flight:
                    return
                page = in_flight.popleft().result()
                if not page.items:
                    return
                yield page
                last = max(last, page.total_pages)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def _fetch_page(self, path: str, query: Mapping[str, object], number: int) -> Page:
        response = self._send("GET", path, {**query, "page": number}, None)
        items = self._decode(response, path)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise WooBadResponse(f"{self._where(path)} did not return a list of objects")
        full = len(items) >= int(str(query["per_page"]))
        total = int_header(response, "X-WP-Total")
        pages = int_header(response, "X-WP-TotalPages")
        if pages is None:
            pages = number + 1 if full else number
        return Page(items, number, len(items) if total is None else total, pages)

    def _send(
        self, method: str, path: str, params: Mapping[str, object] | None, body: dict | None
    ) -> httpx.Response:
        query = query_params(params) + list(self._auth_params.items())
        url = self._base + API_PREFIX + (f"/{path.strip('/')}" if path.strip("/") else "")
        request = self._http.build_request(method, url, params=query, json=body)
        repeatable = method in ("GET", "PUT", "DELETE")
        attempt = 0
        while True:
            outcome = self._attempt(request, path)
            if isinstance(outcome, httpx.Response):
                return outcome
            retryable = isinstance(outcome.error, _RETRYABLE) and (repeatable or outcome.unsent)
            if not retryable or attempt >= self._retries:
                raise outcome.error
            self._pause(attempt, outcome, path)
            attempt += 1

    def _attempt(self, request: httpx.Request, path: str) -> httpx.Response | _Failure:
        try:
            response = self._http.send(request)
        except httpx.TimeoutException as exc:
            cause = f"{self._where(path)} did not answer within {self._timeout:g} s"
            return _Failure(WooTimeout(cause), isinstance(exc, httpx.ConnectTimeout))
        except httpx.TransportError as exc:
            certificate = certificate_error(exc, self._host)
            if certificate is not None:
                return _Failure(certificate, True)
            cause = f"Could not connect to {self._host} ({type(exc).__name__})"
            return _Failure(WooUnavailable(cause), isinstance(exc, httpx.ConnectError))
        error = self._status_error(response, path)
        if error is None:
            return response
        unsent = response.status_code in _NOT_ACTED_ON
        return _Failure(error, unsent, retry_after(response))

    def _pause(self, attempt: int, failure: _Failure, path: str) -> None:
        if failure.retry_after is None:
            ceiling = min(MAX_BACKOFF_SECONDS, self._backoff * 2**attempt)
            delay = random.uniform(ceiling / 2, ceiling)
        else:
            delay = min(failure.retry_after, MAX_RETRY_AFTER_SECONDS)
        log.warning(
            "woo_request_retry",
            host=self._host,
            path=path,
            attempt=attempt + 1,
            status=failure.error.status,
            error=type(failure.error).__name__,
            delay_s=round(delay, 3),
        )
        time.sleep(delay)

    def _status_error(self, response: httpx.Response, path: str) -> WooError | None:
        if response.status_code < 300:
            return None
        return error_for_status(
            response.status_code,
            json_or_none(response),
            where=self._where(path),
            index=not path.strip("/"),
            location=response.headers.get("Location"),
        )

    def _decode(self, response: httpx.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            content_type = response.headers.get("Content-Type", "")
            where, index = self._where(path), not path.strip("/")
            raise error_for_body(response.content, content_type, where=where, index=index) from None

    def _where(self, path: str) -> str:
        return f"{self._host}{API_PREFIX}/{path.strip('/')}".rstrip("/")
