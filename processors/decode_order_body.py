"""What of a WooCommerce order body ``normalise_order`` reads, as msgspec structs typed the
way WooCommerce sends it (processors/decode_order.py builds the event from them).

msgspec fills these straight from the JSON text and skips every other field unparsed (but
checked: the text must still be JSON). A field of another JSON type than these (a ``billing``
that is a string, a ``quantity`` that is ``true``) fails the decoding, and the body goes the
old way. Integers carry the range processors/bounds.py allows (ids ``0..MAX_ID``, counts
``-MAX_COUNT..MAX_COUNT``), so one outside it fails here too, as it does there; ids and counts
also arrive as strings and floats, which the decoder hands to bounds.py's own functions.
Missing fields default to what ``body.get`` gives the normaliser (None, 0 where that is what
bounds.py makes of None).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from processors.bounds import MAX_COUNT, MAX_ID

Text = str | None
Id = Annotated[int, msgspec.Meta(ge=0, le=MAX_ID)] | str | float | None
Count = Annotated[int, msgspec.Meta(ge=-MAX_COUNT, le=MAX_COUNT)] | str | float | None
CustomerId = Annotated[int, msgspec.Meta(le=MAX_ID)] | str | float | None  # < 0: a guest
Money = str | int | float | None
PhpEmpty = dict[str, Any] | None  # PHP writes an empty list as {}; any other object: refused
NULL = msgspec.Raw(b"null")


class Billing(msgspec.Struct, gc=False):
    email: Text = None
    first_name: Text = None
    last_name: Text = None
    phone: Text = None
    country: Text = None


class LineItemBody(msgspec.Struct, gc=False):
    id: Id = 0
    product_id: Id = 0
    variation_id: Id = 0
    name: Text = None
    sku: Text = None
    quantity: Count = 0
    subtotal: Money = None
    total: Money = None
    price: Money = None


class RefundBody(msgspec.Struct, gc=False):
    id: Id = 0
    total: Money = None
    reason: Text | msgspec.UnsetType = msgspec.UNSET  # absent: the old key ``refund``
    refund: Text = None


class CouponLineBody(msgspec.Struct, gc=False):
    code: Text = None
    discount: Money = None


class MetaBody(msgspec.Struct, gc=False):
    key: Any = None
    value: msgspec.Raw = NULL  # parsed only for a key that mentions consent or tracking


class OrderBody(msgspec.Struct, gc=False):
    id: Annotated[int, msgspec.Meta(gt=0, le=MAX_ID)]  # resource_id: else unprocessable
    number: Text = None
    status: Text = None
    currency: Text = None
    customer_id: CustomerId = 0
    billing: Billing | list[Any] | None = None  # PHP's empty array: []
    date_created_gmt: Text = None
    date_modified_gmt: Text = None
    date_paid_gmt: Text = None
    date_completed_gmt: Text = None
    total: Money = None
    shipping_total: Money = None
    total_tax: Money = None
    discount_total: Money = None
    payment_method: Text = None
    line_items: list[LineItemBody] | PhpEmpty = None
    refunds: list[RefundBody] | PhpEmpty = None
    coupon_lines: list[CouponLineBody] | PhpEmpty = None
    meta_data: list[MetaBody] | PhpEmpty = None


decode_order_body = msgspec.json.Decoder(OrderBody).decode
