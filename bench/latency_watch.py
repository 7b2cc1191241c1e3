"""Watching the read API for orders: when each expected order id first shows up.

A watcher polls one ``/orders`` listing sorted by ``-order_id`` (``If-None-Match``: a 304
costs the server little) and notes, for each order id it waits for, the moment
(``perf_counter``) the answer that first showed it was read. New orders have the highest
ids, and so do the orders last moved to a status the listing filters on (updates move
recent orders on oldest first), so what a publish adds is near the top: the watcher reads
further pages only while the next one may still hold an id it awaits.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from typing import Any

from bench.http_client import Connection, HttpError, build_request

POLL_SECONDS = 0.02
PAGE = 250
MAX_PAGES = 40


class Watcher(threading.Thread):
    """Polls ``/orders?{query}&sort=-order_id`` and records when each of ``wanted`` was
    first seen (perf_counter); stops when all are seen or when told to."""

    def __init__(
        self,
        port: int,
        shop: dict[str, Any],
        wanted: Iterable[int],
        query: str = "",
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        super().__init__(daemon=True)
        self.wanted = frozenset(wanted)
        self.seen: dict[int, float] = {}
        self.changes: list[float] = []  # when a poll showed new ids (a new publish)
        self.polls = 0
        self.answers: list[float] = []  # seconds each 200 answer took (304s are cheap)
        self.errors: list[str] = []
        self._port, self._poll_seconds = port, poll_seconds
        self._path = f"/api/v1/shops/{shop['shop_id']}/orders"
        self._query = (query + "&" if query else "") + f"sort=-order_id&per_page={PAGE}"
        self._auth = {"Authorization": f"Bearer {shop['api_token']}"}
        self._etag = ""
        self._halt = threading.Event()
        self._connection = Connection(port)

    def stop(self) -> None:
        self._halt.set()

    def run(self) -> None:
        try:
            while not self._halt.is_set() and len(self.seen) < len(self.wanted):
                try:
                    self._poll()
                except (HttpError, ValueError, KeyError) as exc:
                    self.errors.append(f"{type(exc).__name__}: {exc}")
                self._halt.wait(self._poll_seconds)
        finally:
            self._connection.close()

    def _get(self, page: int, etag: str = "") -> tuple[int, dict[str, Any], str]:
        headers = self._auth | ({"If-None-Match": etag} if etag else {})
        target = f"{self._path}?{self._query}&page={page}"
        asked = time.perf_counter()
        response = self._connection.request(build_request("GET", self._port, target, headers))
        self.polls += 1
        if response.status == 200:
            self.answers.append(time.perf_counter() - asked)
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
        while self._note(body, now) and page < MAX_PAGES:
            page += 1
            status, body, _ = self._get(page)

    def _note(self, body: dict[str, Any], now: float) -> bool:
        """Record the wanted ids of a page (the shop's other orders are not ours); True
        when the next page may hold wanted ids not seen yet: the page was full and its
        lowest id is above the lowest id still awaited (a batch's deliveries are
        shuffled, so one publish can show ids below others a former publish showed)."""
        rows = body.get("data", [])
        new = [
            row["order_id"]
            for row in rows
            if row["order_id"] in self.wanted and row["order_id"] not in self.seen
        ]
        for order_id in new:
            self.seen[order_id] = now
        if new and (not self.changes or self.changes[-1] != now):
            self.changes.append(now)
        awaited = min(self.wanted - self.seen.keys(), default=None)
        return len(rows) == PAGE and awaited is not None and rows[-1]["order_id"] > awaited
