"""Helpdesk ticket bodies -> ``TicketChanged`` (pure; SPEC §4 support metrics).

A ticket body (``POST /webhooks/tickets/<shop>``) is a JSON object::

    {"id": 812 | "ZD-812", "order_id": 1001, "category": "where_is_my_order",
     "created_at": "2024-06-01T10:00:00+02:00", "status": "open"}

``id``, ``order_id`` and ``created_at`` are required: a body without one of them, or with one
of the wrong type, is refused with ``InvalidValue`` naming the field (never its value).
``category`` and ``status`` are optional text, trimmed and lower-cased ("" when missing or
not text). The receiver runs this same normaliser before it answers, so what it accepts the
processor can apply.

The state keys resources by BIGINT, so a ticket's key (``ticket_key``) is its id when the id
is an integer 0..2^63-1 (or the canonical digits of one: ``"812"``, not ``"0812"``), and
otherwise a stable hash of the id's text in the negative half of BIGINT, so the two kinds
never meet. The id itself is kept as text (``ticket_id``).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from processors.bounds import INTEGER_OUT_OF_RANGE, MAX_ID, gmt, text
from processors.errors import InvalidValue
from schemas.events import TicketChanged, Version

MAX_TICKET_ID_LENGTH = 100
MISSING = "missing"
NOT_AN_INTEGER = "not an integer"
NOT_AN_ID = "not an integer or a non-empty string"
TOO_LONG = f"longer than {MAX_TICKET_ID_LENGTH} characters"
NOT_A_TIME = "not an ISO 8601 date and time with an offset"


def ticket_id_of(value: Any) -> str:
    """The ticket's id as text: an integer 0..MAX_ID as its digits, or a non-empty string
    (trimmed, at most ``MAX_TICKET_ID_LENGTH`` characters)."""
    if value is None:
        raise InvalidValue("id", MISSING)
    if type(value) is int:
        if 0 <= value <= MAX_ID:
            return str(value)
        raise InvalidValue("id", INTEGER_OUT_OF_RANGE)
    found = text(value)
    if not found:
        raise InvalidValue("id", NOT_AN_ID)
    if len(found) > MAX_TICKET_ID_LENGTH:
        raise InvalidValue("id", TOO_LONG)
    return found


def ticket_key(ticket_id: str) -> int:
    """The BIGINT the state keys the ticket by (see the module docstring)."""
    if ticket_id.isascii() and ticket_id.isdigit() and str(int(ticket_id)) == ticket_id:
        number = int(ticket_id)
        if number <= MAX_ID:
            return number
    digest = hashlib.sha256(ticket_id.encode()).digest()
    return -1 - (int.from_bytes(digest[:8], "big") & MAX_ID)


def order_id_of(value: Any) -> int:
    """``order_id``: a JSON integer 0..MAX_ID."""
    if value is None:
        raise InvalidValue("order_id", MISSING)
    if type(value) is not int:
        raise InvalidValue("order_id", NOT_AN_INTEGER)
    if not 0 <= value <= MAX_ID:
        raise InvalidValue("order_id", INTEGER_OUT_OF_RANGE)
    return value


def created_at_of(value: Any) -> datetime:
    """``created_at``: ISO 8601 with an offset (``Z`` too), in UTC, within the state's dates."""
    if value is None:
        raise InvalidValue("created_at", MISSING)
    if not isinstance(value, str):
        raise InvalidValue("created_at", NOT_A_TIME)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidValue("created_at", NOT_A_TIME) from None
    if parsed.tzinfo is None:
        raise InvalidValue("created_at", NOT_A_TIME)
    at = gmt(value.strip(), "created_at")  # in UTC; out of EARLIEST..LATEST is refused
    if at is None:  # fromisoformat read it, so gmt does too; kept for the type checker
        raise InvalidValue("created_at", NOT_A_TIME)
    return at


def normalise_ticket(
    body: dict[str, Any], body_sha256: str, received_at: datetime
) -> TicketChanged:
    """A ticket body as the event the state applies; ``received_at`` is not used (a ticket
    is dated by its own ``created_at``), it is the signature every normaliser shares."""
    ticket_id = ticket_id_of(body.get("id"))
    created_at = created_at_of(body.get("created_at"))
    return TicketChanged(
        ticket_key=ticket_key(ticket_id),
        ticket_id=ticket_id,
        version=Version(at=created_at, body_hash=body_sha256),
        order_id=order_id_of(body.get("order_id")),
        category=text(body.get("category")).lower(),
        status=text(body.get("status")).lower(),
        created_at=created_at,
    )
