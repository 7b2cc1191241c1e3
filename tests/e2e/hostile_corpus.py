"""The hostile-input corpus of issue 10: named cases, each one signed delivery for shop A,
and the good deliveries of the stream around them.

A case allows some outcomes: ``refused`` (a 4xx in the JSON error shape), ``dead-lettered``
(a 2xx, then in the dead letters with a reason naming ``hint``, never the personal value nor
a "delivery limit"), ``inert`` (a 2xx that changes nothing: the test checks what it would
have changed), ``applied`` (a 2xx and visible in the API: odd but valid data only). Bodies
are encoded as PHP does; what Python cannot encode (``NaN``, ``1e999``, deep nesting, bad
UTF-8) is a placeholder swapped for the raw bytes after encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from ingest.demo.phpjson import php_json_encode
from tests import woo_payloads as woo

REFUSED, DEAD_LETTERED, INERT, APPLIED = "refused", "dead-lettered", "inert", "applied"
BAD = frozenset({REFUSED, DEAD_LETTERED})
INTERNAL = frozenset({REFUSED, DEAD_LETTERED, INERT})
ODD_BUT_VALID = frozenset({REFUSED, DEAD_LETTERED, APPLIED})

HOSTILE_EMAIL, HOSTILE_NAME = "mallory.hostile@example.com", "Mallory"  # never in a reason
TARGET_OF_FAKE_ERASE = "501"  # a real customer of A that a webhook with topic job.erase names
FAKE_ERASURE_ID = "0badc0de0badc0de"
# the fake jobs' as_of, after the scheduler's (today): if any of them ran, the API shows it
MARKER_DAY = date(date.today().year + 5, 5, 17).isoformat()
_RAW, _DEEP = "@@raw-literal@@", 5000  # the placeholder; levels of the deep nesting


@dataclass(frozen=True)
class Case:
    name: str
    klass: str
    topic: str
    body: bytes
    allowed: frozenset[str] = BAD
    hint: str | None = None  # a word the dead-letter reason must contain
    order_id: int | None = None  # the order it would show as, if it were applied
    customer_key: str | None = None  # the customer it would show as, if it were applied


@dataclass(frozen=True)
class Verdict:
    outcome: str
    problem: str | None  # None: an outcome the case allows, with everything it must have


def _path_set(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    target = body
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return body


def encode(body: Any, raw: bytes | None = None) -> bytes:
    """``body`` as PHP encodes it; the placeholder string, if any, replaced by ``raw``."""
    encoded = php_json_encode(body)
    return encoded if raw is None else encoded.replace(f'"{_RAW}"'.encode(), raw)


def hostile_order(order_id: int) -> dict[str, Any]:
    body = woo.order(order_id, email=HOSTILE_EMAIL, total="10.00")
    body["billing"]["first_name"] = HOSTILE_NAME
    return body


def order_case(
    name: str, klass: str, base_id: int, path: tuple[Any, ...], value: Any, **options: Any
) -> Case:
    """An order whose ``path`` holds ``value``; with ``raw=b"..."`` and no value, these
    bytes instead (a value may also hold the placeholder itself, deeper down)."""
    raw = options.pop("raw", None)
    placed = _RAW if raw is not None and value is None else value
    body = _path_set(hostile_order(base_id), path, placed)
    options.setdefault("order_id", base_id)
    return Case(name, klass, "order.created", encode(body, raw), **options)


def _customer(customer_id: Any) -> dict[str, Any]:
    return woo.customer(customer_id, email=HOSTILE_EMAIL, first_name=HOSTILE_NAME)


def _integer_cases() -> list[Case]:
    klass = "integer beyond 64 bits"
    big = 2**64
    return [
        order_case("order id 2**64", klass, 40001, ("id",), big, hint="id", order_id=None),
        order_case("customer_id 2**64+1", klass, 40002, ("customer_id",), big + 1,
                   hint="customer_id"),
        order_case("line item quantity 10**20", klass, 40003, ("line_items", 0, "quantity"),
                   10**20, hint="quantity"),
        order_case("line item product_id -2**63-1", klass, 40004,
                   ("line_items", 0, "product_id"), -(2**63) - 1, hint="product_id"),
        Case("product stock_quantity 2**70", klass, "product.created",
             encode(woo.product(80001, price="5.00", stock_quantity=2**70)),
             hint="stock_quantity"),
        Case("order.deleted of id 2**64", klass, "order.deleted", encode({"id": big}),
             hint="id"),
        Case("customer id 2**65", klass, "customer.created", encode(_customer(2**65)),
             hint="id", customer_key=str(2**65)),
    ]  # fmt: skip


def _money_cases() -> list[Case]:
    klass = "money beyond DECIMAL(18,2)"
    coupon = {"id": 90001, "code": "hostile", "discount_type": "fixed_cart", "amount": "1e20"}
    return [
        order_case('total "1e20"', klass, 40011, ("total",), "1e20", hint="total"),
        order_case('total "99999999999999999.99"', klass, 40012, ("total",),
                   "99999999999999999.99", hint="total"),
        order_case('total "-1e16"', klass, 40013, ("total",), "-1e16", hint="total"),
        order_case('total "1e999999999"', klass, 40014, ("total",), "1e999999999", hint="total"),
        order_case("refund of -1e20", klass, 40015, ("refunds",),
                   [{"id": 4001501, "reason": "", "total": "-1e20"}], hint="refund"),
        order_case("line item price 1e20", klass, 40016, ("line_items", 0, "price"), 1e20,
                   hint="price"),
        Case("coupon amount 1e20", klass, "coupon.created", encode(coupon), hint="amount"),
        Case('product price "1e20"', klass, "product.created",
             encode(woo.product(80002, price="1e20")), hint="price"),
    ]  # fmt: skip


def _date_cases() -> list[Case]:
    klass = "date overflowing UTC"
    early, late = "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"
    customer = _customer(70001)
    customer["date_created_gmt"] = early
    return [
        order_case("date_created_gmt year 1 +01:00", klass, 40021, ("date_created_gmt",),
                   early, hint="date_created"),
        order_case("date_modified_gmt year 9999 -05:00", klass, 40022, ("date_modified_gmt",),
                   late, hint="date_modified"),
        order_case("date_paid_gmt year 9999 -05:00", klass, 40023, ("date_paid_gmt",), late,
                   hint="date_paid"),
        Case("customer date_created_gmt year 1 +01:00", klass, "customer.created",
             encode(customer), hint="date_created", customer_key="70001"),
    ]  # fmt: skip


def _literal_cases() -> list[Case]:
    nested = b"[" * _DEEP + b"]" * _DEEP
    meta = ("meta_data",)
    deep = [{"id": 1, "key": "_hostile", "value": _RAW}]  # the placeholder, deeper down
    return [
        order_case("total 1e999 (a JSON number literal)", "non-finite number", 40031,
                   ("total",), None, raw=b"1e999"),
        order_case("total NaN literal", "non-finite number", 40032, ("total",), None, raw=b"NaN"),
        order_case("discount_total -Infinity literal", "non-finite number", 40033,
                   ("discount_total",), None, raw=b"-Infinity"),
        order_case(f"meta value nested {_DEEP} levels deep", "deep nesting", 40034, meta,
                   deep, raw=nested),
        order_case("invalid UTF-8 byte in the billing first name", "invalid UTF-8", 40035,
                   ("billing", "first_name"), None, raw=b'"Mallory\xff"'),
        Case("empty body", "not a JSON object", "order.created", b""),
        Case("body is a JSON array", "not a JSON object", "order.created",
             encode([hostile_order(40036)])),
    ]  # fmt: skip


def _type_cases() -> list[Case]:
    klass = "wrong type"
    return [
        order_case("billing is a list", klass, 40041, ("billing",), [HOSTILE_EMAIL],
                   hint="billing"),
        order_case("line_items is an object", klass, 40042, ("line_items",),
                   {"0": {"product_id": 93, "quantity": 1}}, hint="line_items"),
        order_case('id is a string "40043"', klass, 40043, ("id",), "40043", hint="id"),
        order_case("id is a float 40044.0", klass, 40044, ("id",), 40044.0, hint="id"),
        order_case("id is true", klass, 40045, ("id",), True, hint="id", order_id=1),
        order_case("id is null", klass, 40046, ("id",), None, hint="id", order_id=None),
        order_case("id is negative", klass, 40047, ("id",), -40047, hint="id", order_id=None),
    ]  # fmt: skip


def _string_cases() -> list[Case]:
    return [
        order_case("lone surrogate in the billing first name", "lone surrogate", 40051,
                   ("billing", "first_name"), HOSTILE_NAME + "\ud800", hint="first_name"),
        Case("lone surrogate in a customer's first name", "lone surrogate", "customer.created",
             encode(woo.customer(70002, email=HOSTILE_EMAIL, first_name="\udfff" + HOSTILE_NAME)),
             hint="first_name", customer_key="70002"),
        order_case("NUL and control characters in the billing last name",
                   "odd but valid strings", 40052, ("billing", "last_name"), "Mal\x00lo\x07ry",
                   allowed=ODD_BUT_VALID),
        order_case("astral-plane, combining and right-to-left text in the last name",
                   "odd but valid strings", 40053, ("billing", "last_name"),
                   "\U0001d4dc\u0061\u0301 \u202e\u05e9\u05dc\u05d5\u05dd \U0001f600",
                   allowed=frozenset({APPLIED})),
    ]  # fmt: skip


def _topic_cases() -> list[Case]:
    erase = {"customer_key": TARGET_OF_FAKE_ERASE, "erasure_id": FAKE_ERASURE_ID}
    rest_error = {"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot view "
                  "this resource.", "data": {"status": 401}}  # fmt: skip
    jobs = [
        Case(f"webhook with internal topic job.{job}", "internal topic", f"job.{job}",
             encode({"as_of": MARKER_DAY}), allowed=INTERNAL)
        for job in ("rfm", "clv", "churn", "backtest")
    ]  # fmt: skip
    return [
        Case("webhook with internal topic job.erase naming a real customer", "internal topic",
             "job.erase", encode(erase), allowed=INTERNAL),
        *jobs,
        Case("REST error object instead of an order", "REST error object", "order.updated",
             encode(rest_error), allowed=INTERNAL),
    ]  # fmt: skip


def hostile_cases() -> list[Case]:
    """The whole corpus, for shop A."""
    groups = (_integer_cases, _money_cases, _date_cases, _literal_cases, _type_cases)
    cases = [case for group in (*groups, _string_cases, _topic_cases) for case in group()]
    assert len({case.name for case in cases}) == len(cases), "case names must be unique"
    return cases


def judge(case: Case, status: int, payload: Any, reason: str | None, visible: bool) -> Verdict:
    """What happened to ``case`` (answered ``status`` with JSON ``payload``; ``reason`` of
    its dead letter, if any; ``visible`` in the API) and what is wrong with that."""
    if 400 <= status < 500:
        return Verdict(REFUSED, _refusal_problem(case, status, payload))
    if not 200 <= status < 300:
        return Verdict(f"answered {status}", f"answered {status}, not a 2xx or a 4xx")
    if reason is not None:
        return Verdict(DEAD_LETTERED, _reason_problem(case, reason))
    if visible:
        return Verdict(APPLIED, _not_allowed(case, APPLIED, "applied: visible in the API"))
    if INERT in case.allowed:
        return Verdict(INERT, None)
    return Verdict("not dead-lettered", f"answered {status}, then neither dead-lettered nor "
                   "visible (applied where the API does not show it, or lost)")  # fmt: skip


def _not_allowed(case: Case, outcome: str, what: str) -> str | None:
    return None if outcome in case.allowed else f"{what}; allowed: {sorted(case.allowed)}"


def _refusal_problem(case: Case, status: int, payload: Any) -> str | None:
    error = payload.get("error") if isinstance(payload, dict) else None
    shaped = isinstance(error, dict) and all(
        isinstance(error.get(key), str) and error[key] for key in ("code", "message")
    )
    if not shaped:
        return f"refused {status} without the JSON error shape: {payload!r:.200}"
    return _not_allowed(case, REFUSED, f"refused {status}")


def _reason_problem(case: Case, reason: str) -> str | None:
    lowered = reason.lower()
    if "delivery limit" in lowered or lowered.startswith("rabbitmq:"):
        return f"dead-lettered without a real reason: {reason!r:.200}"
    if HOSTILE_EMAIL in reason or HOSTILE_NAME in reason:
        return f"the dead-letter reason holds the personal value: {reason!r:.200}"
    if case.hint is not None and case.hint.lower() not in lowered:
        return f"the dead-letter reason does not name {case.hint!r}: {reason!r:.200}"
    return _not_allowed(case, DEAD_LETTERED, "dead-lettered")


@dataclass(frozen=True)
class GoodDelivery:
    label: str  # the shop: A, B or C
    topic: str
    body: bytes
    order_id: int | None  # the order that must become visible, None for a customer


def good_orders(label: str, first_id: int, count: int, customers: int = 10) -> list[GoodDelivery]:
    """``count`` valid orders, ids from ``first_id``, spread over a few customers and days."""
    deliveries = []
    for n in range(count):
        customer_id = n % customers + 1
        body = woo.order(
            first_id + n,
            customer_id=customer_id,
            email=f"{label.lower()}{customer_id}@example.com",
            total=f"{10 + n % 7}.50",
            created=f"2024-01-{n % 28 + 1:02d}T{n % 24:02d}:15:00",
            status="completed" if n % 3 else "processing",
        )
        deliveries.append(GoodDelivery(label, "order.created", encode(body), first_id + n))
    return deliveries


def good_customer_with_orders(customer_id: int, first_id: int, count: int) -> list[GoodDelivery]:
    """A registered customer of A and ``count`` of their orders."""
    email = f"customer{customer_id}@example.com"
    customer = woo.customer(customer_id, email=email, first_name="Grace")
    deliveries = [GoodDelivery("A", "customer.created", encode(customer), None)]
    for n in range(count):
        order = woo.order(first_id + n, customer_id=customer_id, email=email, total="25.00",
                          created=f"2024-02-{n + 1:02d}T09:00:00")  # fmt: skip
        deliveries.append(GoodDelivery("A", "order.created", encode(order), first_id + n))
    return deliveries
