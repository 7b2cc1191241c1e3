"""What the demo shop sells: a small coffee and tea roastery in Poland.

Prices are gross (VAT included, as Polish shops enter them) and, like costs, in grosze.
``stock`` is the quantity a managed-stock product is restocked to (None: stock not managed);
``cost`` becomes the ``_wc_cog_cost`` meta (None: no cost recorded, so analytics must assume
a margin); ``season`` shapes demand over the year.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from ingest.demo.catalog import Catalog, IdSequence, Item, Outgoing, Parent, slugify
from ingest.demo.shop_calendar import MINUTE, ShopCalendar


@dataclass(frozen=True)
class ProductSpec:
    name: str
    category: str
    price: int
    cost: int | None = None
    stock: int | None = None
    season: str = ""
    popularity: float = 1.0


@dataclass(frozen=True)
class VariableSpec:
    name: str
    category: str
    attribute: str
    options: tuple[tuple[str, int, int | None], ...]  # (option, price, cost)
    popularity: float = 1.0


SIMPLE_PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("Kawa House Blend 250 g", "Kawa", 4900, 1800, 120, popularity=9.0),
    ProductSpec("Espresso Forte 250 g", "Kawa", 5200, 1950, 90, popularity=7.0),
    ProductSpec("Café Crème 250 g", "Kawa", 5000, 1900, popularity=5.0),
    ProductSpec("Etiopia Yirgacheffe 250 g", "Kawa", 6400, 2600, 60, popularity=5.5),
    ProductSpec("Kolumbia Huila 250 g", "Kawa", 5800, 2300, popularity=4.0),
    ProductSpec("Kenia AA 250 g", "Kawa", 7200, 3000, 40, popularity=3.0),
    ProductSpec("Brazylia Cerrado 250 g", "Kawa", 4700, 1700, popularity=3.5),
    ProductSpec("Gwatemala Antigua 250 g", "Kawa", 5900, 2400, popularity=2.5),
    ProductSpec("Sumatra Mandheling 250 g", "Kawa", 6200, None, popularity=2.0),
    ProductSpec("Kawa bezkofeinowa Swiss Water 250 g", "Kawa", 5400, 2200, popularity=2.0),
    ProductSpec("Cold Brew Blend 500 g", "Kawa", 7900, 3100, season="summer", popularity=2.5),
    ProductSpec("Świąteczna mieszanka 250 g", "Kawa", 5600, 2100, 50, "winter", 2.0),
    ProductSpec("Sencha zielona 100 g", "Herbata", 3600, 1200, popularity=2.5),
    ProductSpec("Earl Grey Supreme 100 g", "Herbata", 3200, 1100, popularity=3.0),
    ProductSpec("Matcha ceremonialna 30 g", "Herbata", 8900, 4100, 30, "trending", 1.5),
    ProductSpec("Rooibos waniliowy 100 g", "Herbata", 2900, None, popularity=1.5),
    ProductSpec("Chai Masala 100 g", "Herbata", 3400, 1100, season="winter", popularity=1.5),
    ProductSpec("Jaśminowe perły 50 g", "Herbata", 5400, 2200, popularity=1.0),
    ProductSpec("Czajnik pour-over 1 l", "Parzenie", 18900, 9000, 25, popularity=1.2),
    ProductSpec("Młynek ręczny Pro", "Parzenie", 34900, 18000, 15, popularity=1.0),
    ProductSpec("French press 800 ml", "Parzenie", 12900, 5600, popularity=1.2),
    ProductSpec("Zaparzacz podróżny", "Parzenie", 14900, None, popularity=0.8),
    ProductSpec("Filtry papierowe 02 / 100 szt.", "Parzenie", 2200, 700, popularity=3.5),
    ProductSpec("Karafka szklana 600 ml", "Parzenie", 9900, None, popularity=0.6),
    ProductSpec("Waga cyfrowa 0,1 g", "Parzenie", 10900, 4900, 20, popularity=0.9),
    ProductSpec("Spieniacz do mleka", "Parzenie", 7900, 3300, popularity=0.8),
    ProductSpec("Butelka do cold brew 1 l", "Parzenie", 9500, 4000, season="summer"),
    ProductSpec("Kawiarka na 6 filiżanek", "Parzenie", 11900, None, popularity=0.7),
    ProductSpec("Zaparzacz do herbaty", "Herbata", 2900, 900, popularity=1.0),
    ProductSpec("Żeliwny czajniczek 0,8 l", "Herbata", 16900, 7800, season="winter"),
    ProductSpec("Kubek ceramiczny 350 ml", "Akcesoria", 4900, 1800, popularity=1.5),
    ProductSpec("Szklanki z podwójną ścianką (2 szt.)", "Akcesoria", 6900, None),
    ProductSpec("Kubek termiczny", "Akcesoria", 8900, 3700, popularity=1.0),
    ProductSpec("Bambusowa miarka do kawy", "Akcesoria", 2400, None, popularity=0.7),
    ProductSpec("Tabletki odkamieniające", "Akcesoria", 3200, 1100, popularity=0.9),
    ProductSpec("Notes degustacyjny", "Akcesoria", 3900, None, popularity=0.4),
    ProductSpec("Torba \u201eBean There\u201d", "Akcesoria", 5500, 1600, popularity=0.5),
    ProductSpec("Świąteczny zestaw prezentowy", "Prezenty", 21900, 10000, 40, "winter"),
    ProductSpec("Zestaw dla kawosza", "Prezenty", 14900, 6800, popularity=1.2),
    ProductSpec("Zestaw herbat odkrywcy", "Prezenty", 12900, 5700, season="winter"),
    ProductSpec("Zestaw baristy", "Prezenty", 44900, 23000, 12, popularity=0.4),
    ProductSpec("Zestaw startowy matcha", "Prezenty", 19900, None, season="trending"),
)

VARIABLE_PRODUCTS: tuple[VariableSpec, ...] = (
    VariableSpec(
        "Espresso Signature",
        "Kawa",
        "Rozmiar",
        (("250 g", 5200, 1950), ("500 g", 9700, 3700), ("1 kg", 17900, 7000)),
        popularity=6.0,
    ),
    VariableSpec(
        "Fartuch baristy",
        "Akcesoria",
        "Kolor",
        (("Grafitowy", 10900, 4100), ("Granatowy", 10900, 4100), ("Ochra", 10900, 4100)),
        popularity=0.6,
    ),
    VariableSpec(
        "Zestaw filiżanek kamionkowych",
        "Akcesoria",
        "Kolor",
        (("Biały", 13900, None), ("Piaskowy", 13900, None), ("Oceaniczny", 14900, None)),
        popularity=0.7,
    ),
)

# Products whose regular price goes up during the year (index into SIMPLE_PRODUCTS), as
# (fraction of the window, new price in cents).
PRICE_RISES: dict[int, tuple[tuple[float, int], ...]] = {
    0: ((0.55, 5200), (0.8, 5500)),
    1: ((0.55, 5500),),
    3: ((0.55, 6900), (0.8, 7200)),
    13: ((0.6, 3500),),
}

# Products on sale from Black Friday to Cyber Monday, and the discount in percent.
SALE_PRODUCTS: tuple[int, ...] = (0, 3, 11, 18, 37, 38)
SALE_PERCENT = 20


def open_shop(
    rng: random.Random, cal: ShopCalendar, posts: IdSequence, meta: IdSequence
) -> tuple[Catalog, list[Outgoing]]:
    """The catalogue as the owner types it in during the first hour, and its deliveries."""
    items: list[Item] = []
    parents: list[Parent] = []
    clock = cal.start + 10 * MINUTE
    for index, spec in enumerate(SIMPLE_PRODUCTS):
        clock += rng.randint(60, 240)
        items.append(_simple_item(spec, index, posts.take(rng), posts.take(rng), clock))
    for index, spec in enumerate(VARIABLE_PRODUCTS):
        clock += rng.randint(120, 300)
        parents.append(_variable(rng, spec, index, posts, clock))
        items.extend(parents[-1].variations)
    for item in items:
        item.cost_meta_id = meta.take(rng) if item.cost is not None else 0
    catalog = Catalog(cal, items, parents)
    created = [(item.created, "product.created", catalog.item_body(item)) for item in items]
    created += [(p.modified, "product.created", catalog.parent_body(p)) for p in parents]
    return catalog, created


def price_changes(
    rng: random.Random, cal: ShopCalendar, catalog: Catalog
) -> list[tuple[int, Item, str, int]]:
    """Scheduled ``(ts, item, kind, value)`` price changes for ``Catalog.reprice``."""
    span = cal.end - cal.start
    changes = []
    for index, rises in PRICE_RISES.items():
        for fraction, price in rises:
            ts = cal.business_time(rng, cal.start + int(span * fraction))
            changes.append((ts, catalog.items[index], "regular", price))
    for begin, finish in cal.sales:
        for index in SALE_PRODUCTS:
            changes.append((begin + index + 1, catalog.items[index], "sale", SALE_PERCENT))
            changes.append((finish + index + 1, catalog.items[index], "sale_end", 0))
    return sorted(changes, key=lambda change: (change[0], change[1].id))


def _simple_item(spec: ProductSpec, index: int, image_id: int, item_id: int, ts: int) -> Item:
    return Item(
        id=item_id,
        name=spec.name,
        slug=slugify(spec.name),
        sku=f"{spec.category[:3].upper()}-{101 + index}",
        category=spec.category,
        regular=spec.price,
        cost=spec.cost,
        restock_to=spec.stock,
        season=spec.season,
        popularity=spec.popularity,
        image_id=image_id,
        stock=spec.stock,
        created=ts,
        modified=ts,
    )


def _variable(
    rng: random.Random, spec: VariableSpec, index: int, posts: IdSequence, ts: int
) -> Parent:
    image_id, parent_id = posts.take(rng), posts.take(rng)
    sku = f"{spec.category[:3].upper()}-{201 + index}"
    slug = slugify(spec.name)
    parent = Parent(parent_id, spec.name, slug, sku, spec.category, spec.attribute, image_id)
    parent.created = ts
    for option, price, cost in spec.options:
        ts += rng.randint(5, 30)
        item = _simple_item(
            ProductSpec(f"{spec.name} - {option}", spec.category, price, cost),
            index,
            image_id,
            posts.take(rng),
            ts,
        )
        item.popularity = spec.popularity / len(spec.options)
        item.slug, item.sku = parent.slug, f"{sku}-{slugify(option).upper()}"
        item.parent, item.option = parent, option
        parent.variations.append(item)
    parent.modified = ts + 1
    return parent
