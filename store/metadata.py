"""The shops registry: shop settings, encrypted credentials and API token hashes (SQLAlchemy).

Works on SQLite (embedded default, WAL mode) and PostgreSQL (``postgresql+psycopg://``).
Secrets are stored encrypted with a SecretBox (webhook secret, WooCommerce consumer key and
secret: they must be recoverable); API tokens are stored only as SHA-256 hashes.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Engine, create_engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from schemas.shop import (
    DEFAULT_CONSENT_KEYS,
    DEFAULT_COST_KEYS,
    DEFAULT_PAID_STATUSES,
    ConsentKeys,
    CostKeys,
    PredictionSettings,
    ShopConfig,
)
from store.alert_sends import AlertSends
from store.crypto import SecretBox, hash_token
from store.errors import ShopNotFound
from store.metadata_models import Base, ShopRow
from store.shop_checks import (
    InvalidShop,
    check_currency,
    check_name,
    check_timezone,
    check_url,
)
from store.shop_options import ShopOptions, locale_row
from store.sync_state import SyncState

__all__ = ["InvalidShop", "NewShop", "ShopRegistry", "new_shop_id"]

log = structlog.get_logger(__name__)

SHOP_ID_PREFIX = "shp_"
TOKEN_PREFIX = "wcp_"
_ID_ALPHABET = string.ascii_lowercase + string.digits
SQLITE_BUSY_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class NewShop:
    """What ``add_shop`` returns: the only time the API token is available in clear."""

    shop: ShopConfig
    webhook_secret: str
    api_token: str

    def __repr__(self) -> str:
        return f"NewShop(shop={self.shop!r}, webhook_secret=<hidden>, api_token=<hidden>)"


def new_shop_id() -> str:
    """``shp_`` + 12 random lower-case letters and digits (about 62 bits; safe in paths and
    URLs, and distinct on case-insensitive file systems)."""
    return SHOP_ID_PREFIX + "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))


def _new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def _new_api_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
    finally:
        cursor.close()


class ShopRegistry(ShopOptions):
    """Shops and their secrets in the metadata database. Thread-safe (one engine, a session
    per call); call ``close()`` (or use it as a context manager) when done. The setters of
    a shop's own settings are ``store.shop_options.ShopOptions``'."""

    def __init__(
        self,
        url: str,
        box: SecretBox,
        consent_keys: ConsentKeys = DEFAULT_CONSENT_KEYS,
        predictions: PredictionSettings = PredictionSettings(),
        cost_keys: CostKeys = DEFAULT_COST_KEYS,
    ) -> None:
        self._engine = _create_engine(url)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._box = box
        self._consent_keys = consent_keys
        self._predictions = predictions
        self._cost_keys = cost_keys

    def _config(self, row: ShopRow) -> ShopConfig:
        return row.to_config(self._consent_keys, self._predictions, self._cost_keys)

    def __enter__(self) -> ShopRegistry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def alert_sends(self) -> AlertSends:
        """The alert e-mail send log, in the same database."""
        return AlertSends(self._engine)

    @property
    def sync_state(self) -> SyncState:
        """Import checkpoints and sync runs, in the same database."""
        return SyncState(self._engine)

    def create_tables(self) -> None:
        Base.metadata.create_all(self._engine)

    def ping(self) -> None:
        with self._engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self._engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Session]:
        with self._sessions.begin() as session:
            yield session

    def _row(self, session: Session, shop_id: str) -> ShopRow:
        row = session.get(ShopRow, shop_id)
        if row is None:
            raise ShopNotFound(f"no shop with id {shop_id!r}")
        return row

    def _seal(self, shop_id: str, field: str, value: str) -> str:
        return self._box.encrypt(value, context=f"{shop_id}:{field}")

    def _open(self, shop_id: str, field: str, value: str) -> str:
        return self._box.decrypt(value, context=f"{shop_id}:{field}")

    def add_shop(
        self,
        *,
        name: str,
        url: str,
        timezone: str = "UTC",
        currency: str = "USD",
        locale: str | None = None,
        consumer_key: str | None = None,
        consumer_secret: str | None = None,
        allow_http: bool = False,
        now: datetime,
    ) -> NewShop:
        shop_id, secret, token = new_shop_id(), _new_webhook_secret(), _new_api_token()
        row = ShopRow(
            shop_id=shop_id,
            name=check_name(name),
            url=check_url(url, allow_http=allow_http),
            timezone=check_timezone(timezone),
            currency=check_currency(currency),
            paid_statuses=list(DEFAULT_PAID_STATUSES),
            revenue_date="created",
            webhook_secret_enc=self._seal(shop_id, "webhook_secret", secret),
            api_token_hash=hash_token(token),
            created_at=now,
            updated_at=now,
            predictions_row=None,  # a new shop has no settings of its own
            cost_keys_row=None,
            products_row=None,
            alerts_row=None,
            locale_row=locale_row(shop_id, locale),
            retention_row=None,
        )
        self._fill_credentials(row, consumer_key, consumer_secret)
        with self._begin() as session:
            session.add(row)
        log.info("shop_added", shop_id=shop_id, url=row.url, credentials=bool(consumer_key))
        shop = self._config(row)
        return NewShop(shop=shop, webhook_secret=secret, api_token=token)

    def _fill_credentials(self, row: ShopRow, key: str | None, secret: str | None) -> None:
        key, secret = (key or "").strip(), (secret or "").strip()
        if bool(key) != bool(secret):
            raise InvalidShop("give both the WooCommerce consumer key and consumer secret")
        row.consumer_key_enc = self._seal(row.shop_id, "consumer_key", key) if key else None
        row.consumer_secret_enc = (
            self._seal(row.shop_id, "consumer_secret", secret) if secret else None
        )

    def get(self, shop_id: str) -> ShopConfig | None:
        with self._sessions() as session:
            row = session.get(ShopRow, shop_id)
            return self._config(row) if row is not None else None

    def require(self, shop_id: str) -> ShopConfig:
        shop = self.get(shop_id)
        if shop is None:
            raise ShopNotFound(f"no shop with id {shop_id!r}")
        return shop

    def list_shops(self) -> list[ShopConfig]:
        query = select(ShopRow).order_by(ShopRow.created_at, ShopRow.shop_id)
        with self._sessions() as session:
            return [self._config(row) for row in session.scalars(query)]

    def webhook_secret(self, shop_id: str) -> str | None:
        with self._sessions() as session:
            sealed = session.scalar(
                select(ShopRow.webhook_secret_enc).where(ShopRow.shop_id == shop_id)
            )
        return None if sealed is None else self._open(shop_id, "webhook_secret", sealed)

    def shop_for_token(self, token: str) -> ShopConfig | None:
        """The shop an API token belongs to. Looked up by hash, so the comparison never
        touches the token itself and leaks nothing useful through timing."""
        query = select(ShopRow).where(ShopRow.api_token_hash == hash_token(token))
        with self._sessions() as session:
            row = session.scalars(query).first()
            return self._config(row) if row is not None else None

    def credentials(self, shop_id: str) -> tuple[str, str] | None:
        """The decrypted WooCommerce REST consumer key and secret, if the shop has them."""
        with self._sessions() as session:
            row = self._row(session, shop_id)
            key_enc, secret_enc = row.consumer_key_enc, row.consumer_secret_enc
        if key_enc is None or secret_enc is None:
            return None
        key = self._open(shop_id, "consumer_key", key_enc)
        return key, self._open(shop_id, "consumer_secret", secret_enc)

    def has_credentials(self, shop_id: str) -> bool:
        """Whether REST API credentials are stored, without decrypting them."""
        with self._sessions() as session:
            row = self._row(session, shop_id)
            return row.consumer_key_enc is not None and row.consumer_secret_enc is not None

    def set_credentials(
        self, shop_id: str, consumer_key: str | None, consumer_secret: str | None, now: datetime
    ) -> None:
        """Store (or, with two Nones, remove) the shop's WooCommerce REST credentials."""
        with self._begin() as session:
            row = self._row(session, shop_id)
            self._fill_credentials(row, consumer_key, consumer_secret)
            row.updated_at = now
        log.info("shop_credentials_set", shop_id=shop_id, credentials=bool(consumer_key))

    def rotate_secret(self, shop_id: str, now: datetime) -> str:
        secret = _new_webhook_secret()
        with self._begin() as session:
            row = self._row(session, shop_id)
            row.webhook_secret_enc = self._seal(shop_id, "webhook_secret", secret)
            row.updated_at = now
        log.info("webhook_secret_rotated", shop_id=shop_id)
        return secret

    def rotate_token(self, shop_id: str, now: datetime) -> str:
        token = _new_api_token()
        with self._begin() as session:
            row = self._row(session, shop_id)
            row.api_token_hash = hash_token(token)
            row.updated_at = now
        log.info("api_token_rotated", shop_id=shop_id)
        return token

    def delete(self, shop_id: str) -> bool:
        with self._begin() as session:
            row = session.get(ShopRow, shop_id)
            if row is None:
                return False
            session.delete(row)
        self.sync_state.delete_shop(shop_id)
        self.alert_sends.delete_shop(shop_id)
        log.info("shop_deleted", shop_id=shop_id)
        return True
