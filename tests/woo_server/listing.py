"""List a collection the way WooCommerce's REST controllers do: validate the parameters,
filter, sort, paginate.

Honoured: ``per_page`` (1..100, default 10), ``page``, ``order``, ``orderby``, ``status``
(comma list; ``any`` = everything but trash), ``include``/``exclude`` (comma ids),
``after``/``before`` (created), ``modified_after``/``modified_before`` with
``dates_are_gmt``, and per resource ``customer`` (orders), ``parent`` (refunds), ``type``
(products), ``role`` (customers: ``customer`` unless ``all``) and ``email`` (customers).
Unknown parameters are ignored, as WordPress does.
Filtered and sorted results are cached per query until the data changes (``version``), so
paging through 100,000 orders sorts them once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Item = dict[str, Any]
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded")
ORDER_STATUSES += ("failed", "trash", "checkout-draft")
POST_STATUSES = ("draft", "pending", "private", "publish", "future", "trash")
WEBHOOK_STATUSES = ("active", "paused", "disabled")


class BadParam(Exception):
    """Answered as 400 ``rest_invalid_param``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"Invalid parameter(s): {name}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class Resource:
    name: str
    statuses: tuple[str, ...] = ()  # accepted ``status`` values; none: no status parameter
    hidden_status: str = "trash"  # left out unless asked for by name
    created: str | None = "date_created"  # what after/before compare
    modified: str | None = "date_modified"  # what modified_after/before compare
    orderby: tuple[str, ...] = ("date", "id", "include", "modified")
    default_orderby: str = "date"
    default_order: str = "desc"
    filters: Mapping[str, Callable[[str], Callable[[Item], bool]]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)  # of filters, when not given


def _ids(name: str, value: str) -> tuple[int, ...]:
    """Comma ids in the order given (``orderby=include`` keeps it)."""
    try:
        return tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        raise BadParam(name, f"{name} must be a list of ids") from None


def _equals(key: str) -> Callable[[str], Callable[[Item], bool]]:
    def build(value: str) -> Callable[[Item], bool]:
        if value.isdigit():
            number = int(value)
            return lambda item: item.get(key) == number
        text = value.strip().lower()
        return lambda item: str(item.get(key, "")).lower() == text

    return build


def _role(value: str) -> Callable[[Item], bool]:
    return (lambda item: True) if value == "all" else (lambda item: item.get("role") == value)


ORDERS = Resource("orders", ("any", *ORDER_STATUSES), filters={"customer": _equals("customer_id")})
PRODUCTS = Resource(
    "products", ("any", *POST_STATUSES), orderby=(*Resource.orderby, "title", "price"),
    filters={"type": _equals("type")},
)  # fmt: skip
VARIATIONS = Resource("variations", ("any", *POST_STATUSES))
COUPONS = Resource("coupons", orderby=(*Resource.orderby, "title"))
REFUNDS = Resource("refunds", modified="date_created", filters={"parent": _equals("parent_id")})
CUSTOMERS = Resource(
    "customers", created=None, modified=None, orderby=("id", "include", "name", "registered_date"),
    default_orderby="name", default_order="asc",
    filters={"role": _role, "email": _equals("email")}, defaults={"role": "customer"},
)  # fmt: skip
WEBHOOKS = Resource("webhooks", ("all", *WEBHOOK_STATUSES), hidden_status="", modified=None)

_SORT_KEYS: dict[str, Callable[[Item], Any]] = {
    "id": lambda item: item["id"],
    "date": lambda item: (item.get("date_created_gmt") or "", item["id"]),
    "registered_date": lambda item: (item.get("date_created_gmt") or "", item["id"]),
    "modified": lambda item: (item.get("date_modified_gmt") or "", item["id"]),
    "title": lambda item: (str(item.get("name") or item.get("code") or "").lower(), item["id"]),
    "name": lambda item: (f"{item.get('first_name')} {item.get('last_name')}".lower(), item["id"]),
    "price": lambda item: (float(item.get("price") or 0), item["id"]),
}


@dataclass(frozen=True)
class Listing:
    items: list[Item]
    total: int
    total_pages: int


class ListingCache:
    """Filtered and sorted results by query, dropped whenever the data's version moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = -1
        self._results: dict[tuple, list[Item]] = {}

    def get(self, version: int, key: tuple, compute: Callable[[], list[Item]]) -> list[Item]:
        with self._lock:
            if version != self._version:
                self._results, self._version = {}, version
            if key not in self._results:
                self._results[key] = compute()
            return self._results[key]


def list_items(
    resource: Resource,
    source: Callable[[], Iterable[Item]],
    args: Mapping[str, str],
    cache: tuple[ListingCache, int, str],
) -> Listing:
    """One page of ``source()`` for the query ``args``. ``cache`` is (cache, data version,
    a key naming the source, e.g. ``"products/22/variations"``)."""
    per_page = _int_param(args, "per_page", 10, 1, 100)
    page = _int_param(args, "page", 1, 1, None)
    query = _query(resource, args)
    store, version, name = cache
    matched = store.get(version, (name, query), lambda: _select(resource, source(), query))
    start = (page - 1) * per_page
    return Listing(matched[start : start + per_page], len(matched), -(-len(matched) // per_page))


def only_fields(item: Item, fields: str) -> Item:
    """``_fields=a,b``: only those top-level keys, as WordPress does."""
    wanted = [name.strip().split(".")[0] for name in fields.split(",") if name.strip()]
    return {name: item[name] for name in wanted if name in item}


def _query(resource: Resource, args: Mapping[str, str]) -> tuple:
    orderby = args.get("orderby", resource.default_orderby)
    if orderby not in resource.orderby:
        raise BadParam("orderby", f"orderby is not one of {', '.join(resource.orderby)}.")
    order = args.get("order", resource.default_order)
    if order not in ("asc", "desc"):
        raise BadParam("order", "order is not one of asc, desc.")
    gmt = args.get("dates_are_gmt", "false").lower() in ("true", "1")
    dates = tuple(_date_param(args, name) for name in _DATE_PARAMS)
    ids = tuple(_ids(name, args[name]) if name in args else None for name in ("include", "exclude"))
    given = {**resource.defaults, **args}
    extra = tuple((name, given[name]) for name in sorted(resource.filters) if name in given)
    return (orderby, order, _statuses(resource, args), gmt, dates, ids, extra)


_DATE_PARAMS = ("after", "before", "modified_after", "modified_before")


def _select(resource: Resource, source: Iterable[Item], query: tuple) -> list[Item]:
    orderby, order, statuses, gmt, dates, (include, exclude), extra = query
    if statuses is None:
        items = list(source)
    elif not statuses:  # "any": everything but the hidden status
        items = [item for item in source if item.get("status") != resource.hidden_status]
    else:
        items = [item for item in source if item.get("status") in statuses]
    suffix = "_gmt" if gmt else ""
    for name, value in zip(_DATE_PARAMS, dates, strict=True):
        column = resource.modified if name.startswith("modified") else resource.created
        if value is not None and column is not None:
            key, after = column + suffix, name.endswith("after")
            items = [i for i in items if (i[key] > value if after else i[key] < value)]
    if include is not None:
        included = frozenset(include)
        items = [item for item in items if item["id"] in included]
    if exclude is not None:
        excluded = frozenset(exclude)
        items = [item for item in items if item["id"] not in excluded]
    for name, value in extra:
        keep = resource.filters[name](value)
        items = [item for item in items if keep(item)]
    if orderby == "include" and include is not None:
        return sorted(items, key=lambda item: include.index(item["id"]))
    return sorted(items, key=_SORT_KEYS.get(orderby, _SORT_KEYS["id"]), reverse=order == "desc")


def _statuses(resource: Resource, args: Mapping[str, str]) -> frozenset[str] | None:
    """None: no status filter; empty: the default (all but the hidden status)."""
    if not resource.statuses:
        return frozenset() if resource.hidden_status else None
    wanted = [part.strip() for part in args.get("status", resource.statuses[0]).split(",")]
    for part in wanted:
        if part not in resource.statuses:
            raise BadParam("status", f"status is not one of {', '.join(resource.statuses)}.")
    if resource.statuses[0] in wanted:
        return frozenset() if resource.hidden_status else None
    return frozenset(wanted)


def _int_param(args: Mapping[str, str], name: str, default: int, low: int, high: int | None) -> int:
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParam(name, f"{name} is not of type integer.") from None
    if value < low or (high is not None and value > high):
        upper = f" and {high} (inclusive)" if high is not None else ""
        raise BadParam(name, f"{name} must be between {low} (inclusive){upper}")
    return value


def _date_param(args: Mapping[str, str], name: str) -> str | None:
    raw = args.get(name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise BadParam(name, "Invalid date.") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed.isoformat(timespec="seconds")
