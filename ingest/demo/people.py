"""The demo shop's customers: who they are, where they live, and their customer bodies.

Names and addresses are made up from small built-in lists (with accents, so bodies carry
``\\uXXXX`` escapes); e-mail addresses use the reserved ``example`` domains.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from dataclasses import dataclass, field

from ingest.demo.render import address, links
from ingest.demo.shop_calendar import ShopCalendar

POLISH_WOMEN = (
    "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Magdalena", "Joanna",
    "Zofia", "Julia", "Maja", "Zuzanna", "Aleksandra", "Natalia", "Monika", "Karolina",
)  # fmt: skip
POLISH_MEN = (
    "Piotr", "Krzysztof", "Tomasz", "Paweł", "Michał", "Łukasz", "Jakub", "Mateusz",
    "Kacper", "Wojciech", "Bartłomiej", "Grzegorz", "Jan", "Szymon", "Marek", "Adam",
)  # fmt: skip
# Polish surnames as (his, hers).
POLISH_SURNAMES = (
    ("Nowak", "Nowak"), ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"),
    ("Wójcik", "Wójcik"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"), ("Krawczyk", "Krawczyk"), ("Piotrowski", "Piotrowska"),
    ("Grabowski", "Grabowska"), ("Pawłowski", "Pawłowska"), ("Michalski", "Michalska"),
    ("Król", "Król"), ("Wieczorek", "Wieczorek"), ("Jabłoński", "Jabłońska"),
    ("Wróbel", "Wróbel"), ("Majewski", "Majewska"), ("Olszewski", "Olszewska"),
    ("Stępień", "Stępień"), ("Malinowski", "Malinowska"), ("Dudek", "Dudek"),
    ("Górski", "Górska"), ("Sikora", "Sikora"), ("Walczak", "Walczak"), ("Baran", "Baran"),
)  # fmt: skip
OTHER_FIRST = (
    "Emma", "Liam", "Noah", "Sophie", "Lukas", "Jürgen", "Chloé", "Zoë", "José", "Søren",
    "Tereza", "Jiří", "Lena", "Jonas", "Grace", "Oliver", "Rūta", "Tomas", "Aoife", "Mia",
)  # fmt: skip
OTHER_LAST = (
    "Müller", "Schröder", "Weiß", "Schmidt", "Novák", "Dvořák", "Svoboda", "Smith", "Brown",
    "O'Brien", "Taylor", "Johnson", "Kazlauskas", "Petrauskas", "Garcia", "Núñez",
)  # fmt: skip
# (country, weight, phone pattern, street pattern, streets, ((city, state, postcode), ...))
COUNTRIES = (
    ("PL", 82, "+48 5{d2} {d3} {d3}", "ul. {street} {n}", (
        "Długa", "Floriańska", "Marszałkowska", "Piotrkowska", "Świętojańska", "Mickiewicza",
        "Słowackiego", "Kościuszki", "Lipowa", "Polna"), (
        ("Warszawa", "", "0{a}-{d3}"), ("Kraków", "", "3{a}-{d3}"), ("Wrocław", "", "5{a}-{d3}"),
        ("Poznań", "", "6{a}-{d3}"), ("Gdańsk", "", "80-{d3}"), ("Łódź", "", "9{a}-{d3}"),
        ("Katowice", "", "40-{d3}"), ("Lublin", "", "20-{d3}"), ("Szczecin", "", "70-{d3}"),
        ("Białystok", "", "15-{d3}"))),
    ("DE", 5, "+49 30 {d4}{d3}", "{street}straße {n}", ("Linden", "Berg", "Schiller", "Garten"), (
        ("Berlin", "BE", "10{d3}"), ("München", "BY", "80{d3}"), ("Köln", "NW", "50{d3}"))),
    ("CZ", 4, "+420 6{d2} {d3} {d3}", "{street} {n}", ("Národní", "Vinohradská", "Husova"), (
        ("Praha", "", "1{a}0 00"), ("Brno", "", "60{a} 00"))),
    ("GB", 4, "+44 20 7946 0{d3}", "{n} {street} Road", ("Mill", "Church", "Park", "Station"), (
        ("London", "", "SW1A {a}AA"), ("Manchester", "", "M1 {a}AE"))),
    ("US", 3, "({a}55) 555-{d4}", "{n} {street} St", ("Market", "Oak", "Maple", "Cedar"), (
        ("New York", "NY", "100{d2}"), ("Chicago", "IL", "606{d2}"))),
    ("LT", 2, "+370 6{d2} {d2}{d3}", "{street} g. {n}", ("Gedimino", "Pilies"), (
        ("Vilnius", "", "LT-0{d4}"),)),
)  # fmt: skip
DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com", "post.example.net")
USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
)


@dataclass
class Person:
    """Someone who shops (or only registers). ``registered_at`` is None for a guest who
    never makes an account; ``customer_id`` is 0 until they have one."""

    details: dict[str, str]
    guest: bool
    ip: str
    user_agent: str
    occasions: list[int] = field(default_factory=list)
    registered_at: int | None = None
    full_profile_at_signup: bool = True
    customer_id: int = 0
    paying_since: int | None = None
    orders: int = 0

    @property
    def email(self) -> str:
        return self.details["email"]

    def customer_id_at(self, ts: int) -> int:
        registered = self.registered_at is not None and self.registered_at < ts
        return self.customer_id if registered else 0


def make_person(rng: random.Random, taken: set[str], *, guest: bool) -> Person:
    country, _, phone, street, streets, cities = rng.choices(COUNTRIES, [c[1] for c in COUNTRIES])[
        0
    ]
    first, last = _name(rng, country)
    city, state, postcode = rng.choice(cities)
    details = {
        "first_name": first,
        "last_name": last,
        "email": _unique_email(rng, taken, first, last),
        "phone": _digits(rng, phone),
        "address_1": street.format(n=rng.randint(1, 150), street=rng.choice(streets)),
        "city": city,
        "state": state,
        "postcode": _digits(rng, postcode),
        "country": country,
    }
    ip = f"{rng.choice(('203.0.113', '198.51.100', '192.0.2'))}.{rng.randint(1, 254)}"
    return Person(details, guest, ip, rng.choice(USER_AGENTS))


def _name(rng: random.Random, country: str) -> tuple[str, str]:
    if country != "PL":
        return rng.choice(OTHER_FIRST), rng.choice(OTHER_LAST)
    his, hers = rng.choice(POLISH_SURNAMES)
    if rng.random() < 0.55:
        return rng.choice(POLISH_WOMEN), hers
    return rng.choice(POLISH_MEN), his


def customer_body(cal: ShopCalendar, person: Person, modified: int, *, paying: bool) -> dict:
    """The customer as ``GET /customers/<id>`` returns it when last modified at ``modified``."""
    assert person.registered_at is not None
    created, created_gmt = cal.wc_dates(person.registered_at)
    changed, changed_gmt = cal.wc_dates(modified)
    full = person.full_profile_at_signup or paying
    profile = person.details if full else {key: "" for key in person.details}
    email = person.email
    return {
        "id": person.customer_id,
        "date_created": created,
        "date_created_gmt": created_gmt,
        "date_modified": changed,
        "date_modified_gmt": changed_gmt,
        "email": email,
        "first_name": profile["first_name"],
        "last_name": profile["last_name"],
        "role": "customer",
        "username": email.split("@", 1)[0],
        "billing": address({**profile, "email": email}, with_email=True),
        "shipping": address(profile, with_email=False),
        "is_paying_customer": paying,
        "avatar_url": "https://secure.gravatar.com/avatar/"
        + hashlib.md5(email.lower().encode()).hexdigest()
        + "?s=96&d=mm&r=g",
        "meta_data": consent_meta(person),
        "_links": links(f"customers/{person.customer_id}", "customers"),
    }


def consent_meta(person: Person) -> list[dict]:
    """Marketing consents as a checkout opt-in plugin stores them: about 60% of people
    agree to e-mail and 25% to SMS (derived from the e-mail, so the demo stays the same)."""
    draw = int(hashlib.sha256(person.email.encode()).hexdigest()[:4], 16) / 0xFFFF
    return [
        {
            "id": person.customer_id * 10 + 1,
            "key": "marketing_consent_email",
            "value": "yes" if draw < 0.6 else "no",
        },
        {
            "id": person.customer_id * 10 + 2,
            "key": "marketing_consent_sms",
            "value": "yes" if draw < 0.25 else "no",
        },
    ]


def _ascii(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("'", "")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _unique_email(rng: random.Random, taken: set[str], first: str, last: str) -> str:
    first, last = _ascii(first), _ascii(last)
    pattern = rng.choice(("{f}.{l}", "{f}{l}{n}", "{i}{l}", "{f}_{l}{n}", "{l}.{f}"))
    local = pattern.format(f=first, l=last, i=first[0], n=rng.randint(1, 99))
    domain = rng.choice(DOMAINS)
    email = f"{local}@{domain}"
    while email in taken:
        email = f"{local}{rng.randint(100, 9999)}@{domain}"
    taken.add(email)
    return email


def _digits(rng: random.Random, pattern: str) -> str:
    return pattern.format(
        a=rng.randint(2, 9),
        d2=f"{rng.randint(1, 99):02d}",
        d3=f"{rng.randint(0, 999):03d}",
        d4=f"{rng.randint(0, 9999):04d}",
    )
