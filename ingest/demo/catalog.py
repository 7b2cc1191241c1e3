"""The demo shop's catalogue as it changes over the year: prices, sales, stock, bodies.

Simple products and variations are ``Item``s (what a line item can point at); variable
parents only carry their variations. Every change a webhook would report comes out as a
``(at, topic, body)`` triple with the product as the REST API shows it at that moment.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass, field

from ingest.demo.render import image, links, money
from ingest.demo.shop_calendar import DAY, ShopCalendar

Outgoing = tuple[int, str, dict]
CATEGORY_IDS = {"Kawa": 15, "Herbata": 16, "Parzenie": 17, "Akcesoria": 18, "Prezenty": 19}
_TRENDING_DAYS = 21


class IdSequence:
    """An auto-increment column: WordPress post ids are shared by products, images, orders
    and refunds, so the ids a resource gets are increasing but not contiguous."""

    def __init__(self, first: int, skip_rate: float = 0.0) -> None:
        self._next = first
        self._skip_rate = skip_rate

    def take(self, rng: random.Random) -> int:
        if self._skip_rate and rng.random() < self._skip_rate:
            self._next += rng.randint(1, 3)
        value = self._next
        self._next += 1
        return value


@dataclass
class Item:
    id: int
    name: str
    slug: str
    sku: str
    category: str
    regular: int
    cost: int | None
    restock_to: int | None
    season: str
    popularity: float
    image_id: int
    parent: Parent | None = None
    option: str = ""
    sale: int | None = None
    stock: int | None = None
    total_sales: int = 0
    created: int = 0
    modified: int = 0
    cost_meta_id: int = 0
    restock_pending: bool = False

    @property
    def price(self) -> int:
        return self.sale if self.sale is not None else self.regular


@dataclass
class Parent:
    id: int
    name: str
    slug: str
    sku: str
    category: str
    attribute: str
    image_id: int
    variations: list[Item] = field(default_factory=list)
    created: int = 0
    modified: int = 0


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class Catalog:
    def __init__(self, cal: ShopCalendar, items: list[Item], parents: list[Parent]) -> None:
        self.cal = cal
        self.items = items
        self.parents = parents

    def pick(self, rng: random.Random, ts: int, count: int) -> list[tuple[Item, int]]:
        """Up to ``count`` distinct in-stock items with quantities, by demand at ``ts``."""
        month = self.cal.local_month(ts)
        trending = ts >= self.cal.end - _TRENDING_DAYS * DAY
        weights = [_demand(item, month, trending) for item in self.items]
        chosen: list[tuple[Item, int]] = []
        for _ in range(count):
            if not any(weights):
                break
            index = rng.choices(range(len(self.items)), weights)[0]
            weights[index] = 0.0
            item = self.items[index]
            quantity = rng.choices((1, 2, 3), (0.8, 0.15, 0.05))[0]
            chosen.append((item, quantity if item.stock is None else min(quantity, item.stock)))
        return chosen

    def sell(self, item: Item, quantity: int) -> bool:
        """Take ``quantity`` out of stock; True when the item should now be reordered."""
        item.total_sales += quantity
        if item.stock is None or item.restock_to is None:
            return False
        item.stock -= quantity
        if item.restock_pending or item.stock > item.restock_to // 5:
            return False
        item.restock_pending = True
        return True

    def restock(self, item: Item, ts: int) -> Outgoing:
        item.restock_pending = False
        item.stock = item.restock_to
        return self.updated(item, ts)

    def reprice(self, item: Item, ts: int, kind: str, value: int) -> Outgoing:
        """``kind``: "regular" (new regular price), "sale" (``value`` percent off) or
        "sale_end"."""
        if kind == "regular":
            item.regular = value
        elif kind == "sale":
            item.sale = max(item.regular * (100 - value) // 10_000 * 100 - 1, 1)
        else:
            item.sale = None
        return self.updated(item, ts)

    def updated(self, item: Item, ts: int) -> Outgoing:
        item.modified = max(ts, item.modified + 1)
        return item.modified, "product.updated", self.item_body(item)

    def item_body(self, item: Item) -> dict:
        body = _product_base(self.cal, item, item.category, "simple")
        if item.parent is not None:
            body |= _variation_fields(item, item.parent)
        body |= _price_fields(item.price, item.regular, item.sale)
        body |= _stock_fields(item.stock, item.total_sales)
        if item.cost is not None:
            body["meta_data"] = [
                {"id": item.cost_meta_id, "key": "_wc_cog_cost", "value": money(item.cost)}
            ]
        return body

    def parent_body(self, parent: Parent) -> dict:
        body = _product_base(self.cal, parent, parent.category, "variable")
        lowest = min(item.price for item in parent.variations)
        body |= _price_fields(lowest, None, None)
        body["attributes"] = [
            {
                "id": 0,
                "name": parent.attribute,
                "position": 0,
                "visible": True,
                "variation": True,
                "options": [item.option for item in parent.variations],
            }
        ]
        body["variations"] = [item.id for item in parent.variations]
        return body


def _demand(item: Item, month: int, trending: bool) -> float:
    if item.stock is not None and item.stock <= 0:
        return 0.0
    factor = 1.0
    if item.season == "summer":
        factor = 2.5 if month in (6, 7, 8) else 0.5
    elif item.season == "winter":
        factor = 3.5 if month in (11, 12) else 0.4
    elif item.season == "trending":
        factor = 6.0 if trending else 1.0
    return item.popularity * factor


def _product_base(cal: ShopCalendar, thing: Item | Parent, category: str, kind: str) -> dict:
    created, created_gmt = cal.wc_dates(thing.created)
    modified, modified_gmt = cal.wc_dates(thing.modified)
    return {
        "id": thing.id,
        "name": thing.name,
        "slug": thing.slug,
        "permalink": f"https://demo.wcpulse.local/product/{thing.slug}/",
        "date_created": created,
        "date_created_gmt": created_gmt,
        "date_modified": modified,
        "date_modified_gmt": modified_gmt,
        "type": kind,
        "status": "publish",
        "featured": False,
        "catalog_visibility": "visible",
        "description": f"<p>{thing.name}. Wysy\u0142ka w 24 h.</p>\n",
        "short_description": "",
        "sku": thing.sku,
        "purchasable": True,
        "virtual": False,
        "downloadable": False,
        "tax_status": "taxable",
        "tax_class": "",
        "manage_stock": False,
        "stock_quantity": None,
        "stock_status": "instock",
        "backorders": "no",
        "shipping_required": True,
        "parent_id": 0,
        "categories": [{"id": CATEGORY_IDS[category], "name": category, "slug": slugify(category)}],
        "tags": [],
        "images": [image(thing.image_id, thing.slug, created, created_gmt)],
        "attributes": [],
        "variations": [],
        "menu_order": 0,
        "meta_data": [],
        "_links": links(f"products/{thing.id}", "products"),
    }


def _variation_fields(item: Item, parent: Parent) -> dict:
    return {
        "type": "variation",
        "parent_id": parent.id,
        "permalink": f"https://demo.wcpulse.local/product/{parent.slug}/"
        f"?attribute_{slugify(parent.attribute)}={slugify(item.option)}",
        "attributes": [{"id": 0, "name": parent.attribute, "option": item.option}],
        "_links": links(f"products/{parent.id}/variations/{item.id}", "products"),
    }


def _price_fields(price: int, regular: int | None, sale: int | None) -> dict:
    amount = (
        '<span class="woocommerce-Price-amount amount"><bdi>'
        + money(price).replace(".", ",")
        + '&nbsp;<span class="woocommerce-Price-currencySymbol">&#122;&#322;</span></bdi></span>'
    )
    return {
        "price": money(price),
        "regular_price": money(regular) if regular is not None else "",
        "sale_price": money(sale) if sale is not None else "",
        "on_sale": sale is not None,
        "price_html": amount,
    }


def _stock_fields(stock: int | None, total_sales: int) -> dict:
    if stock is None:
        return {"total_sales": total_sales}
    return {
        "total_sales": total_sales,
        "manage_stock": True,
        "stock_quantity": max(stock, 0),
        "stock_status": "instock" if stock > 0 else "outofstock",
        "low_stock_amount": None,
    }
