"""An order's money in grosze, worked out the way WooCommerce does it for a shop whose
prices include VAT (``prices_include_tax: true``).

The REST API reports line ``subtotal``/``total`` without tax: WooCommerce takes the tax out
of each gross line, and the coupon out of the gross before that. Shipping rates are entered
net and taxed on top. So for every order::

    total = sum(line subtotals) - discount_total + shipping_total + total_tax
    total_tax = cart_tax + shipping_tax

Customers outside the EU pay the same gross prices with no VAT in them (WooCommerce's
default of keeping prices the same for every location).
"""

from __future__ import annotations

from dataclasses import dataclass

from ingest.demo.catalog import Item

VAT_PERCENT = {"PL": 23, "DE": 23, "CZ": 23, "LT": 23}
TAX_RATE_ID, TAX_LABEL, TAX_CODE = 1, "VAT", "PL-VAT-1"
COUPONS = {"witaj10": ("percent", 10), "blackweek": ("percent", 15), "rabat20": ("fixed", 2000)}
FIXED_COUPON_MINIMUM = 12_000
FREE_SHIPPING_FROM = 20_000  # gross, after discount, in Poland
# carrier -> (method_id, title, net rate in grosze)
CARRIERS = {
    "locker": ("easypack_parcel_machines", "InPost Paczkomat 24/7", 1219),
    "courier": ("flat_rate", "Kurier DPD", 1625),
    "pickup": ("local_pickup", "Odbiór osobisty w palarni", 0),
    "free": ("free_shipping", "Darmowa dostawa", 0),
    "eu": ("flat_rate", "Wysyłka zagraniczna (UE)", 3252),
    "world": ("flat_rate", "Wysyłka poza UE", 5900),
}


@dataclass(frozen=True)
class LineMoney:
    item: Item
    quantity: int
    subtotal: int
    total: int
    subtotal_tax: int
    total_tax: int


@dataclass(frozen=True)
class OrderMoney:
    lines: tuple[LineMoney, ...]
    coupon: str
    discount: int
    discount_tax: int
    carrier: str
    shipping: int
    shipping_tax: int
    cart_tax: int
    total: int

    @property
    def items_subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)


def price_order(
    picks: list[tuple[Item, int]], country: str, coupon: str, carrier: str
) -> OrderMoney:
    """``carrier`` is the customer's pick for a Polish address ("locker", "courier",
    "pickup"); free delivery and foreign rates replace it when they apply."""
    gross = [item.price * quantity for item, quantity in picks]
    coupon = coupon if _coupon_applies(coupon, sum(gross)) else ""
    rate = VAT_PERCENT.get(country, 0)
    lines = tuple(
        _line(item, quantity, line_gross, off, rate)
        for (item, quantity), line_gross, off in zip(
            picks, gross, _discounts(gross, coupon), strict=True
        )
    )
    paid_gross = sum(line.total + line.total_tax for line in lines)
    carrier = _carrier(country, carrier, paid_gross)
    shipping = CARRIERS[carrier][2]
    shipping_tax = _tax_on(shipping, rate)
    cart_tax = sum(line.total_tax for line in lines)
    return OrderMoney(
        lines=lines,
        coupon=coupon,
        discount=sum(line.subtotal - line.total for line in lines),
        discount_tax=sum(line.subtotal_tax - line.total_tax for line in lines),
        carrier=carrier,
        shipping=shipping,
        shipping_tax=shipping_tax,
        cart_tax=cart_tax,
        total=paid_gross + shipping + shipping_tax,
    )


def _line(item: Item, quantity: int, gross: int, off: int, rate: int) -> LineMoney:
    subtotal_tax = _tax_in(gross, rate)
    total_tax = _tax_in(gross - off, rate)
    return LineMoney(
        item, quantity, gross - subtotal_tax, gross - off - total_tax, subtotal_tax, total_tax
    )


def _coupon_applies(coupon: str, gross: int) -> bool:
    if not coupon:
        return False
    kind, _ = COUPONS[coupon]
    return kind == "percent" or gross >= FIXED_COUPON_MINIMUM


def _discounts(gross: list[int], coupon: str) -> list[int]:
    """Each line's share of the coupon, in grosze, summing exactly to the discount."""
    if not coupon:
        return [0] * len(gross)
    kind, amount = COUPONS[coupon]
    if kind == "percent":
        return [(line * amount + 50) // 100 for line in gross]
    whole = sum(gross)
    shares = [line * amount // whole for line in gross]
    for index in range(amount - sum(shares)):
        shares[index % len(shares)] += 1
    return shares


def _carrier(country: str, wanted: str, paid_gross: int) -> str:
    if country != "PL":
        return "eu" if country in VAT_PERCENT else "world"
    if wanted != "pickup" and paid_gross >= FREE_SHIPPING_FROM:
        return "free"
    return wanted


def _tax_in(gross: int, rate: int) -> int:
    """The VAT inside a gross amount, rounded half up."""
    return (2 * gross * rate + 100 + rate) // (2 * (100 + rate))


def _tax_on(net: int, rate: int) -> int:
    return (net * rate + 50) // 100
