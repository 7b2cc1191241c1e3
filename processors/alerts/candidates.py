"""What alert rules are made of: a run of them (the state connection, the shop, its alert
settings and the time), the candidates they find, and the cool-down that keeps one alert
per type and key (``fresh``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import duckdb

from processors.analytics.alerts import alert_key, cooled_down
from processors.projections.sql import in_ids, in_params
from schemas.alerts import Alert, AlertSettings
from schemas.shop import ShopConfig


@dataclass(frozen=True)
class Scope:
    """What a publish changed: orders, customer keys and products (None: all of them)."""

    orders: tuple[int, ...] = ()
    customers: tuple[str, ...] | None = ()
    products: tuple[int, ...] | None = ()
    # every customer's churn was predicted again against a rescoring's basis (a job ran)
    churn_predicted: bool = False


@dataclass(frozen=True)
class Candidate:
    alert: Alert
    cooldown: timedelta


@dataclass(frozen=True)
class Run:
    con: duckdb.DuckDBPyConnection
    shop: ShopConfig
    settings: AlertSettings
    now: datetime
    memo: dict[Any, Any] = field(default_factory=dict)  # what several rules of a run read

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql, params or {})
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def candidate(self, alert_type: str, key: str, cooldown: timedelta, **fields: Any) -> Candidate:
        alert = Alert(
            alert_id=alert_key(self.shop.shop_id, alert_type, key, self.now),
            shop_id=self.shop.shop_id,
            type=alert_type,
            severity=self.settings.severity(alert_type),
            created_at=self.now,
            dedup_key=key,
            **fields,
        )
        return Candidate(alert, cooldown)


def fresh(con: duckdb.DuckDBPyConnection, found: Iterable[Candidate], now: datetime) -> list[Alert]:
    """One per type and key, without those whose key alerted within its cool-down."""
    first: dict[tuple[str, str], Candidate] = {}
    for candidate in found:
        first.setdefault((candidate.alert.type, candidate.alert.dedup_key), candidate)
    if not first:
        return []
    keys, params = in_params(sorted({key for _, key in first}), "k")
    last = dict(
        ((t, k), at)
        for t, k, at in con.execute(
            f"SELECT type, dedup_key, max(created_at) FROM alerts WHERE dedup_key IN {keys} "
            "GROUP BY type, dedup_key",
            params,
        ).fetchall()
    )
    return [
        c.alert
        for (alert_type, key), c in first.items()
        if cooled_down(last.get((alert_type, key)), now, c.cooldown)
    ]


def scope_sql(column: str, values: tuple[Any, ...] | None, prefix: str) -> tuple[str, dict]:
    if values is None:
        return "TRUE", {}
    if all(isinstance(v, int) for v in values):
        return f"{column} IN {in_ids(sorted(values))}", {}
    placeholders, params = in_params(sorted(values), prefix)
    return f"{column} IN {placeholders}", params


def cooldown_days(run: Run, alert_type: str) -> timedelta:
    return timedelta(days=run.settings.number(alert_type, "cooldown_days"))
