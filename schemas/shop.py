"""A shop's configuration as every component sees it (read from the metadata store)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from schemas.alerts import AlertSettings

DEFAULT_PAID_STATUSES: tuple[str, ...] = ("processing", "completed", "on-hold")
REVENUE_DATE_BASES = ("created", "paid", "completed")

# Contact consents per channel, read from customer (else newest order) meta. Only meta keys
# that mention one of CONSENT_HINTS are kept by the normaliser, so a configured key must too.
CONSENT_CHANNELS: tuple[str, ...] = ("email", "sms")
CONSENT_HINTS: tuple[str, ...] = (
    "consent",
    "subscri",
    "newsletter",
    "marketing",
    "optin",
    "opt_in",
    "opt-in",
    "sms",
    "gdpr",
)
ConsentKeys = tuple[tuple[str, tuple[str, ...]], ...]  # ((channel, (meta keys...)), ...)
DEFAULT_CONSENT_KEYS: ConsentKeys = (
    (
        "email",
        (
            "marketing_consent_email",
            "mailchimp_woocommerce_is_subscribed",
            "kl_newsletter_checkbox",
        ),
    ),
    ("sms", ("marketing_consent_sms", "kl_sms_consent")),
)


def is_consent_key(key: str) -> bool:
    lowered = key.lower()
    return any(hint in lowered for hint in CONSENT_HINTS)


# A product's cost (SPEC §4): WooCommerce's own ``cost_of_goods_sold`` field when it holds a
# cost, else the first of these meta keys with a usable value (a number, not negative).
CostKeys = tuple[str, ...]
DEFAULT_COST_KEYS: CostKeys = ("_wc_cog_cost",)
MAX_COST_KEY = 100  # characters
MAX_COST_KEYS = 20


def tidy_cost_keys(keys: Iterable[str]) -> CostKeys:
    """The keys stripped, each once, in the order given (check them with cost_keys_problem)."""
    return tuple(dict.fromkeys(key.strip() for key in keys))


def cost_keys_problem(keys: CostKeys) -> str | None:
    """What is wrong with these cost meta keys, in one line (None when they are usable)."""
    if not keys:
        return "give at least one cost meta key"
    if len(keys) > MAX_COST_KEYS:
        return f"give at most {MAX_COST_KEYS} cost meta keys"
    for key in keys:
        if not key:
            return "a cost meta key is empty"
        if len(key) > MAX_COST_KEY:
            return f"cost meta key {key[:20]!r}... is longer than {MAX_COST_KEY} characters"
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in key):
            return f"cost meta key {key!r} contains control characters"
    return None


@dataclass(frozen=True)
class PredictionSettings:
    """CLV and churn settings (SPEC §4): money in the shop currency."""

    discount_rate: float = 0.10  # annual, for the monthly discounting of predicted CLV
    high_value: float = 2000.0  # predicted 12-month CLV above this: High value
    medium_value: float = 500.0  # above this: Medium value; else Low
    margin: float = 0.30  # the margin of what customers buy: caps the win-back discount

    def problem(self) -> str | None:
        """What is out of range (None when all is well), naming the setting."""
        if not 0 <= self.discount_rate < 1:
            return "discount_rate must be a rate from 0 to 1 (e.g. 0.1 for 10% a year)"
        if not 0 <= self.medium_value <= self.high_value:
            return "medium_value must be from 0 to high_value"
        if not 0 <= self.margin <= 1:
            return "margin must be a share from 0 to 1 (e.g. 0.3)"
        return None


# ``wcpulse shop set-retention``: the raw log keeps at least this many days whole
MIN_RETENTION_DAYS = 1
MAX_RETENTION_DAYS = 36_500


def retention_problem(days: int) -> str | None:
    """What is wrong with a raw event retention of ``days`` (None when it is usable)."""
    if not MIN_RETENTION_DAYS <= days <= MAX_RETENTION_DAYS:
        return (
            f"retention must be a whole number of days from {MIN_RETENTION_DAYS} to "
            f"{MAX_RETENTION_DAYS}, or off"
        )
    return None


PRICE_OBJECTIVES = ("revenue", "profit")
MAX_WINDOW_DAYS = 365


@dataclass(frozen=True)
class ProductSettings:
    """Product scoring settings (SPEC §4): the window, the weights of the three percentile
    ranks (only their ratios matter), the restocking lead time that flags low stock, what the
    optimal price maximises and when a product is trending. The assumed margin of products
    without a cost is the shop's margin (``PredictionSettings.margin``)."""

    window_days: int = 30
    weight_velocity: float = 40.0
    weight_revenue: float = 40.0
    weight_margin: float = 20.0
    lead_time_days: float = 7.0
    price_objective: str = "revenue"
    trend_min_units: float = 5.0  # net units in the last 7 days
    trend_rise_pct: float = 50.0  # on the 7 days before

    def problem(self) -> str | None:
        """What is out of range (None when all is well), naming the setting."""
        if not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            return f"window_days must be a whole number of days from 1 to {MAX_WINDOW_DAYS}"
        weights = (self.weight_velocity, self.weight_revenue, self.weight_margin)
        if not all(0 <= w <= 1000 for w in weights) or sum(weights) <= 0:
            return "weights must be from 0 to 1000 each and not all 0 (e.g. 40,40,20)"
        if not 0 <= self.lead_time_days <= MAX_WINDOW_DAYS:
            return f"lead_time_days must be from 0 to {MAX_WINDOW_DAYS} days"
        if self.price_objective not in PRICE_OBJECTIVES:
            return "price_objective must be revenue or profit"
        if not 0 <= self.trend_min_units <= 1_000_000:
            return "trend_min_units must be from 0 to 1000000 units"
        if not 0 <= self.trend_rise_pct <= 10_000:
            return "trend_rise_pct must be from 0 to 10000 (%)"
        return None


@dataclass(frozen=True)
class ShopConfig:
    shop_id: str
    name: str
    url: str
    timezone: str = "UTC"
    currency: str = "USD"
    # how the dashboard writes money, numbers and dates (a BCP 47 tag such as pl-PL);
    # None: in the language of the reader's browser
    locale: str | None = None
    paid_statuses: tuple[str, ...] = DEFAULT_PAID_STATUSES
    revenue_date: str = "created"
    consent_keys: ConsentKeys = DEFAULT_CONSENT_KEYS
    predictions: PredictionSettings = PredictionSettings()
    cost_keys: CostKeys = DEFAULT_COST_KEYS
    products: ProductSettings = ProductSettings()
    alerts: AlertSettings = AlertSettings()
    # days of raw events kept whole (``job.retention``); None: every event is kept
    raw_retention_days: int | None = None

    def is_sale(self, status: str) -> bool:
        """Paid statuses count as sales; ``refunded`` counts too, netted to zero by refunds."""
        return status in self.paid_statuses or status == "refunded"
