"""The admin API's erasure routes over the real app: a real SQLite shop registry, the
embedded queue as the publisher, and the shop's processor applying what was queued."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from api.app import create_app
from ingest.demo.phpjson import php_json_encode
from ingest.messaging.spool import SQLiteQueue
from processors.consumer import Consumer
from schemas.clock import FixedClock
from schemas.envelope import Envelope
from schemas.settings import Settings, load_settings
from store.layout import embedded_broker_path, shop_paths
from store.metadata import NewShop, ShopRegistry
from store.view_files import read_view
from tests import woo_payloads as woo
from tests.integration.erasure_support import files_mentioning
from wcpulse.shop_registry import default_open_registry

NOW = datetime(2024, 3, 1, 12, tzinfo=UTC)
ADMIN = "admin-token-for-tests"
ADA = "ada@example.com"


@dataclass
class Admin:
    settings: Settings
    registry: ShopRegistry
    new: NewShop
    queue: SQLiteQueue

    def client(self, publisher: object = "queue"):
        chosen = self.queue if publisher == "queue" else publisher
        app = create_app(self.settings, self.registry, FixedClock(NOW), publisher=chosen)
        return app.test_client()

    def process(self) -> None:
        consumer = Consumer(self.queue, self.registry, self.settings.data_dir, FixedClock(NOW))
        while consumer.run_once(timeout=0.05):
            pass
        consumer.close()

    def url(self, tail: str, shop_id: str | None = None) -> str:
        return f"/api/v1/shops/{shop_id or self.new.shop.shop_id}/{tail}"


def _admin(tmp_path, **env: str) -> Admin:
    base = {"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64}
    settings = load_settings(base | env)
    registry = default_open_registry(settings)
    new = registry.add_shop(name="Erase", url="https://erase.example", now=NOW)
    queue = SQLiteQueue(embedded_broker_path(tmp_path), settings.partitions)
    return Admin(settings, registry, new, queue)


@pytest.fixture
def admin(tmp_path):
    made = _admin(tmp_path, WCPULSE_ADMIN_TOKEN=ADMIN)
    yield made
    made.queue.close()
    made.registry.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def webhook(shop_id: str, topic: str, body: dict) -> Envelope:
    resource, _, event = topic.partition(".")
    raw = php_json_encode(body).decode()
    return Envelope(shop_id, topic, resource, event, body["id"], raw, NOW)


def test_without_an_admin_token_the_admin_api_is_off(tmp_path):
    admin = _admin(tmp_path)
    try:
        response = admin.client().delete(admin.url("customers/25"), headers=bearer(ADMIN))
        assert response.status_code == 403
        assert response.get_json() == {
            "error": {
                "code": "admin_disabled",
                "message": "admin API disabled: set WCPULSE_ADMIN_TOKEN",
            }
        }
        assert admin.queue.depth() == 0
    finally:
        admin.queue.close()
        admin.registry.close()


def test_no_token_or_a_wrong_one_is_401_a_shop_token_403_and_nothing_is_queued(admin):
    client = admin.client()
    url = admin.url("customers/25")
    missing = client.delete(url)
    wrong = client.delete(url, headers=bearer(ADMIN + "x"))
    shop_token = client.delete(url, headers=bearer(admin.new.api_token))
    status = client.get(admin.url("erasures/0123456789abcdef"), headers=bearer("nope"))
    assert [r.status_code for r in (missing, wrong, shop_token, status)] == [401, 401, 403, 401]
    assert {r.get_json()["error"]["code"] for r in (missing, wrong, status)} == {"unauthorized"}
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert "admin" in shop_token.get_json()["error"]["message"]
    assert admin.queue.depth() == 0


def test_a_malformed_customer_key_is_400_and_an_unknown_shop_404(admin):
    client = admin.client()
    bad = client.delete(admin.url("customers/ada@example.com"), headers=bearer(ADMIN))
    unknown = client.delete(admin.url("customers/25", "shp_nope"), headers=bearer(ADMIN))
    assert (bad.status_code, bad.get_json()["error"]["code"]) == (400, "invalid_parameter")
    assert (unknown.status_code, unknown.get_json()["error"]["code"]) == (404, "not_found")
    assert admin.queue.depth() == 0


def test_an_api_process_without_a_publisher_answers_503(admin):
    response = admin.client(publisher=None).delete(admin.url("customers/25"), headers=bearer(ADMIN))
    assert (response.status_code, response.get_json()["error"]["code"]) == (503, "unavailable")


def test_the_admin_token_queues_the_erasure_and_the_status_shows_it_applied(admin):
    shop_id = admin.new.shop.shop_id
    admin.queue.publish(
        [
            webhook(shop_id, "customer.created", woo.customer(25, email=ADA)),
            webhook(shop_id, "order.created", woo.order(100, customer_id=25, email=ADA)),
            webhook(shop_id, "order.created", woo.order(101, email="bob@example.com")),
        ]
    )
    admin.process()
    client = admin.client()
    response = client.delete(admin.url("customers/25"), headers=bearer(ADMIN))
    assert response.status_code == 202, response.get_json()
    queued = response.get_json()
    assert (queued["status"], queued["customer_key"]) == ("queued", "25")
    status_url = queued["status_url"]
    pending = client.get(status_url, headers=bearer(ADMIN)).get_json()
    assert pending["status"] == "pending"
    admin.process()
    done = client.get(status_url, headers=bearer(ADMIN)).get_json()
    assert (done["status"], done["erasure_id"], done["orders"]) == (
        "applied",
        queued["erasure_id"],
        1,
    )
    customers = read_view(shop_paths(admin.settings.data_dir, shop_id).views_dir, "customers")
    assert "25" not in customers["customer_key"].to_pylist()
    assert files_mentioning(admin.settings.data_dir, ADA) == []
