"""What happens to each demo order after checkout: payment, fulfilment, refunds, trash.

Each purchase occasion becomes one or two ``OrderPlan``s whose ``steps`` are the changes a
webhook reports (``order.created``, ``order.updated``..., maybe ``order.deleted``), each at
least a second after the one before, as WooCommerce would move the order along.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ingest.demo.people import Person
from ingest.demo.shop_calendar import DAY, HOUR, MINUTE, ShopCalendar

METHODS = ("przelewy24", "stripe", "ppcp-gateway", "bacs", "cod")
METHOD_WEIGHTS = (0.45, 0.2, 0.15, 0.12, 0.08)
INSTANT_METHODS = METHODS[:3]  # the gateway confirms payment within a minute
FAILED_SHARE, ABANDONED_SHARE = 0.025, 0.015  # of purchase occasions
RETRY_AFTER_FAILURE = 0.6
BACS_NEVER_PAID = 0.1
PARTIAL_REFUND, FULL_REFUND = 0.03, 0.02
TRASHED_SHARE = 0.15  # of failed and cancelled orders
REASONS = ("", "", "", "Damaged in transit", "Customer changed their mind", "Wrong item sent")


@dataclass(frozen=True)
class Step:
    ts: int
    topic: str
    status: str


@dataclass
class RefundPlan:
    ts: int
    share: float  # of the order total; 1.0 = whatever is still unrefunded
    reason: str
    id: int = 0
    cents: int = 0


@dataclass
class OrderPlan:
    person: Person
    created: int
    method: str
    steps: list[Step] = field(default_factory=list)
    paid_at: int | None = None
    completed_at: int | None = None
    refunds: list[RefundPlan] = field(default_factory=list)
    reserves_stock: bool = True

    def then(self, delay: int, topic: str, status: str) -> int:
        ts = (self.steps[-1].ts if self.steps else self.created) + max(delay, 1)
        self.steps.append(Step(ts, topic, status))
        return ts


def plan_occasion(
    rng: random.Random, cal: ShopCalendar, person: Person, ts: int
) -> list[OrderPlan]:
    roll = rng.random()
    if roll < FAILED_SHARE:
        plans = [_unpaid(rng, cal, person, ts, "failed")]
        if rng.random() < RETRY_AFTER_FAILURE:
            plans.append(_paid(rng, cal, person, ts + rng.randint(3 * MINUTE, 20 * MINUTE)))
        return plans
    if roll < FAILED_SHARE + ABANDONED_SHARE:
        return [_unpaid(rng, cal, person, ts, "cancelled")]
    return [_paid(rng, cal, person, ts)]


def _unpaid(rng: random.Random, cal: ShopCalendar, person: Person, ts: int, end: str) -> OrderPlan:
    """A card payment that was declined, or a checkout left unpaid until WooCommerce
    cancelled it (after holding the stock for an hour)."""
    plan = OrderPlan(person, ts, rng.choice(INSTANT_METHODS), reserves_stock=False)
    plan.then(rng.randint(1, 5), "order.created", "pending")
    wait = rng.randint(30, 300) if end == "failed" else HOUR + rng.randint(0, 15 * MINUTE)
    plan.then(wait, "order.updated", end)
    _maybe_trash(rng, cal, plan)
    return plan


def _paid(rng: random.Random, cal: ShopCalendar, person: Person, ts: int) -> OrderPlan:
    plan = OrderPlan(person, ts, rng.choices(METHODS, METHOD_WEIGHTS)[0])
    if plan.method == "bacs":
        plan.then(rng.randint(1, 5), "order.created", "on-hold")
        if rng.random() < BACS_NEVER_PAID:
            plan.then(_business_delay(rng, cal, plan, 7 * DAY), "order.updated", "cancelled")
            _maybe_trash(rng, cal, plan)
            return plan
        wait = _business_delay(rng, cal, plan, rng.randint(DAY, 3 * DAY))
        plan.paid_at = plan.then(wait, "order.updated", "processing")
    elif plan.method == "cod":
        plan.then(rng.randint(1, 5), "order.created", "processing")
    else:
        _instant_checkout(rng, plan)
    _fulfil(rng, cal, plan)
    return plan


def _instant_checkout(rng: random.Random, plan: OrderPlan) -> None:
    """The gateway confirms within a minute or so; when the webhook is sent after that, its
    ``order.created`` body already shows the paid order."""
    if rng.random() < 0.85:
        plan.paid_at = plan.created + rng.randint(15, 60)
        plan.then(plan.paid_at - plan.created + rng.randint(1, 5), "order.created", "processing")
        return
    plan.then(rng.randint(1, 5), "order.created", "pending")
    plan.paid_at = plan.then(rng.randint(30, 300), "order.updated", "processing")


def _fulfil(rng: random.Random, cal: ShopCalendar, plan: OrderPlan) -> None:
    """Shipped (completed) in working hours a day or two later, unless refunded first."""
    roll = rng.random()
    if roll < FULL_REFUND * 0.3 and plan.paid_at is not None:
        _refund(rng, cal, plan, rng.randint(2 * HOUR, 36 * HOUR), 1.0)
        return
    wait = _business_delay(rng, cal, plan, int(rng.lognormvariate(3.0, 0.7) * HOUR))
    plan.completed_at = plan.then(wait, "order.updated", "completed")
    if plan.method == "cod":
        plan.paid_at = plan.completed_at
    if roll < FULL_REFUND:
        if rng.random() < 0.25:
            _refund(rng, cal, plan, rng.randint(3 * DAY, 20 * DAY), rng.uniform(0.2, 0.5))
        _refund(rng, cal, plan, rng.randint(2 * DAY, 20 * DAY), 1.0)
    elif roll < FULL_REFUND + PARTIAL_REFUND:
        _refund(rng, cal, plan, rng.randint(2 * DAY, 30 * DAY), rng.uniform(0.1, 0.5))


def _refund(
    rng: random.Random, cal: ShopCalendar, plan: OrderPlan, after: int, share: float
) -> None:
    status = "refunded" if share >= 1.0 else plan.steps[-1].status
    ts = plan.then(_business_delay(rng, cal, plan, after), "order.updated", status)
    plan.refunds.append(RefundPlan(ts, share, rng.choice(REASONS)))


def _maybe_trash(rng: random.Random, cal: ShopCalendar, plan: OrderPlan) -> None:
    if rng.random() < TRASHED_SHARE:
        plan.then(
            _business_delay(rng, cal, plan, rng.randint(DAY, 30 * DAY)), "order.deleted", "trash"
        )


def _business_delay(rng: random.Random, cal: ShopCalendar, plan: OrderPlan, delay: int) -> int:
    """The delay from the last step to the first working-hours moment ``delay`` later."""
    last = plan.steps[-1].ts
    return cal.business_time(rng, last + delay) - last
