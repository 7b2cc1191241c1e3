"""What erasing a customer does to the envelopes of the raw log (pure).

For each ``Erasure`` (one per ``job.erase`` or ``customer.deleted``):

- the customer's own records (``customer.*`` bodies and elements of imported customer
  pages with their id or e-mail) are dropped; a ``customer.deleted`` body (only the id)
  stays, it is what replays the erasure;
- their orders (by order id, ``customer_id``, or a guest order's billing e-mail) keep their
  amounts, items and dates but lose the person: names, company, address lines, city,
  postcode, phone, note, IP address, user agent, transaction id and meta data; the billing
  e-mail becomes ``erased-<erasure_id>@erased.invalid`` and ``customer_id`` 0, so revenue
  stays right and the orders belong to one anonymous customer;
- the e-mail address is replaced wherever else it appears (refunds, REST errors, notes).

Our own job envelopes are never changed; a body that cannot be read is scrubbed as text.
A changed body is serialised again and its hash renewed;
an unchanged envelope is returned as the same object.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from msgspec.structs import replace

from processors.email_match import EmailFinder, email_sha256
from schemas.envelope import Envelope, body_hash
from schemas.erasure import Erasure
from schemas.jobs import ALERTS_RAISED
from schemas.jsoncodec import dumps_text, loads

PERSON_FIELDS = frozenset(
    {"first_name", "last_name", "company", "address_1", "address_2", "city", "postcode"}
    | {"phone", "email"}
)
ORDER_PERSON_FIELDS = (
    "customer_note",
    "customer_ip_address",
    "customer_user_agent",
    "transaction_id",
)
_CUSTOMER_KEY = re.compile(r"[1-9][0-9]{0,18}|guest-[0-9a-f]{16}|guest-order-[1-9][0-9]{0,18}")
_IDS = re.compile(r'"id"\s*:\s*"?(\d+)')
_CUSTOMER_IDS = re.compile(r'"customer_id"\s*:\s*"?(\d+)')
# what reading a hostile body can raise (not JSON, nested too deep for the recursion)
_UNREADABLE = (ValueError, RecursionError, OverflowError, TypeError)


def is_customer_key(key: str) -> bool:
    """A key as the views make it: a registered id, ``guest-<16 hex>``, ``guest-order-<id>``."""
    return _CUSTOMER_KEY.fullmatch(key) is not None


def registered_id(key: str) -> int:
    """The customer id of a registered customer's key, 0 for a guest key."""
    return int(key) if key.isdigit() else 0


def anonymise_order(order: dict[str, Any], address: str) -> dict[str, Any]:
    """The order without the person (see the module docstring); amounts untouched. An
    order anonymised already is returned as it is."""
    out = dict(order)
    out["customer_id"] = 0
    for name in ("billing", "shipping"):
        section = order.get(name)
        if isinstance(section, dict):
            out[name] = {k: "" if k in PERSON_FIELDS else v for k, v in section.items()}
    billing = out.get("billing")
    out["billing"] = (billing if isinstance(billing, dict) else {}) | {"email": address}
    for name in ORDER_PERSON_FIELDS:
        if name in out:
            out[name] = ""
    if "meta_data" in out:
        out["meta_data"] = []
    if isinstance(order.get("line_items"), list):
        out["line_items"] = [_without_meta(item) for item in order["line_items"]]
    if isinstance(order.get("_links"), dict):
        out["_links"] = {k: v for k, v in order["_links"].items() if k != "customer"}
    return order if out == order else out


def _without_meta(item: Any) -> Any:
    return item | {"meta_data": []} if isinstance(item, dict) and "meta_data" in item else item


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


class Scrubber:
    """Applies erasures to envelopes (``envelope``); ``emails`` are the plain addresses of
    a live erasure, matched in every spelling."""

    def __init__(self, erasures: Sequence[Erasure], emails: Iterable[str] = ()) -> None:
        hashes = {h: e.address for e in erasures for h in e.email_sha256}
        guests = {e.customer_key: e.address for e in erasures if _is_guest(e.customer_key)}
        plain = {m: hashes[email_sha256(m)] for m in emails if email_sha256(m) in hashes}
        self._finder = EmailFinder(hashes, guests, plain)
        self._orders = {o: e.address for e in erasures for o in e.order_ids}
        self._customers = {e.customer_id: e.address for e in erasures if e.customer_id}
        self._keys = {e.customer_key for e in erasures}

    def __bool__(self) -> bool:
        return bool(self._finder or self._orders or self._customers)

    def envelope(self, envelope: Envelope) -> Envelope | None:
        """The envelope scrubbed, the same object when untouched, None when dropped."""
        if envelope.source == "job":
            return self._alerts(envelope) if envelope.event == ALERTS_RAISED else envelope
        if not self._may_touch(envelope):
            return envelope
        try:
            body = loads(envelope.body)
            scrubbed = self._body(envelope.resource, body)
            if scrubbed is None:
                return None
            scrubbed = self._mentions(scrubbed)
        except _UNREADABLE:  # a body no processor could read: its text is scrubbed
            return _with_body(envelope, self._finder.replace(envelope.body))
        return envelope if scrubbed is body else _with_body(envelope, dumps_text(scrubbed))

    def _alerts(self, envelope: Envelope) -> Envelope:
        """Alerts about an erased customer or one of their orders are dropped; addresses
        left in the others are replaced."""
        try:
            body = loads(envelope.body)
            alerts = body["alerts"]
            kept = [a for a in alerts if not self._about_erased(a)]
        except (*_UNREADABLE, KeyError, TypeError):
            return _with_body(envelope, self._finder.replace(envelope.body))
        scrubbed = self._mentions(kept)
        if len(kept) == len(alerts) and scrubbed is kept and all(map(_same, kept, alerts)):
            return envelope
        return _with_body(envelope, dumps_text(body | {"alerts": scrubbed}))

    def _about_erased(self, alert: dict[str, Any]) -> bool:
        kind, subject = alert.get("subject_kind"), str(alert.get("subject_id", ""))
        if kind == "customer":
            return subject in self._keys or (subject.isdigit() and int(subject) in self._customers)
        return kind == "order" and subject.isdigit() and int(subject) in self._orders

    def _may_touch(self, envelope: Envelope) -> bool:
        """A cheap look at the raw text: can this envelope hold anything erased?"""
        text = envelope.body
        if self._finder.mentions(text):
            return True
        if envelope.resource == "order":
            ids = {int(m) for m in _IDS.findall(text)}
            customers = {int(m) for m in _CUSTOMER_IDS.findall(text)}
            return bool(ids & self._orders.keys() or customers & self._customers.keys())
        if envelope.resource == "customer":
            return bool({int(m) for m in _IDS.findall(text)} & self._customers.keys())
        return False

    def _body(self, resource: str, body: Any) -> Any:
        if isinstance(body, list) and resource in ("order", "customer"):
            elements = [self._resource(resource, element) for element in body]
            kept = [element for element in elements if element is not None]
            if len(kept) == len(body) and all(map(_same, kept, body)):
                return body
            return kept
        return self._resource(resource, body)

    def _resource(self, resource: str, element: Any) -> Any:
        if not isinstance(element, dict):
            return element
        if resource == "order":
            address = self._order_owner(element)
            return element if address is None else anonymise_order(element, address)
        if resource == "customer" and set(element) - {"id"}:
            return None if self._customer_owner(element) else element
        return element

    def _order_owner(self, order: dict[str, Any]) -> str | None:
        by_id = self._orders.get(_int(order.get("id")))
        if by_id is not None:
            return by_id
        customer_id = _int(order.get("customer_id"))
        if customer_id > 0:
            return self._customers.get(customer_id)
        billing = order.get("billing")
        email = billing.get("email") if isinstance(billing, dict) else None
        return self._finder.owner(email) if isinstance(email, str) else None

    def _customer_owner(self, customer: dict[str, Any]) -> str | None:
        by_id = self._customers.get(_int(customer.get("id")))
        if by_id is not None:
            return by_id
        billing = customer.get("billing")
        emails = [customer.get("email"), billing.get("email") if isinstance(billing, dict) else 0]
        owners = [self._finder.owner(e) for e in emails if isinstance(e, str)]
        return next((owner for owner in owners if owner), None)

    def _mentions(self, value: Any) -> Any:
        """``value`` with every known address replaced, the same object when none was."""
        if isinstance(value, str):
            return self._finder.replace(value)
        if isinstance(value, list):
            items = [self._mentions(item) for item in value]
            return value if all(map(_same, items, value)) else items
        if isinstance(value, dict):
            pairs = [(self._mentions(k), self._mentions(v)) for k, v in value.items()]
            same = all(map(_same, pairs, value.items()))
            return value if same else dict(pairs)
        return value


def _same(new: Any, old: Any) -> bool:
    """Untouched: the very same object (a pair: both of its halves)."""
    if isinstance(new, tuple):
        return all(map(_same, new, old))
    return new is old


def _is_guest(key: str) -> bool:
    return key.startswith("guest-") and not key.startswith("guest-order-")


def _with_body(envelope: Envelope, body: str) -> Envelope:
    if body == envelope.body:
        return envelope
    return replace(envelope, body=body, body_sha256=body_hash(body))
