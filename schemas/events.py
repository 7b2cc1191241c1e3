"""Normalised events: what processors make of a WooCommerce body (wire name ``wcpulse.*.v1``).

Every change carries a ``Version``: ``date_modified_gmt`` of the body and a hash of the body
to break ties. State keeps, per resource, the greatest version seen, so applying the same
events twice or in another order gives the same state. ``*Trashed`` events (from
``*.deleted`` deliveries, which carry only the id) are versioned by the time we received
them and kept apart from the payload, so a late, older payload never un-trashes a resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from schemas.alerts import Alert


@dataclass(frozen=True, slots=True, order=True)
class Version:
    at: datetime
    body_hash: str


@dataclass(frozen=True, slots=True)
class LineItem:
    line_id: int
    product_id: int
    variation_id: int
    name: str
    sku: str
    quantity: int
    subtotal: Decimal
    total: Decimal
    price: Decimal


@dataclass(frozen=True, slots=True)
class Refund:
    refund_id: int
    amount: Decimal  # positive
    reason: str


@dataclass(frozen=True, slots=True)
class OrderChanged:
    order_id: int
    version: Version
    number: str
    status: str
    currency: str
    customer_id: int
    email: str
    first_name: str
    last_name: str
    phone: str
    country: str
    created_at: datetime
    paid_at: datetime | None
    completed_at: datetime | None
    total: Decimal
    subtotal: Decimal
    shipping: Decimal
    tax: Decimal
    discount: Decimal
    payment_method: str
    items: tuple[LineItem, ...]
    refunds: tuple[Refund, ...]
    coupons: tuple[str, ...]
    consents: str = ""  # JSON object of the consent meta entries (see schemas.shop)
    coupon_discounts: tuple[Decimal, ...] = ()  # per coupon of ``coupons``, before tax
    tracking: str = ""  # JSON object of the tracking numbers in meta (see schemas.tracking)

    @property
    def refunds_total(self) -> Decimal:
        return sum((r.amount for r in self.refunds), Decimal("0"))


@dataclass(frozen=True, slots=True)
class CustomerChanged:
    customer_id: int
    version: Version
    email: str
    first_name: str
    last_name: str
    phone: str
    country: str
    created_at: datetime | None
    role: str
    consents: str = ""  # JSON object of the consent meta entries (see schemas.shop)


STOCK_STATUSES: tuple[str, ...] = ("instock", "outofstock", "onbackorder")  # WooCommerce's own


@dataclass(frozen=True, slots=True)
class ProductChanged:
    product_id: int
    version: Version
    parent_id: int
    type: str
    name: str
    sku: str
    status: str
    price: Decimal | None
    regular_price: Decimal | None
    sale_price: Decimal | None
    stock_quantity: int | None
    manage_stock: bool
    cost: Decimal | None
    categories: tuple[str, ...]
    stock_status: str = ""  # one of STOCK_STATUSES, or "" when WooCommerce sent none we know


@dataclass(frozen=True, slots=True)
class CouponChanged:
    coupon_id: int
    version: Version
    code: str
    discount_type: str
    amount: Decimal
    usage_count: int


@dataclass(frozen=True, slots=True)
class RefundItem:
    """A refunded line: WooCommerce sends negative quantity and total, kept here positive."""

    product_id: int
    variation_id: int
    quantity: int  # positive units returned
    total: Decimal  # positive


@dataclass(frozen=True, slots=True)
class RefundChanged:
    """A refund as ``GET /wc/v3/refunds`` lists it (refunds are immutable: versioned by
    ``date_created_gmt`` and the body hash). Net revenue still comes from the order's own
    ``refunds[]``; this is the detail behind it (which products came back)."""

    refund_id: int
    version: Version
    order_id: int  # 0 when the body names no order
    amount: Decimal  # positive
    reason: str
    created_at: datetime
    items: tuple[RefundItem, ...]


@dataclass(frozen=True, slots=True)
class TicketChanged:
    """A helpdesk ticket (``POST /webhooks/tickets/<shop>``, SPEC §4 support metrics).

    ``ticket_id`` is the helpdesk's id as text (an integer id as its digits); the state keys
    tickets by ``ticket_key``, a BIGINT: the id itself when it is the canonical digits of an
    integer 0..2^63-1, else a stable negative hash of the text (processors/normalise_tickets.py).
    Tickets are facts of their creation: versioned by ``created_at`` and the body hash."""

    ticket_key: int
    ticket_id: str
    version: Version
    order_id: int
    category: str  # lower-cased, trimmed; "" when the body has none
    status: str  # lower-cased, trimmed; "" when the body has none
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ResourceTrashed:
    """``order|customer|product|coupon|refund.deleted``: only the id is known."""

    resource: str
    resource_id: int
    at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryNoted:
    """A delivery kept in the raw log that changes no resource: ``action.*`` or a REST error."""

    kind: str  # "action" or "error"
    topic: str
    code: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ScoresRequested:
    """``job.rfm``: rescore every customer as of ``as_of`` (recency moves with time) and
    record who changed segment. Kept in the raw log, so replay rescores at the same points."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "rfm"


@dataclass(frozen=True, slots=True)
class ProductsRequested:
    """``job.products``: score every product against the whole shop as of ``as_of``, keep
    what they were ranked against and fit each product's price elasticity."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "products"


@dataclass(frozen=True, slots=True)
class RetentionRequested:
    """``job.retention``: drop from the raw log the events received before the shop's
    retention window that the state no longer stands on (``processors/retention.py``)."""

    as_of: date  # a day in the shop's timezone
    at: datetime
    job: ClassVar[str] = "retention"


@dataclass(frozen=True, slots=True)
class ErasureRequested:
    """``job.erase`` or ``customer.deleted``: erase one customer's personal data everywhere."""

    customer_key: str
    erasure_id: str  # names the anonymous customer that keeps the erased orders' amounts
    at: datetime
    job: ClassVar[str] = "erase"


@dataclass(frozen=True, slots=True)
class PredictionsRequested:
    """``job.clv`` (refit BG/NBD, Gamma-Gamma and MBG/NBD on the orders up to ``as_of``),
    ``job.churn`` (record the churn levels of ``as_of`` in the timeline) or ``job.backtest``
    (fit up to 180 days before ``as_of``, compare the prediction with what happened)."""

    job: str  # clv, churn, backtest
    as_of: date  # a day in the shop's timezone
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertJobRequested:
    """``job.alerts`` (evaluate the scheduled alert conditions: the sales drop up to the day
    before ``as_of``, the orders overdue at ``at``) or ``job.fulfillment`` (only the paid
    orders overdue at ``at``: fulfillment_delayed), each at the shop's next live publish; or
    ``job.digests`` (send the daily and weekly digests now: the warnings and info alerts not
    e-mailed yet, whatever the time of day)."""

    job: str  # alerts, fulfillment, digests
    as_of: date  # a day in the shop's timezone
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertsRaised:
    """``job.alerts_raised``: alerts a live publish raised, logged as a fact of the stream
    (a replay restores them and raises none of its own)."""

    alerts: tuple[Alert, ...]
    at: datetime
    health_seen: tuple[tuple[str, str], ...] = ()  # (cause, noted at) checked with them
    job: ClassVar[str] = "alerts_raised"


@dataclass(frozen=True, slots=True)
class AlertAcknowledged:
    """``job.acknowledge_alert``: someone with the admin token acknowledged an alert."""

    alert_id: int
    at: datetime
    job: ClassVar[str] = "acknowledge_alert"


@dataclass(frozen=True, slots=True)
class HealthNoted:
    """``job.health_noted``: a problem of the shop's pipeline found outside its processor
    (``cause``: webhook_disabled, gaps_repaired), raised as pipeline_health at the next
    live publish."""

    cause: str
    count: int
    detail: str
    at: datetime
    job: ClassVar[str] = "health_noted"


ControlEvent = (
    ScoresRequested
    | ErasureRequested
    | PredictionsRequested
    | ProductsRequested
    | RetentionRequested
    | AlertJobRequested
    | AlertsRaised
    | AlertAcknowledged
    | HealthNoted
)
Event = (
    OrderChanged
    | CustomerChanged
    | ProductChanged
    | CouponChanged
    | RefundChanged
    | TicketChanged
    | ResourceTrashed
    | DeliveryNoted
    | ControlEvent
)
# each has ``job``
CONTROL_EVENTS = (
    ScoresRequested,
    ErasureRequested,
    PredictionsRequested,
    ProductsRequested,
    RetentionRequested,
    AlertJobRequested,
    AlertsRaised,
    AlertAcknowledged,
    HealthNoted,
)
