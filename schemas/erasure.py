"""A GDPR erasure's tombstone: who was erased, by ids and address hashes only.

It travels between the processor (which scrubs envelopes with it), the shop state (the
``erasures`` table) and the ledger beside the raw log.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

ERASED_DOMAIN = "erased.invalid"


@dataclass(frozen=True)
class Erasure:
    """A tombstone: who was erased, by hashes and ids only (never the address itself)."""

    erasure_id: str
    customer_key: str
    customer_id: int  # 0: not a registered customer
    email_sha256: frozenset[str]
    order_ids: frozenset[int]
    erased_at: datetime

    @property
    def found(self) -> bool:
        return bool(self.email_sha256 or self.order_ids)

    @property
    def address(self) -> str:
        return erased_email(self.erasure_id)

    def merged(self, other: Erasure | None) -> Erasure:
        if other is None:
            return self
        return replace(
            self,
            customer_id=self.customer_id or other.customer_id,
            email_sha256=self.email_sha256 | other.email_sha256,
            order_ids=self.order_ids | other.order_ids,
        )


def erased_email(erasure_id: str) -> str:
    return f"erased-{erasure_id}@{ERASED_DOMAIN}"
