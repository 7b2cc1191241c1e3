"""Generated people: registered customers and guests, with their addresses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from tests.woo_server.shapes import customer_body, dates

FIRST = ("Ada", "Ben", "Chloé", "Dev", "Ewa", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kemi")
LAST = ("Lovelace", "Nowak", "Okafor", "García", "Müller", "Tanaka", "Smith", "Rossi", "Dubois")
DOMAINS = ("example.com", "example.org", "example.net")
# country, state, city, tax rate id, tax rate in basis points, tax label
PLACES = (
    ("US", "CA", "San Francisco", 1, 725, "CA State Tax"),
    ("US", "OR", "Portland", 2, 0, ""),
    ("GB", "", "London", 3, 2000, "VAT"),
    ("DE", "", "Berlin", 4, 1900, "MwSt."),
    ("PL", "", "Kraków", 5, 2300, "VAT"),
    ("CA", "ON", "Toronto", 6, 1300, "HST"),
)


@dataclass(frozen=True)
class Person:
    email: str
    first_name: str
    last_name: str
    billing: dict[str, Any]  # shared by this person's orders: replace, never modify
    shipping: dict[str, Any]
    tax_rate_id: int
    tax_bp: int
    tax_label: str


def make_person(rng: random.Random, number: int, kind: str) -> Person:
    """Someone with an address; ``kind`` ("customer" or "guest") goes into the e-mail."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    email = f"{kind}{number}.{_ascii(last)}@{rng.choice(DOMAINS)}"
    country, state, city, rate_id, rate_bp, label = rng.choice(PLACES)
    address = {"first_name": first, "last_name": last, "company": ""}
    address |= {"address_1": f"{rng.randrange(1, 400)} Market Street", "address_2": ""}
    address |= {"city": city, "state": state, "postcode": f"{rng.randrange(10000, 99999)}"}
    address |= {"country": country}
    phone = f"+1 555 {rng.randrange(1000000, 9999999)}"
    billing = address | {"email": email, "phone": phone}
    return Person(email, first, last, billing, address | {"phone": ""}, rate_id, rate_bp, label)


def customer_from(site: str, customer_id: int, person: Person, span: tuple[int, int]) -> dict:
    """The customer body of a registered ``person``, created ``span[0]`` and last modified
    ``span[1]`` (Unix times)."""
    fields = {
        "email": person.email,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "role": "customer",
        "username": person.email.split("@", 1)[0],
        "billing": person.billing,
        "shipping": person.shipping,
        "is_paying_customer": False,
        "avatar_url": "https://secure.gravatar.com/avatar/?s=96",
    }
    return customer_body(
        site, customer_id, fields | dates("created", span[0]) | dates("modified", span[1])
    )


def administrator(site: str, created: int) -> dict:
    """User 1, the shop's administrator: listed only with ``role=all``."""
    person = Person(
        "admin@example.com", "Shop", "Admin", _blank("admin@example.com"), _blank(None), 0, 0, ""
    )
    body = customer_from(site, 1, person, (created, created))
    return body | {"role": "administrator", "username": "admin"}


def _blank(email: str | None) -> dict[str, Any]:
    keys = ("first_name", "last_name", "company", "address_1", "address_2", "city", "state")
    address: dict[str, Any] = dict.fromkeys((*keys, "postcode", "country", "phone"), "")
    return address | {"email": email} if email is not None else address


def _ascii(name: str) -> str:
    return name.lower().translate(str.maketrans("éüíáó", "euiao"))
