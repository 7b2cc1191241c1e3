"""Helpdesk ticket metrics (SPEC §4 support metrics, seed 002): tickets per 100 orders and
the where-is-my-parcel share.

Pure: counts come in, figures go out. The definitions, as the read API states them:

- A ticket is *where-is-my-parcel* (WISMO) when its category, normalised (``wismo_key``:
  lower-cased, every run of spaces, ``_`` and ``-`` one space, trimmed of spaces and of
  ``?!.`` at either end), is one of ``WISMO_CATEGORIES``: the names helpdesks and shops
  commonly give the "where is my order?" question and its neighbours (order, shipping and
  delivery status, tracking). So ``Where_Is_My_Order``, ``where-is-my-order`` and ``Where
  is my order?`` are all one category. The tickets view applies the same rule in SQL
  (``SEPARATORS``, ``EDGES``). Changing either changes the published ``tickets`` view, so it
  comes with a new ``ENGINE_VERSION`` (processors/projections/engine.py), which rebuilds
  every shop's views.
- Tickets per 100 orders: the period's tickets per 100 of the period's paid orders, 2
  decimals; ``None`` without paid orders.
- WISMO share: the period's WISMO tickets as a share of the period's tickets, 0..1 with 4
  decimals; ``None`` without tickets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WISMO_CATEGORIES: tuple[str, ...] = (  # normalised (``wismo_key``)
    "where is my order",
    "where is my parcel",
    "where is my package",
    "wismo",
    "order status",
    "shipping status",
    "delivery status",
    "order tracking",
    "tracking",
    "shipping",
    "delivery",
)
# what ``wismo_key`` collapses to one space (an RE2 and Python regular expression alike)
# and strips at either end; the tickets view passes them to DuckDB
SEPARATORS = r"[\t\n\v\f\r _-]+"
EDGES = " ?!."
PER_ORDERS = 100
RATE_DIGITS = 2
SHARE_DIGITS = 4
_SEPARATORS = re.compile(SEPARATORS)


def wismo_key(category: str) -> str:
    """``category`` as WISMO_CATEGORIES spell it: lower-cased, separators collapsed."""
    return _SEPARATORS.sub(" ", category.lower()).strip(EDGES)


def is_wismo(category: str) -> bool:
    """Whether a ticket of ``category`` asks where the parcel is (see ``wismo_key``)."""
    return wismo_key(category) in WISMO_CATEGORIES


@dataclass(frozen=True)
class TicketMetrics:
    """The period's ticket figures."""

    tickets: int
    tickets_per_100_orders: float | None
    wismo_share: float | None


def ticket_metrics(tickets: int, wismo_tickets: int, paid_orders: int) -> TicketMetrics:
    """The figures of a period with ``tickets`` (``wismo_tickets`` of them WISMO) and
    ``paid_orders`` paid orders."""
    if not 0 <= wismo_tickets <= tickets or paid_orders < 0:
        raise ValueError("counts must satisfy 0 <= wismo_tickets <= tickets, paid_orders >= 0")
    per_100 = round(PER_ORDERS * tickets / paid_orders, RATE_DIGITS) if paid_orders else None
    share = round(wismo_tickets / tickets, SHARE_DIGITS) if tickets else None
    return TicketMetrics(tickets=tickets, tickets_per_100_orders=per_100, wismo_share=share)
