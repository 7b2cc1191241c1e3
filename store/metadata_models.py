"""Tables of the metadata database (SQLAlchemy 2.0 typed models).

The same models run on SQLite (embedded) and PostgreSQL (production): only portable types
(String, Text, JSON, timestamps stored as UTC) are used. The checks of a shop's fields
before they are stored are in store/shop_checks.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from schemas.alerts import AlertSettings
from schemas.shop import (
    DEFAULT_CONSENT_KEYS,
    DEFAULT_COST_KEYS,
    ConsentKeys,
    CostKeys,
    PredictionSettings,
    ProductSettings,
    ShopConfig,
)
from store.shop_checks import MAX_NAME


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend (SQLite drops offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("metadata timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ShopRow(Base):
    __tablename__ = "shops"

    shop_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME))
    url: Mapped[str] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    paid_statuses: Mapped[list[str]] = mapped_column(JSON)
    revenue_date: Mapped[str] = mapped_column(String(16))
    webhook_secret_enc: Mapped[str] = mapped_column(Text)
    api_token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    consumer_key_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    consumer_secret_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    predictions_row: Mapped[ShopPredictionsRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    cost_keys_row: Mapped[ShopCostKeysRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    products_row: Mapped[ShopProductsRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    alerts_row: Mapped[ShopAlertsRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    locale_row: Mapped[ShopLocaleRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )
    retention_row: Mapped[ShopRetentionRow | None] = relationship(
        lazy="selectin", cascade="all, delete-orphan"
    )

    def to_config(
        self,
        consent_keys: ConsentKeys = DEFAULT_CONSENT_KEYS,
        predictions: PredictionSettings = PredictionSettings(),
        cost_keys: CostKeys = DEFAULT_COST_KEYS,
    ) -> ShopConfig:
        return ShopConfig(
            shop_id=self.shop_id,
            name=self.name,
            url=self.url,
            timezone=self.timezone,
            currency=self.currency,
            locale=self.locale_row.locale if self.locale_row else None,
            paid_statuses=tuple(self.paid_statuses),
            revenue_date=self.revenue_date,
            consent_keys=consent_keys,
            predictions=self.predictions_row.over(predictions)
            if self.predictions_row
            else predictions,
            cost_keys=tuple(self.cost_keys_row.keys) if self.cost_keys_row else cost_keys,
            products=self.products_row.over(ProductSettings())
            if self.products_row
            else ProductSettings(),
            alerts=self.alerts_row.settings() if self.alerts_row else AlertSettings(),
            raw_retention_days=self.retention_row.raw_days if self.retention_row else None,
        )


PREDICTION_FIELDS = ("discount_rate", "high_value", "medium_value", "margin")
Defaults = TypeVar("Defaults", PredictionSettings, ProductSettings)


def _over(row: Any, defaults: Defaults, names: tuple[str, ...]) -> Defaults:
    """``defaults`` with the row's own (non-null) values of ``names``."""
    own = {name: getattr(row, name) for name in names}
    return replace(defaults, **{k: v for k, v in own.items() if v is not None})


class ShopPredictionsRow(Base):
    """A shop's own CLV and churn settings; a null keeps the default from the environment
    (its own table, so databases made before it only gain a table)."""

    __tablename__ = "shop_predictions"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    discount_rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    high_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    medium_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    margin: Mapped[float | None] = mapped_column(Float, nullable=True)

    def over(self, defaults: PredictionSettings) -> PredictionSettings:
        return _over(self, defaults, PREDICTION_FIELDS)


class ShopCostKeysRow(Base):
    """A shop's own product cost meta keys, in order (none: the WCPULSE_COST_KEYS default;
    its own table, so databases made before it only gain a table)."""

    __tablename__ = "shop_cost_keys"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    keys: Mapped[list[str]] = mapped_column(JSON)


class ShopLocaleRow(Base):
    """How the dashboard writes a shop's money and dates (a BCP 47 tag; none: the reader's
    browser decides; its own table, so databases made before it only gain a table)."""

    __tablename__ = "shop_locale"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    locale: Mapped[str] = mapped_column(String(16))


class ShopRetentionRow(Base):
    """How many days of raw events a shop keeps whole (``job.retention``; none: every
    event is kept; its own table, so databases made before it only gain a table)."""

    __tablename__ = "shop_retention"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    raw_days: Mapped[int] = mapped_column(Integer)


PRODUCT_FIELDS = tuple(f for f in ProductSettings.__dataclass_fields__)


class ShopProductsRow(Base):
    """A shop's own product scoring settings; a null keeps the default (SPEC §4; its own
    table, so databases made before it only gain a table)."""

    __tablename__ = "shop_products"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    window_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    weight_velocity: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight_revenue: Mapped[float | None] = mapped_column(Float, nullable=True)
    weight_margin: Mapped[float | None] = mapped_column(Float, nullable=True)
    lead_time_days: Mapped[float | None] = mapped_column(Float, nullable=True)
    price_objective: Mapped[str | None] = mapped_column(String(16), nullable=True)
    trend_min_units: Mapped[float | None] = mapped_column(Float, nullable=True)
    trend_rise_pct: Mapped[float | None] = mapped_column(Float, nullable=True)

    def over(self, defaults: ProductSettings) -> ProductSettings:
        return _over(self, defaults, PRODUCT_FIELDS)


class ShopAlertsRow(Base):
    """A shop's alert settings: per type its own values (``{"sales_drop": {"drop_pct":
    40}}``), the recipients and the digest times (its own table, so databases made before
    it only gain a table)."""

    __tablename__ = "shop_alerts"

    shop_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("shops.shop_id", ondelete="CASCADE"), primary_key=True
    )
    overrides: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    daily_at: Mapped[str] = mapped_column(String(5), default="08:00")
    weekly_on: Mapped[str] = mapped_column(String(10), default="monday")

    def settings(self) -> AlertSettings:
        overrides = tuple(
            (alert_type, tuple(sorted(values.items())))
            for alert_type, values in sorted((self.overrides or {}).items())
        )
        return AlertSettings(overrides, tuple(self.recipients or ()), self.daily_at, self.weekly_on)
