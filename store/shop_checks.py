"""Checks of a shop's fields before the shops registry stores them: name, URL, timezone,
currency, locale, paid statuses, revenue date, prediction and product settings, cost meta
keys. Each returns the value as it is stored (trimmed, normalised) or raises
``InvalidShop``, whose message says what is wrong and how to fix it.

store/metadata.py checks a new shop with them, store/shop_options.py each setting it changes.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schemas.shop import (
    REVENUE_DATE_BASES,
    PredictionSettings,
    ProductSettings,
    cost_keys_problem,
    tidy_cost_keys,
)
from store.errors import StoreError

_CURRENCY = re.compile(r"[A-Z]{3}")
# language, optional script, optional region (en, pl-PL, de-CH, zh-Hant-TW, es-419)
_LOCALE = re.compile(r"([a-z]{2,3})(?:-([a-z]{4}))?(?:-([a-z]{2}|[0-9]{3}))?")
_STATUS = re.compile(r"[a-z0-9][a-z0-9_-]{0,49}")
MAX_NAME = 200


class InvalidShop(StoreError, ValueError):
    """A shop field has a value we cannot accept; the message says how to fix it."""


def check_products(settings: ProductSettings) -> ProductSettings:
    problem = settings.problem()
    if problem:
        raise InvalidShop(problem)
    return settings


def check_cost_keys(keys: list[str] | tuple[str, ...]) -> list[str]:
    """The keys stripped and each once, in order; InvalidShop saying what is wrong."""
    tidy = tidy_cost_keys(keys)
    problem = cost_keys_problem(tidy)
    if problem:
        raise InvalidShop(problem)
    return list(tidy)


def check_predictions(settings: PredictionSettings) -> PredictionSettings:
    problem = settings.problem()
    if problem:
        raise InvalidShop(problem.replace("_", " "))
    return settings


def check_name(name: str) -> str:
    value = name.strip()
    if not value:
        raise InvalidShop("shop name must not be empty")
    if len(value) > MAX_NAME:
        raise InvalidShop(f"shop name is longer than {MAX_NAME} characters")
    return value


def check_url(url: str, *, allow_http: bool) -> str:
    """The shop's base URL, normalised (lower-case scheme and host, no trailing slash)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InvalidShop(f"shop URL {url!r} is not an http(s) URL like https://shop.example.com")
    if scheme == "http" and not allow_http:
        raise InvalidShop(
            f"shop URL {url!r} must use https:// (WooCommerce requires it); "
            "set WCPULSE_ALLOW_HTTP_SHOPS=1 for local testing"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise InvalidShop(f"shop URL {url!r} must not contain credentials, a query or a fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise InvalidShop(f"shop URL {url!r} has an invalid port") from None
    netloc = parts.netloc.rsplit("@", 1)[-1].lower()
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def check_timezone(timezone: str) -> str:
    value = timezone.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidShop(
            f"unknown timezone {timezone!r}; use an IANA name such as UTC or Europe/Warsaw"
        ) from None
    return value


def check_currency(currency: str) -> str:
    value = currency.strip().upper()
    if not _CURRENCY.fullmatch(value):
        raise InvalidShop(f"currency {currency!r} is not a 3-letter ISO 4217 code such as USD")
    return value


def check_locale(locale: str) -> str:
    """A BCP 47 language tag in its usual spelling (``pl_PL`` and ``pl-pl`` give ``pl-PL``)."""
    found = _LOCALE.fullmatch(locale.strip().replace("_", "-").lower())
    if found is None:
        raise InvalidShop(
            f"locale {locale!r} is not a language tag such as en, pl-PL or de-CH "
            "(language, optional script, optional region)"
        )
    language, script, region = found.groups()
    parts = [language, script.title() if script else None, region.upper() if region else None]
    return "-".join(part for part in parts if part)


def check_paid_statuses(statuses: list[str] | tuple[str, ...]) -> list[str]:
    values = [s.strip().lower().removeprefix("wc-") for s in statuses]
    if not values:
        raise InvalidShop("paid statuses must name at least one order status")
    bad = [s for s in values if not _STATUS.fullmatch(s)]
    if bad:
        raise InvalidShop(f"paid statuses contain invalid order status names: {bad}")
    return list(dict.fromkeys(values))


def check_revenue_date(basis: str) -> str:
    if basis not in REVENUE_DATE_BASES:
        raise InvalidShop(f"revenue date must be one of {', '.join(REVENUE_DATE_BASES)}")
    return basis
