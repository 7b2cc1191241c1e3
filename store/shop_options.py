"""The setters of a shop's own settings in the shops registry: predictions, alerts and
their recipients, product scoring, cost meta keys, raw event retention, and the shop's
timezone, currency, locale, paid statuses and revenue date. Each is one transaction that
checks the values first (``InvalidShop`` names the one out of range) and returns the shop
as it is now. Mixed into ``store.metadata.ShopRegistry``, which holds the engine and says
how a row is found and read."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy.orm import Session

from schemas.shop import PredictionSettings, ProductSettings, ShopConfig, retention_problem
from store.metadata_models import (
    ShopAlertsRow,
    ShopCostKeysRow,
    ShopLocaleRow,
    ShopPredictionsRow,
    ShopProductsRow,
    ShopRetentionRow,
    ShopRow,
)
from store.shop_checks import (
    InvalidShop,
    check_cost_keys,
    check_currency,
    check_locale,
    check_paid_statuses,
    check_predictions,
    check_products,
    check_revenue_date,
    check_timezone,
)

log = structlog.get_logger("store.metadata")


class ShopOptions:
    """A shop's own settings, set (see the module doc)."""

    _predictions: PredictionSettings  # the defaults a shop's own prediction settings override

    def _begin(self) -> AbstractContextManager[Session]:
        raise NotImplementedError  # ShopRegistry: a session in a transaction

    def _row(self, session: Session, shop_id: str) -> ShopRow:
        raise NotImplementedError  # ShopRegistry: the shop's row, or ShopNotFound

    def _config(self, row: ShopRow) -> ShopConfig:
        raise NotImplementedError  # ShopRegistry: the row as a ShopConfig

    def set_predictions(
        self, shop_id: str, values: dict[str, float | None], now: datetime
    ) -> ShopConfig:
        """Set the shop's own CLV and churn settings (a None leaves one as it is); returns
        the shop with them. Raises InvalidShop for values out of range."""
        with self._begin() as session:
            row = self._row(session, shop_id)
            own = row.predictions_row or ShopPredictionsRow(shop_id=shop_id)
            for name, value in values.items():
                if value is not None:
                    setattr(own, name, float(value))
            row.predictions_row = own
            check_predictions(own.over(self._predictions))
            row.updated_at = now
            shop = self._config(row)
        log.info("shop_predictions_set", shop_id=shop_id)
        return shop

    def set_alerts(
        self,
        shop_id: str,
        now: datetime,
        values: Sequence[tuple[str, str, float | str | bool]] = (),
        recipients: Sequence[str] | None = None,
        digests: tuple[str | None, str | None] = (None, None),
        replace: bool = False,
    ) -> ShopConfig:
        """Set some of the shop's alert settings (checked ``(type, name, value)`` triples,
        from ``schemas.alerts.parse_setting``), its recipients (None: as they are) and
        digest times (``(daily_at, weekly_on)``, None: as it is); returns the shop.
        ``replace``: what is not given is as it was by default, not as it is."""
        with self._begin() as session:
            row = self._row(session, shop_id)
            own = row.alerts_row or ShopAlertsRow(shop_id=shop_id)
            if replace or row.alerts_row is None:  # the defaults
                own.overrides, own.recipients = {}, []
                own.daily_at, own.weekly_on = "08:00", "monday"
            overrides = {t: dict(v) for t, v in (own.overrides or {}).items()}
            for alert_type, name, value in values:
                overrides.setdefault(alert_type, {})[name] = value
            own.overrides = overrides  # a new object: JSON columns track assignment
            if recipients is not None:
                own.recipients = list(recipients)
            own.daily_at = digests[0] or own.daily_at
            own.weekly_on = digests[1] or own.weekly_on
            row.alerts_row = own
            row.updated_at = now
            shop = self._config(row)
        log.info("shop_alerts_set", shop_id=shop_id, settings=len(values))
        return shop

    def remove_recipient(self, shop_id: str, address: str, now: datetime) -> bool:
        """Take ``address`` (any case) off the shop's alert recipients; False when it was
        not one of them (nothing changes)."""
        with self._begin() as session:
            row = self._row(session, shop_id)
            own = row.alerts_row
            listed = list(own.recipients or ()) if own is not None else []
            kept = [r for r in listed if r.lower() != address.lower()]
            if own is None or kept == listed:
                return False
            own.recipients = kept  # a new list: JSON columns track assignment
            row.updated_at = now
        log.info("shop_alert_recipient_removed", shop_id=shop_id)
        return True

    def set_products(self, shop_id: str, values: dict[str, Any], now: datetime) -> ShopConfig:
        """Set the shop's own product scoring settings (a None leaves one as it is); returns
        the shop with them. Raises InvalidShop for values out of range, naming the setting."""
        with self._begin() as session:
            row = self._row(session, shop_id)
            own = row.products_row or ShopProductsRow(shop_id=shop_id)
            for name, value in values.items():
                if value is not None:
                    setattr(own, name, value)
            check_products(own.over(ProductSettings()))
            row.products_row = own
            row.updated_at = now
            shop = self._config(row)
        log.info("shop_products_set", shop_id=shop_id)
        return shop

    def set_cost_keys(
        self, shop_id: str, keys: list[str] | tuple[str, ...], now: datetime
    ) -> ShopConfig:
        """Set the shop's own product cost meta keys (in order: the first with a usable value
        wins); returns the shop with them. Raises InvalidShop for an unusable key."""
        chosen = check_cost_keys(keys)
        with self._begin() as session:
            row = self._row(session, shop_id)
            own = row.cost_keys_row or ShopCostKeysRow(shop_id=shop_id)
            own.keys = chosen
            row.cost_keys_row = own
            row.updated_at = now
            shop = self._config(row)
        log.info("shop_cost_keys_set", shop_id=shop_id, keys=len(chosen))
        return shop

    def set_retention(self, shop_id: str, days: int | None, now: datetime) -> ShopConfig:
        """Keep ``days`` days of the shop's raw events whole (None: every event, the
        default); returns the shop with it. Raises InvalidShop for a number out of range."""
        problem = retention_problem(days) if days is not None else None
        if problem:
            raise InvalidShop(problem)
        with self._begin() as session:
            row = self._row(session, shop_id)
            row.retention_row = (
                ShopRetentionRow(shop_id=shop_id, raw_days=days) if days is not None else None
            )
            row.updated_at = now
            shop = self._config(row)
        log.info("shop_retention_set", shop_id=shop_id, days=days)
        return shop

    def update_settings(
        self,
        shop_id: str,
        *,
        timezone: str | None = None,
        currency: str | None = None,
        locale: str | None = None,
        paid_statuses: list[str] | tuple[str, ...] | None = None,
        revenue_date: str | None = None,
        now: datetime,
    ) -> ShopConfig:
        """Change the named settings (None: kept); ``locale=""`` drops the shop's locale
        (the reader's browser decides again)."""
        changes: dict[str, Any] = {}
        if locale is not None:
            changes["locale_row"] = locale_row(shop_id, locale) if locale.strip() else None
        if timezone is not None:
            changes["timezone"] = check_timezone(timezone)
        if currency is not None:
            changes["currency"] = check_currency(currency)
        if paid_statuses is not None:
            changes["paid_statuses"] = check_paid_statuses(paid_statuses)
        if revenue_date is not None:
            changes["revenue_date"] = check_revenue_date(revenue_date)
        with self._begin() as session:
            row = self._row(session, shop_id)
            for column, value in changes.items():
                setattr(row, column, value)
            row.updated_at = now
            shop = self._config(row)
        fields = sorted(name.removesuffix("_row") for name in changes)
        log.info("shop_settings_updated", shop_id=shop_id, fields=fields)
        return shop


def locale_row(shop_id: str, locale: str | None) -> ShopLocaleRow | None:
    """The shop's locale row (None: no locale of its own, the reader's browser decides)."""
    return ShopLocaleRow(shop_id=shop_id, locale=check_locale(locale)) if locale else None
