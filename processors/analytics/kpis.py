"""KPI values and their comparison with the previous period (SPEC §3, seed 001).

Pure: totals come in already aggregated (the read API sums them in DuckDB); here is the
money arithmetic (Decimal, 2 places) and the change maths, ``null`` when the base is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

KPI_NAMES: tuple[str, ...] = (
    "revenue",
    "refunds",
    "net_revenue",
    "orders",
    "aov",
    "customers",
    "new_customers",
)

Number = Decimal | int


def money(value: Decimal | int | str | None) -> Decimal:
    """A money amount rounded half-up to cents; ``None`` (an empty sum) is 0.00."""
    if value is None:
        return ZERO
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KpiTotals:
    """Sums over the sale orders of one period."""

    revenue: Decimal = ZERO  # sum of order totals
    refunds: Decimal = ZERO  # sum of refunds on those orders
    net_revenue: Decimal = ZERO  # revenue - refunds
    orders: int = 0
    customers: int = 0  # distinct customers with a sale order in the period
    new_customers: int = 0  # customers whose first sale order falls in the period

    @property
    def aov(self) -> Decimal | None:
        return average_order_value(self.net_revenue, self.orders)

    def values(self) -> dict[str, Number | None]:
        return {name: getattr(self, name) for name in KPI_NAMES}


@dataclass(frozen=True)
class Comparison:
    value: Number | None
    previous: Number | None
    change: Number | None
    change_pct: float | None  # percent, 2 decimals; None when the base is 0 or missing


def average_order_value(net_revenue: Decimal, orders: int) -> Decimal | None:
    """Net revenue per sale order; ``None`` without orders."""
    if orders == 0:
        return None
    return money(Decimal(net_revenue) / orders)


def percent_change(value: Number, base: Number) -> float | None:
    """(value - base) / |base| in percent, rounded to 2 places; ``None`` when base is 0."""
    if base == 0:
        return None
    ratio = (Decimal(value) - Decimal(base)) * 100 / abs(Decimal(base))
    return float(ratio.quantize(CENT, rounding=ROUND_HALF_UP))


def compare(value: Number | None, previous: Number | None) -> Comparison:
    """One KPI against its previous-period value."""
    if value is None or previous is None:
        return Comparison(value, previous, None, None)
    return Comparison(value, previous, value - previous, percent_change(value, previous))


def compare_totals(current: KpiTotals, previous: KpiTotals) -> dict[str, Comparison]:
    """Every KPI of ``current`` compared with ``previous``, in ``KPI_NAMES`` order."""
    now, before = current.values(), previous.values()
    return {name: compare(now[name], before[name]) for name in KPI_NAMES}
