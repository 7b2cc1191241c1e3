"""Settings: the only module that reads ``os.environ``.

Every setting is a ``WCPULSE_*`` environment variable with a default that lets
``wcpulse run`` work with nothing configured (embedded broker, SQLite, ./var).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from schemas.shop import (
    CONSENT_CHANNELS,
    CONSENT_HINTS,
    DEFAULT_CONSENT_KEYS,
    DEFAULT_COST_KEYS,
    ConsentKeys,
    CostKeys,
    PredictionSettings,
    cost_keys_problem,
    is_consent_key,
    tidy_cost_keys,
)


class SettingsError(ValueError):
    """A WCPULSE_* variable holds a value we cannot use."""


LOG_FORMATS = ("auto", "json", "console")  # auto: console when stderr is a terminal
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("./var")
    broker_url: str | None = None
    database_url: str | None = None
    secret_key: str | None = None
    smtp_url: str | None = None
    mail_from: str = "wcpulse@localhost"  # the sender of alert e-mails
    partitions: int = 4
    allow_http_shops: bool = False
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    max_body_bytes: int = 2 * 1024 * 1024
    batch_size: int = 500
    view_interval_seconds: float = 0.5
    alert_interval_seconds: float = 2.0
    queue_prefix: str = "wcpulse"
    log_level: str = "INFO"
    log_format: str = "auto"  # console on a terminal, JSON lines otherwise
    woo_timeout: float = 30.0
    woo_concurrency: int = 4
    woo_query_auth: bool = False
    sync_interval_seconds: float = 600.0
    sync_overlap_seconds: float = 900.0
    sync_full_every: int = 6
    rfm_interval_seconds: float = 6 * 3600.0
    admin_token: str | None = None
    consent_keys: ConsentKeys = DEFAULT_CONSENT_KEYS
    cost_keys: CostKeys = DEFAULT_COST_KEYS
    predictions: PredictionSettings = PredictionSettings()
    clv_interval_seconds: float = 24 * 3600.0
    churn_interval_seconds: float = 6 * 3600.0
    products_interval_seconds: float = 24 * 3600.0
    retention_interval_seconds: float = 24 * 3600.0
    alerts_interval_seconds: float = 3600.0
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def metadata_url(self) -> str:
        """SQLAlchemy URL of the metadata database (SQLite under data_dir by default)."""
        if self.database_url:
            return _sqlalchemy_url(self.database_url)
        return f"sqlite:///{self.data_dir.resolve() / 'wcpulse.sqlite3'}"

    @property
    def embedded_broker(self) -> bool:
        return not self.broker_url

    def dashboard_url(self, shop_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/dashboard/{shop_id}"

    def webhook_url(self, shop_id: str) -> str:
        return f"{self.public_url.rstrip('/')}/webhooks/woocommerce/{shop_id}"


def _sqlalchemy_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be 1/0, true/false, yes/no (got {raw!r})")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number (got {raw!r})") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum} (got {value})")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number (got {raw!r})") from None
    if value < 0:
        raise SettingsError(f"{name} must not be negative (got {value})")
    return value


def _str(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    return raw.strip() if raw and raw.strip() else None


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate WCPULSE_* variables (from ``os.environ`` unless given)."""
    env = os.environ if env is None else env
    log_format = (_str(env, "WCPULSE_LOG_FORMAT") or "auto").lower()
    if log_format not in LOG_FORMATS:
        raise SettingsError(
            f"WCPULSE_LOG_FORMAT must be auto, json or console (got {log_format!r})"
        )
    public_url = _str(env, "WCPULSE_PUBLIC_URL")
    host = _str(env, "WCPULSE_HOST") or "127.0.0.1"
    port = _int(env, "WCPULSE_PORT", 8000)
    return Settings(
        data_dir=Path(_str(env, "WCPULSE_DATA_DIR") or "./var"),
        broker_url=_str(env, "WCPULSE_BROKER_URL"),
        database_url=_str(env, "WCPULSE_DATABASE_URL"),
        secret_key=_str(env, "WCPULSE_SECRET_KEY"),
        smtp_url=_str(env, "WCPULSE_SMTP_URL"),
        mail_from=_str(env, "WCPULSE_MAIL_FROM") or "wcpulse@localhost",
        partitions=_int(env, "WCPULSE_PARTITIONS", 4),
        allow_http_shops=_bool(env, "WCPULSE_ALLOW_HTTP_SHOPS", False),
        public_url=public_url or f"http://{host}:{port}",
        host=host,
        port=port,
        max_body_bytes=_int(env, "WCPULSE_MAX_BODY_BYTES", 2 * 1024 * 1024),
        batch_size=_int(env, "WCPULSE_BATCH_SIZE", 500),
        view_interval_seconds=_float(env, "WCPULSE_VIEW_INTERVAL", 0.5),
        alert_interval_seconds=_float(env, "WCPULSE_ALERT_INTERVAL", 2.0),
        queue_prefix=_str(env, "WCPULSE_QUEUE_PREFIX") or "wcpulse",
        log_level=(_str(env, "WCPULSE_LOG_LEVEL") or "INFO").upper(),
        log_format=log_format,
        woo_timeout=_float(env, "WCPULSE_WOO_TIMEOUT", 30.0),
        woo_concurrency=_int(env, "WCPULSE_WOO_CONCURRENCY", 4),
        woo_query_auth=_bool(env, "WCPULSE_WOO_QUERY_AUTH", False),
        sync_interval_seconds=_float(env, "WCPULSE_SYNC_INTERVAL", 600.0),
        sync_overlap_seconds=_float(env, "WCPULSE_SYNC_OVERLAP", 900.0),
        sync_full_every=_int(env, "WCPULSE_SYNC_FULL_EVERY", 6),
        rfm_interval_seconds=_float(env, "WCPULSE_RFM_INTERVAL", 6 * 3600.0),
        admin_token=_str(env, "WCPULSE_ADMIN_TOKEN"),
        consent_keys=_consent_keys(env),
        cost_keys=_cost_keys(env),
        predictions=_predictions(env),
        clv_interval_seconds=_float(env, "WCPULSE_CLV_INTERVAL", 24 * 3600.0),
        churn_interval_seconds=_float(env, "WCPULSE_CHURN_INTERVAL", 6 * 3600.0),
        products_interval_seconds=_float(env, "WCPULSE_PRODUCTS_INTERVAL", 24 * 3600.0),
        retention_interval_seconds=_float(env, "WCPULSE_RETENTION_INTERVAL", 24 * 3600.0),
        alerts_interval_seconds=_float(env, "WCPULSE_ALERTS_INTERVAL", 3600.0),
    )


PREDICTION_VARIABLES = {
    "discount_rate": "WCPULSE_CLV_DISCOUNT_RATE",
    "high_value": "WCPULSE_CLV_HIGH_VALUE",
    "medium_value": "WCPULSE_CLV_MEDIUM_VALUE",
    "margin": "WCPULSE_DEFAULT_MARGIN",
}


def _predictions(env: Mapping[str, str]) -> PredictionSettings:
    """WCPULSE_CLV_DISCOUNT_RATE, WCPULSE_CLV_HIGH_VALUE, WCPULSE_CLV_MEDIUM_VALUE,
    WCPULSE_DEFAULT_MARGIN."""
    settings = PredictionSettings(
        **{
            field: _float(env, variable, getattr(PredictionSettings, field))
            for field, variable in PREDICTION_VARIABLES.items()
        }
    )
    problem = settings.problem()
    if problem:
        for field, variable in PREDICTION_VARIABLES.items():
            problem = problem.replace(field, variable)
        raise SettingsError(problem)
    return settings


def _consent_keys(env: Mapping[str, str]) -> ConsentKeys:
    """WCPULSE_CONSENT_<CHANNEL>_KEYS: comma-separated meta keys (the defaults otherwise)."""
    defaults = dict(DEFAULT_CONSENT_KEYS)
    channels = []
    for channel in CONSENT_CHANNELS:
        name = f"WCPULSE_CONSENT_{channel.upper()}_KEYS"
        raw = _str(env, name)
        keys = tuple(k.strip() for k in raw.split(",") if k.strip()) if raw else defaults[channel]
        for key in keys:
            if not is_consent_key(key):
                raise SettingsError(
                    f"{name}: meta key {key!r} must mention one of " + ", ".join(CONSENT_HINTS)
                )
        channels.append((channel, keys))
    return tuple(channels)


def _cost_keys(env: Mapping[str, str]) -> CostKeys:
    """WCPULSE_COST_KEYS: comma-separated product meta keys holding a cost, first usable
    one wins (the default otherwise); each shop can have its own (``shop set-cost-keys``)."""
    raw = _str(env, "WCPULSE_COST_KEYS")
    if raw is None:
        return DEFAULT_COST_KEYS
    keys = tidy_cost_keys(k for k in raw.split(",") if k.strip())
    problem = cost_keys_problem(keys)
    if problem:
        raise SettingsError(f"WCPULSE_COST_KEYS: {problem}")
    return keys
