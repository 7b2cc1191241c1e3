"""A generated catalogue: products (simple and variable with variations) and coupons."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tests.woo_server.shapes import (
    Sellable,
    coupon_body,
    dates,
    money,
    product_body,
    variation_body,
)

DAY = 86_400
SIMPLE_PRODUCTS = 40
VARIABLE_PRODUCTS = 10
SIZES = ("S", "M", "L")
PRICES = (999, 1499, 1999, 2499, 2999, 3999, 4999, 7999, 9999, 14999)
ADJECTIVES = ("Classic", "Organic", "Vintage", "Urban", "Cosy", "Bold", "Alpine", "Coastal")
NOUNS = ("Mug", "Hoodie", "Tote", "Candle", "Notebook", "Cap", "Scarf", "Poster", "Bottle")
COUPONS = (
    ("welcome10", 10), ("spring15", 15), ("summer20", 20), ("vip25", 25), ("flash30", 30),
    ("blackfriday40", 40), ("newsletter5", 5), ("loyal12", 12), ("sorry10", 10), ("bundle8", 8),
)  # fmt: skip
UNSOLD_STATUSES = {5: "draft", 17: "private"}  # product index -> status (never sold)


@dataclass
class Catalog:
    products: dict[int, dict[str, Any]] = field(default_factory=dict)
    variations: dict[int, dict[int, dict[str, Any]]] = field(default_factory=dict)
    coupons: dict[int, dict[str, Any]] = field(default_factory=dict)
    sellables: list[Sellable] = field(default_factory=list)  # most popular first
    coupon_list: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 10


def build_catalog(rng: random.Random, site: str, start: int, now: int) -> Catalog:
    """About 50 products (every fifth variable, with three sizes) and 10 coupons, all
    created before ``start`` and last modified between then and ``now``. ``sellables``
    lists what orders can hold, most popular first."""
    catalog = Catalog()
    for index in range(SIMPLE_PRODUCTS + VARIABLE_PRODUCTS):
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {index + 1}"
        seed = _Seed(index, name, rng.choice(PRICES), start - rng.randrange(DAY, 90 * DAY))
        _add_product(catalog, rng, site, seed, rng.randrange(start, now))
    rng.shuffle(catalog.sellables)
    for code, percent in COUPONS:
        created = start - rng.randrange(DAY, 60 * DAY)
        catalog.coupons[catalog.next_id] = coupon_body(
            site, catalog.next_id, code, percent, created
        )
        catalog.next_id += 1
    catalog.coupon_list = list(catalog.coupons.values())
    return catalog


@dataclass(frozen=True)
class _Seed:
    index: int
    name: str
    price: int  # cents
    created: int

    @property
    def status(self) -> str:
        return UNSOLD_STATUSES.get(self.index, "publish")


def _add_product(
    catalog: Catalog, rng: random.Random, site: str, seed: _Seed, modified: int
) -> None:
    product_id = catalog.next_id
    catalog.next_id += 1
    fields = _product_fields(rng, seed) | dates("created", seed.created)
    fields |= dates("modified", modified)
    if seed.index % 5 == 4:
        ids = _add_variations(catalog, site, product_id, seed)
        fields |= {"type": "variable", "variations": ids, "attributes": [_size_attribute()]}
        fields |= {"manage_stock": False, "stock_quantity": None}
    elif seed.status == "publish":
        catalog.sellables.append(Sellable(product_id, 0, seed.name, fields["sku"], seed.price))
    catalog.products[product_id] = product_body(site, product_id, fields)


def _product_fields(rng: random.Random, seed: _Seed) -> dict[str, Any]:
    stocked = rng.random() < 0.5
    cost = [
        {"id": 9000 + seed.index, "key": "_wc_cog_cost", "value": money(seed.price * 45 // 100)}
    ]
    category = seed.index % 4
    return {
        "name": seed.name,
        "slug": seed.name.lower().replace(" ", "-"),
        "type": "simple",
        "status": seed.status,
        "sku": f"SKU-{seed.index + 1:03d}",
        "price": money(seed.price),
        "regular_price": money(seed.price),
        "sale_price": "",
        "total_sales": 0,
        "manage_stock": stocked,
        "stock_quantity": rng.randrange(0, 200) if stocked else None,
        "categories": [
            {"id": 9 + category, "name": f"Category {category}", "slug": f"c{category}"}
        ],
        "tags": [],
        "attributes": [],
        "default_attributes": [],
        "variations": [],
        "meta_data": cost if rng.random() < 0.6 else [],
    }


def _add_variations(catalog: Catalog, site: str, parent_id: int, seed: _Seed) -> list[int]:
    made: dict[int, dict[str, Any]] = {}
    for offset, size in enumerate(SIZES):
        variation_id = catalog.next_id
        catalog.next_id += 1
        cents = seed.price + offset * 200
        sku = f"SKU-{parent_id}-{size}"
        fields = {"sku": sku, "price": money(cents), "regular_price": money(cents)}
        fields |= {"status": "publish", "attributes": [{"id": 1, "name": "Size", "option": size}]}
        fields |= dates("created", seed.created) | dates("modified", seed.created)
        made[variation_id] = variation_body(site, parent_id, variation_id, fields)
        if seed.status == "publish":
            name = f"{seed.name} - {size}"
            catalog.sellables.append(Sellable(parent_id, variation_id, name, sku, cents, seed.name))
    catalog.variations[parent_id] = made
    return list(made)


def _size_attribute() -> dict[str, Any]:
    attribute = {"id": 1, "name": "Size", "position": 0, "visible": True}
    return attribute | {"variation": True, "options": list(SIZES)}
