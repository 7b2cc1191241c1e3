"""Small pieces of WooCommerce REST bodies that products, customers and orders share."""

from __future__ import annotations

SHOP_URL = "https://demo.wcpulse.local/"
API_URL = SHOP_URL + "wp-json/wc/v3/"


def money(cents: int) -> str:
    """Cents as WooCommerce's money string: ``1290`` -> ``"12.90"``, ``-500`` -> ``"-5.00"``."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def links(path: str, collection: str) -> dict:
    return {
        "self": [{"href": API_URL + path}],
        "collection": [{"href": API_URL + collection}],
    }


def image(image_id: int, slug: str, created: str, created_gmt: str) -> dict:
    return {
        "id": image_id,
        "date_created": created,
        "date_created_gmt": created_gmt,
        "date_modified": created,
        "date_modified_gmt": created_gmt,
        "src": f"{SHOP_URL}wp-content/uploads/demo/{slug}.jpg",
        "name": slug,
        "alt": "",
    }


def address(person: dict[str, str], *, with_email: bool) -> dict[str, str]:
    """A billing (``with_email``) or shipping address from a person's details."""
    fields = {
        "first_name": person["first_name"],
        "last_name": person["last_name"],
        "company": "",
        "address_1": person["address_1"],
        "address_2": "",
        "city": person["city"],
        "state": person["state"],
        "postcode": person["postcode"],
        "country": person["country"],
    }
    if with_email:
        fields["email"] = person["email"]
    fields["phone"] = person["phone"] if with_email else ""
    return fields
