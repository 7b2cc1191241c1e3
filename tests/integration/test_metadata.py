"""ShopRegistry on real SQLite and real PostgreSQL (each test gets a fresh database/schema)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import StatementError

from schemas.shop import PredictionSettings, ShopConfig
from store.crypto import CryptoError, SecretBox, hash_token
from store.errors import ShopNotFound, StoreError
from store.metadata import InvalidShop, NewShop, ShopRegistry

KEY = bytes(range(32))
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'not-yet-created' / 'wcpulse.sqlite3'}"
        return
    yield request.getfixturevalue("postgres_database_url")


@pytest.fixture
def registry(database_url: str) -> Iterator[ShopRegistry]:
    with ShopRegistry(database_url, SecretBox(KEY)) as reg:
        reg.create_tables()
        yield reg


def _add(registry: ShopRegistry, **overrides) -> NewShop:
    fields = {"name": "Demo", "url": "https://shop.example.com", "now": NOW} | overrides
    return registry.add_shop(**fields)


def _raw_rows(database_url: str) -> str:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return repr(conn.execute(text("SELECT * FROM shops")).all())
    finally:
        engine.dispose()


def test_create_tables_can_run_twice_and_ping_answers(registry: ShopRegistry) -> None:
    registry.create_tables()
    registry.ping()
    assert registry.list_shops() == []


def test_a_new_shop_gets_an_id_a_secret_and_a_token_and_can_be_read_back(registry) -> None:
    created = _add(registry, name=" Demo ", url="HTTPS://Shop.Example.com/store/")
    shop = created.shop
    assert shop.shop_id.startswith("shp_") and len(shop.shop_id) == 16
    assert shop == ShopConfig(
        shop_id=shop.shop_id, name="Demo", url="https://shop.example.com/store"
    )
    assert len(created.webhook_secret) >= 43
    assert created.api_token.startswith("wcp_") and len(created.api_token) >= 47
    assert registry.get(shop.shop_id) == shop
    assert registry.require(shop.shop_id) == shop
    assert registry.webhook_secret(shop.shop_id) == created.webhook_secret


def test_the_new_shop_result_does_not_show_its_secrets_in_repr(registry) -> None:
    created = _add(registry)
    assert created.webhook_secret not in repr(created)
    assert created.api_token not in repr(created)


def test_unknown_shops_are_none_or_shop_not_found(registry: ShopRegistry) -> None:
    assert registry.get("shp_missing") is None
    assert registry.webhook_secret("shp_missing") is None
    with pytest.raises(ShopNotFound, match="shp_missing"):
        registry.require("shp_missing")
    for call in (registry.rotate_secret, registry.rotate_token):
        with pytest.raises(ShopNotFound):
            call("shp_missing", NOW)
    with pytest.raises(ShopNotFound):
        registry.credentials("shp_missing")
    with pytest.raises(ShopNotFound):
        registry.update_settings("shp_missing", currency="EUR", now=NOW)


def test_shops_are_listed_in_the_order_they_were_created(registry) -> None:
    ids = [
        _add(registry, name=f"S{i}", now=NOW + timedelta(minutes=10 - i)).shop.shop_id
        for i in range(3)
    ]
    assert [s.shop_id for s in registry.list_shops()] == list(reversed(ids))


def test_secrets_consumer_credentials_and_token_are_not_stored_in_plaintext(
    registry, database_url
) -> None:
    created = _add(registry, consumer_key="ck_visiblekey123", consumer_secret="cs_topsecret456")
    raw = _raw_rows(database_url)
    assert created.shop.shop_id in raw
    for secret in (
        created.webhook_secret,
        created.api_token,
        "ck_visiblekey123",
        "cs_topsecret456",
    ):
        assert secret not in raw
    assert hash_token(created.api_token) in raw
    assert registry.credentials(created.shop.shop_id) == ("ck_visiblekey123", "cs_topsecret456")
    assert registry.has_credentials(created.shop.shop_id)


def test_a_shop_without_credentials_has_none_and_credentials_come_in_pairs(registry) -> None:
    shop = _add(registry).shop
    assert registry.credentials(shop.shop_id) is None
    assert not registry.has_credentials(shop.shop_id)
    with pytest.raises(InvalidShop, match="both"):
        _add(registry, consumer_key="ck_only")
    registry.set_credentials(shop.shop_id, "ck_1", "cs_1", NOW)
    assert registry.credentials(shop.shop_id) == ("ck_1", "cs_1")


def test_an_api_token_finds_its_own_shop_only(registry) -> None:
    first, second = _add(registry, name="A"), _add(registry, name="B")
    assert registry.shop_for_token(first.api_token) == first.shop
    assert registry.shop_for_token(second.api_token) == second.shop
    assert registry.shop_for_token("wcp_not-a-token") is None
    assert registry.shop_for_token("") is None


def test_rotating_the_token_retires_the_old_one(registry) -> None:
    created = _add(registry)
    new_token = registry.rotate_token(created.shop.shop_id, NOW)
    assert new_token != created.api_token and new_token.startswith("wcp_")
    assert registry.shop_for_token(created.api_token) is None
    assert registry.shop_for_token(new_token) == created.shop


def test_rotating_the_webhook_secret_replaces_it(registry) -> None:
    created = _add(registry)
    new_secret = registry.rotate_secret(created.shop.shop_id, NOW)
    assert new_secret != created.webhook_secret
    assert registry.webhook_secret(created.shop.shop_id) == new_secret


def test_deleting_removes_the_shop_and_its_token(registry) -> None:
    created, kept = _add(registry), _add(registry, name="Kept")
    assert registry.delete(created.shop.shop_id) is True
    assert registry.delete(created.shop.shop_id) is False
    assert registry.get(created.shop.shop_id) is None
    assert registry.shop_for_token(created.api_token) is None
    assert registry.list_shops() == [kept.shop]


@pytest.mark.parametrize("url", ["http://shop.example.com", "http://127.0.0.1:8080"])
def test_plain_http_shops_are_refused_unless_allowed(registry, url: str) -> None:
    with pytest.raises(InvalidShop, match="WCPULSE_ALLOW_HTTP_SHOPS=1"):
        _add(registry, url=url)
    assert registry.list_shops() == []
    assert _add(registry, url=url, allow_http=True).shop.url == url


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"url": "shop.example.com"}, "not an http"),
        ({"url": "ftp://shop.example.com"}, "not an http"),
        ({"url": "https://user:pw@shop.example.com"}, "credentials"),
        ({"url": "https://shop.example.com:port"}, "port"),
        ({"name": "  "}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../etc/passwd"}, "timezone"),
        ({"currency": "EURO"}, "currency"),
    ],
)
def test_invalid_shop_fields_are_refused_with_a_reason(registry, fields, message) -> None:
    with pytest.raises(InvalidShop, match=message) as info:
        _add(registry, **fields)
    assert isinstance(info.value, StoreError) and isinstance(info.value, ValueError)
    assert registry.list_shops() == []


def test_settings_can_be_updated_and_are_validated(registry) -> None:
    shop = _add(registry, currency="pln").shop
    assert shop.currency == "PLN"
    updated = registry.update_settings(
        shop.shop_id,
        timezone="Europe/Warsaw",
        paid_statuses=["wc-processing", "completed", "shipped"],
        revenue_date="paid",
        now=NOW,
    )
    assert updated == registry.require(shop.shop_id)
    assert updated.timezone == "Europe/Warsaw" and updated.currency == "PLN"
    assert updated.paid_statuses == ("processing", "completed", "shipped")
    assert updated.revenue_date == "paid"
    for bad in ({"revenue_date": "shipped"}, {"paid_statuses": []}, {"timezone": "Nowhere"}):
        with pytest.raises(InvalidShop):
            registry.update_settings(shop.shop_id, now=NOW, **bad)
    assert registry.require(shop.shop_id) == updated


def test_a_shops_locale_is_kept_in_its_usual_spelling_changed_and_dropped(registry) -> None:
    shop = _add(registry, locale="pl_pl").shop
    assert shop.locale == "pl-PL" == registry.require(shop.shop_id).locale
    assert _add(registry).shop.locale is None  # none: the reader's browser decides
    changed = registry.update_settings(shop.shop_id, locale="zh-hant-tw", now=NOW)
    assert changed.locale == "zh-Hant-TW" == registry.require(shop.shop_id).locale
    assert registry.update_settings(shop.shop_id, locale="es-419", now=NOW).locale == "es-419"
    for bad in ("polish", "pl-PL-x", "p", "pl PL", "12"):
        with pytest.raises(InvalidShop, match="language tag"):
            registry.update_settings(shop.shop_id, locale=bad, now=NOW)
    assert registry.require(shop.shop_id).locale == "es-419"
    assert registry.update_settings(shop.shop_id, locale="", now=NOW).locale is None
    assert registry.require(shop.shop_id).locale is None
    assert registry.delete(shop.shop_id)


def test_timestamps_must_be_timezone_aware(registry) -> None:
    with pytest.raises(StatementError, match="timezone-aware"):
        _add(registry, now=datetime(2024, 5, 1, 12, 0))
    assert registry.list_shops() == []


def test_a_registry_with_another_key_cannot_read_secrets(database_url, registry) -> None:
    created = _add(registry, consumer_key="ck_1", consumer_secret="cs_1")
    with ShopRegistry(database_url, SecretBox(bytes(32))) as other:
        assert other.require(created.shop.shop_id) == created.shop
        with pytest.raises(CryptoError, match="WCPULSE_SECRET_KEY"):
            other.webhook_secret(created.shop.shop_id)
        with pytest.raises(CryptoError):
            other.credentials(created.shop.shop_id)


def test_sqlite_databases_run_in_wal_mode(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'meta.sqlite3'}"
    with ShopRegistry(url, SecretBox(KEY)) as reg:
        reg.create_tables()
        with reg._engine.connect() as conn:  # checking the engine set-up
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_a_shops_own_prediction_settings_override_the_defaults_and_go_with_the_shop(
    database_url: str,
) -> None:
    defaults = PredictionSettings(discount_rate=0.08, high_value=1500.0)
    with ShopRegistry(database_url, SecretBox(KEY), predictions=defaults) as registry:
        registry.create_tables()
        shop = _add(registry).shop
        other = _add(registry, name="Other").shop
        assert registry.require(shop.shop_id).predictions == defaults
        updated = registry.set_predictions(shop.shop_id, {"high_value": 3000.0, "margin": 0.2}, NOW)
        registry.set_predictions(shop.shop_id, {"medium_value": 700.0, "margin": None}, NOW)
        expected = PredictionSettings(0.08, 3000.0, 700.0, 0.2)
        assert updated.predictions == PredictionSettings(0.08, 3000.0, 500.0, 0.2)
        assert registry.require(shop.shop_id).predictions == expected
        listed = {s.shop_id: s.predictions for s in registry.list_shops()}
        assert listed == {shop.shop_id: expected, other.shop_id: defaults}
        with pytest.raises(InvalidShop, match="medium value"):
            registry.set_predictions(shop.shop_id, {"medium_value": 5000.0}, NOW)
        assert registry.require(shop.shop_id).predictions == expected  # nothing half-set
        assert registry.delete(shop.shop_id)
        assert registry.require(other.shop_id).predictions == defaults
