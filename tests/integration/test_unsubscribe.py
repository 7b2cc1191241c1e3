"""One-click unsubscribe from alert e-mails: the link every alert message carries in
``List-Unsubscribe`` (built by the notifier from the shop's webhook secret) removes that
recipient, and only that one, through the read API's app with a real SQLite registry; a
forged or stale link changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from api.app import create_app
from processors.alerts.notifier import MailLinks
from schemas.clock import FixedClock
from schemas.settings import Settings
from store.crypto import SecretBox
from store.metadata import ShopRegistry

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
OWNER, OPS = "Owner@Example.com", "ops@example.com"


@pytest.fixture
def setup(tmp_path) -> Iterator[tuple]:
    with ShopRegistry(f"sqlite:///{tmp_path / 'meta.db'}", SecretBox(bytes(32))) as registry:
        registry.create_tables()
        shop = registry.add_shop(name="Teas", url="https://teas.example", now=NOW).shop
        registry.set_alerts(shop.shop_id, NOW, recipients=(OWNER, OPS))
        links = MailLinks("alerts@pulse.example", "https://pulse.example", registry.webhook_secret)
        client = create_app(Settings(data_dir=tmp_path), registry, FixedClock(NOW)).test_client()
        yield registry, shop.shop_id, links, client


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_the_link_asks_first_and_a_one_click_post_removes_only_that_recipient(setup):
    registry, shop_id, links, client = setup
    url = links.unsubscribe(shop_id, OWNER)
    assert url.startswith("https://pulse.example/alerts/unsubscribe?")
    asked = client.get(_path(url))
    assert asked.status_code == 200 and "Owner@Example.com" in asked.get_data(as_text=True)
    assert registry.require(shop_id).alerts.recipients == (OWNER, OPS)  # a GET changes nothing
    done = client.post(_path(url), data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more alert e-mails" in done.get_data(as_text=True)
    assert registry.require(shop_id).alerts.recipients == (OPS,)


def test_a_forged_or_rotated_link_is_refused_and_changes_nothing(setup):
    registry, shop_id, links, client = setup
    forged = _path(links.unsubscribe(shop_id, OWNER)).replace("to=Owner", "to=ops")
    assert client.post(forged).status_code == 403
    stale = _path(links.unsubscribe(shop_id, OPS))
    registry.rotate_secret(shop_id, NOW)  # the links of the old secret stop working
    assert client.post(stale).status_code == 403
    assert client.get("/alerts/unsubscribe?shop=shp_nope&to=a@b.c&t=x").status_code == 403
    assert registry.require(shop_id).alerts.recipients == (OWNER, OPS)


def test_a_second_click_or_an_address_not_listed_changes_nothing(setup):
    registry, shop_id, links, client = setup
    url = _path(links.unsubscribe(shop_id, OPS))
    assert client.post(url).status_code == 200
    again = client.post(url)
    assert again.status_code == 200 and "no more alert e-mails" in again.get_data(as_text=True)
    assert registry.remove_recipient(shop_id, "OPS@example.com", NOW) is False
    assert registry.remove_recipient(shop_id, "nobody@example.com", NOW) is False
    assert registry.require(shop_id).alerts.recipients == (OWNER,)
