"""The demo year replayed in time order, so that ids, prices and stock are right at each
moment: orders get the next post id and today's prices and take stock; refunds get ids as
they happen; prices change on schedule; low stock is reordered and restocked days later."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterable
from typing import cast

from ingest.demo.catalog import Catalog, IdSequence, Item, Outgoing
from ingest.demo.lifecycle import OrderPlan, RefundPlan
from ingest.demo.orders import PlacedOrder, place_order, settle_refunds
from ingest.demo.shop_calendar import DAY, ShopCalendar

STOCK_REPORT_GAP = 14 * DAY  # at most one stock-only product.updated per product per 2 weeks
RESTOCK_LEAD_DAYS = (3, 10)


class Timeline:
    def __init__(self, rng: random.Random, catalog: Catalog, ids: dict[str, IdSequence]) -> None:
        self.rng, self.catalog, self.ids = rng, catalog, ids
        self.cal: ShopCalendar = catalog.cal
        self.placed: list[PlacedOrder] = []
        self.outgoing: list[Outgoing] = []
        self._heap: list[tuple[int, int, str, object]] = []
        self._order_of_push = itertools.count()
        self._handlers: dict[str, Callable[[int, object], None]] = {
            "order": self._order,
            "refund": self._refund,
            "price": self._price,
            "restock": self._restock,
        }

    def push(self, ts: int, kind: str, payload: object) -> None:
        heapq.heappush(self._heap, (ts, next(self._order_of_push), kind, payload))

    def run(self, plans: Iterable[OrderPlan], prices: Iterable[tuple[int, Item, str, int]]) -> None:
        for plan in plans:
            self.push(plan.created, "order", plan)
        for change in prices:
            self.push(change[0], "price", change)
        while self._heap:
            ts, _, kind, payload = heapq.heappop(self._heap)
            self._handlers[kind](ts, payload)

    def _order(self, ts: int, payload: object) -> None:
        assert isinstance(payload, OrderPlan)
        order = place_order(self.rng, payload, self.catalog, self.ids)
        settle_refunds(order)
        self.placed.append(order)
        for refund in payload.refunds:
            self.push(refund.ts, "refund", refund)
        if payload.reserves_stock:
            self._take_stock(ts, order)

    def _take_stock(self, ts: int, order: PlacedOrder) -> None:
        for line in order.money.lines:
            item = line.item
            if self.catalog.sell(item, line.quantity):
                lead = self.rng.randint(*RESTOCK_LEAD_DAYS) * DAY
                self.push(self.cal.business_time(self.rng, ts + lead), "restock", item)
            elif item.stock is None or ts - item.modified < STOCK_REPORT_GAP:
                continue
            self.outgoing.append(self.catalog.updated(item, ts + 1))

    def _refund(self, ts: int, payload: object) -> None:
        assert isinstance(payload, RefundPlan)
        payload.id = self.ids["posts"].take(self.rng)

    def _price(self, ts: int, payload: object) -> None:
        _, item, kind, value = cast(tuple[int, Item, str, int], payload)
        self.outgoing.append(self.catalog.reprice(item, ts, kind, value))

    def _restock(self, ts: int, payload: object) -> None:
        assert isinstance(payload, Item)
        self.outgoing.append(self.catalog.restock(payload, ts))
