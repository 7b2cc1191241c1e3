"""WooClient against the local WooCommerce-compatible server (tests/woo_server): paging,
filters, retries and how each troubleshooting case reaches the shop owner. No mocks.

Retries use a tiny backoff; faults that "time out" sleep longer than the client's timeout,
and the server wakes them when it stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from ingest.rest.client import Page, WooClient
from ingest.rest.errors import (
    CertificateInvalid,
    InvalidCredentials,
    MissingPermission,
    NotHttps,
    ResourceNotFound,
    RestApiNotFound,
    WooError,
    WooRequestRejected,
    WooTimeout,
    WooUnavailable,
)
from tests.woo_server import Faults, WooServer, WooShopData, running_woo_server

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
ORDERS = 1234


@pytest.fixture(scope="module")
def shop_data() -> WooShopData:
    return WooShopData.generate(orders=ORDERS, seed=7, now=NOW)


@pytest.fixture
def shop(shop_data: WooShopData) -> Iterator[WooServer]:
    with running_woo_server(shop_data, Faults()) as server:
        yield server


@pytest.fixture
def fresh_shop() -> Iterator[WooServer]:
    """A small shop of its own, for tests that change the data."""
    with running_woo_server(WooShopData.generate(orders=300, seed=3, now=NOW)) as server:
        yield server


def client_for(server: WooServer, **options: object) -> WooClient:
    settings: dict = {"allow_http": True, "backoff": 0.01, "timeout": 5.0} | options
    return WooClient(server.base_url, server.key, server.secret, **settings)


def assert_actionable(error: WooError, *words: str) -> None:
    message = str(error)
    assert "\n" not in message and message.count(". Fix: ") == 1
    for word in words:
        assert word in message


def ids_of(pages: Iterator[Page]) -> list[int]:
    return [item["id"] for page in pages for item in page.items]


def visible_ids(data: WooShopData) -> list[int]:
    return sorted(i for i, order in data.orders.items() if order["status"] != "trash")


# -- paging -------------------------------------------------------------------------------


def test_pages_arrive_in_order_with_the_shops_totals(shop: WooServer) -> None:
    expected = shop.data.expected_totals()["orders"]
    with client_for(shop) as client:
        pages = list(client.iter_pages("orders", {"orderby": "id", "order": "asc"}))
    assert [page.page for page in pages] == list(range(1, -(-expected // 100) + 1))
    assert {(page.total, page.total_pages) for page in pages} == {(expected, len(pages))}
    assert [order["id"] for page in pages for order in page.items] == visible_ids(shop.data)


def test_concurrent_pages_are_yielded_in_order_while_later_pages_are_fetched(
    shop: WooServer,
) -> None:
    page_five_requested = threading.Event()
    waited: list[bool] = []
    shop.faults.on_page("orders", 5, page_five_requested.set)
    shop.faults.on_page("orders", 2, lambda: waited.append(page_five_requested.wait(10)))
    with client_for(shop, concurrency=4) as client:
        numbers = [page.page for page in client.iter_pages("orders", {"orderby": "id"})]
    assert waited == [True]  # page 5 was asked for while page 2 was still being answered
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == 13


def test_paging_can_resume_from_a_later_page(shop: WooServer) -> None:
    with client_for(shop) as client:
        pages = list(client.iter_pages("orders", {"orderby": "id", "order": "asc"}, start_page=12))
    assert [page.page for page in pages] == [12, 13]
    assert pages[-1].items[-1]["id"] == visible_ids(shop.data)[-1]


def test_paging_stops_at_an_empty_page_when_orders_vanish_during_the_import(
    fresh_shop: WooServer,
) -> None:
    data = fresh_shop.data

    def delete_most() -> None:
        for order_id in list(data.orders)[:250]:
            data.hard_delete_order(order_id)

    fresh_shop.faults.on_page("orders", 2, delete_most)
    with client_for(fresh_shop, concurrency=1) as client:
        pages = list(client.iter_pages("orders", {"orderby": "id", "per_page": 50}))
    assert pages[0].total_pages == 6 and [page.page for page in pages] == [1]
    assert fresh_shop.faults.requests("/orders") == 2  # page 2 came back empty


def test_modified_after_finds_exactly_the_orders_changed_since(fresh_shop: WooServer) -> None:
    data = fresh_shop.data
    since = data.now
    changed = sorted(data.orders)[10:13]
    data.update_order(changed[1], status="completed")
    data.add_refund(changed[0], "1.00")
    data.trash_order(changed[2])
    params = {"modified_after": since, "dates_are_gmt": True, "orderby": "modified", "order": "asc"}
    with client_for(fresh_shop) as client:
        found = ids_of(client.iter_pages("orders", params))
        trashed = ids_of(client.iter_pages("orders", params | {"status": "trash"}))
    assert found == [changed[1], changed[0]]  # any = all but trash, oldest change first
    assert trashed == [changed[2]]


def test_fields_id_lists_only_ids(shop: WooServer) -> None:
    with client_for(shop) as client:
        items = [
            item for page in client.iter_pages("orders", {"_fields": "id"}) for item in page.items
        ]
    assert all(list(item) == ["id"] for item in items)
    assert sorted(item["id"] for item in items) == visible_ids(shop.data)


def test_get_returns_one_decoded_resource(shop: WooServer) -> None:
    order_id = next(iter(shop.data.orders))
    with client_for(shop) as client:
        order = client.get(f"orders/{order_id}")
        refunds = client.get(f"orders/{order_id}/refunds")
    assert order["id"] == order_id and isinstance(order["line_items"][0]["price"], int | float)
    assert isinstance(refunds, list)


def test_the_server_filters_like_woocommerce(shop: WooServer) -> None:
    data = shop.data
    chosen = sorted(data.orders)[5:8]
    with client_for(shop) as client:
        included = client.get("orders", {"include": chosen, "orderby": "include", "status": "any"})
        people = ids_of(client.iter_pages("customers", {"role": "all", "orderby": "id"}))
        customers = ids_of(client.iter_pages("customers", {"orderby": "registered_date"}))
        drafts = client.get("products", {"status": "draft,private", "_fields": "id,status"})
        variable = next(p for p in data.products.values() if p["type"] == "variable")
        variations = client.get(f"products/{variable['id']}/variations")
    assert [order["id"] for order in included] == [
        i for i in chosen if data.orders[i]["status"] != "trash"
    ]
    assert people == sorted(data.customers) and 1 not in customers  # customers: asc
    assert len(customers) == len(data.customers) - 1
    assert {p["status"] for p in drafts} == {"draft", "private"}
    assert sorted(v["id"] for v in variations) == variable["variations"]


def test_a_parameter_the_shop_rejects_is_reported_at_once(shop: WooServer) -> None:
    with client_for(shop) as client, pytest.raises(WooRequestRejected) as rejected:
        client.get("orders", {"per_page": 101})
    assert_actionable(rejected.value, "rest_invalid_param", "per_page")
    assert shop.faults.requests("/orders") == 1


# -- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_until_the_shop_answers(shop: WooServer, status: int) -> None:
    shop.faults.fail(status, times=2, path_contains="/orders")
    with client_for(shop) as client:
        orders = client.get("orders", {"per_page": 5})
    assert len(orders) == 5 and shop.faults.requests("/orders") == 3


def test_rate_limiting_is_retried_after_the_time_the_shop_asks_for(shop: WooServer) -> None:
    shop.faults.fail(429, times=1, retry_after=1)
    started = time.monotonic()
    with client_for(shop, backoff=0.0) as client:
        client.get("orders", {"per_page": 1})
    assert time.monotonic() - started >= 1.0
    assert shop.faults.requests("/orders") == 2


def test_timeouts_are_retried(shop: WooServer) -> None:
    shop.faults.timeout(3, times=2, path_contains="/orders")
    with client_for(shop, timeout=0.5) as client:
        orders = client.get("orders", {"per_page": 2})
    assert len(orders) == 2 and shop.faults.requests("/orders") == 3


def test_pages_fetched_concurrently_survive_faults(shop: WooServer) -> None:
    shop.faults.fail(503, times=3, path_contains="/orders")
    shop.faults.timeout(3, times=1, path_contains="/orders")
    with client_for(shop, timeout=0.5) as client:
        ids = ids_of(client.iter_pages("orders", {"orderby": "id", "order": "asc"}))
    assert ids == visible_ids(shop.data)


def test_a_webhook_post_is_not_repeated_after_a_server_error(fresh_shop: WooServer) -> None:
    fresh_shop.faults.fail(500, times=1, path_contains="/webhooks")
    body = {"topic": "order.updated", "delivery_url": "https://127.0.0.1/hook"}
    with client_for(fresh_shop) as client, pytest.raises(WooUnavailable):
        client.post("webhooks", body)
    assert fresh_shop.faults.requests("/webhooks") == 1 and not fresh_shop.data.webhooks


def test_retries_never_log_the_secret(shop: WooServer) -> None:
    shop.faults.fail(503, times=2)
    with capture_logs() as logs, client_for(shop, query_auth=True) as client:
        client.get("orders", {"per_page": 1})
    assert [log["event"] for log in logs] == ["woo_request_retry"] * 2
    assert all(shop.secret not in repr(log) and shop.key not in repr(log) for log in logs)


# -- what the shop owner is told ----------------------------------------------------------


def test_an_http_shop_url_is_refused_unless_allowed(shop: WooServer) -> None:
    with pytest.raises(NotHttps) as refused:
        WooClient(shop.base_url, shop.key, shop.secret)
    assert_actionable(refused.value, "https://", "WCPULSE_ALLOW_HTTP_SHOPS=1")


def test_a_self_signed_certificate_is_reported_and_trusting_it_works(
    shop_data: WooShopData,
) -> None:
    with running_woo_server(shop_data, tls=True) as server:
        with (
            pytest.raises(CertificateInvalid) as failed,
            WooClient(server.base_url, server.key, server.secret, backoff=0.01) as client,
        ):
            client.check()
        assert_actionable(failed.value, "certificate", "browser")
        assert server.faults.requests() == 0  # the handshake failed: no request, no retries
        trusted = WooClient(
            server.base_url, server.key, server.secret, verify=str(server.cert_path)
        )
        with trusted:
            trusted.check()


def test_a_wrong_key_is_reported_as_invalid_credentials(shop: WooServer) -> None:
    with WooClient(shop.base_url, shop.key, "cs_wrong", allow_http=True) as client:
        with pytest.raises(InvalidCredentials) as refused:
            client.check()
    assert_actionable(refused.value, "Consumer Key", "Settings → Advanced → REST API")
    assert shop.faults.requests("/orders") == 1  # a 401 is never retried


def test_a_key_without_permission_is_reported_as_missing_permission(shop: WooServer) -> None:
    shop.faults.fail(403, times=1)
    with client_for(shop) as client, pytest.raises(MissingPermission) as denied:
        client.get("orders")
    assert_actionable(denied.value, "Read")


def test_a_read_only_key_cannot_install_webhooks(fresh_shop: WooServer) -> None:
    fresh_shop.faults.read_only(True)
    body = {"topic": "order.updated", "delivery_url": "https://127.0.0.1/hook"}
    with client_for(fresh_shop) as client, pytest.raises(MissingPermission) as denied:
        client.post("webhooks", body)
    assert_actionable(denied.value, "Read/Write")


def test_plain_permalinks_are_reported_with_the_permalinks_fix(shop: WooServer) -> None:
    shop.faults.plain_permalinks(True)
    with client_for(shop) as client, pytest.raises(RestApiNotFound) as missing:
        client.check()
    assert_actionable(missing.value, "Permalinks", "Post name")


def test_a_missing_order_is_not_a_missing_rest_api(shop: WooServer) -> None:
    with client_for(shop) as client, pytest.raises(ResourceNotFound) as missing:
        client.get("orders/99")
    assert not isinstance(missing.value, RestApiNotFound) and missing.value.status == 404


def test_a_shop_that_never_answers_in_time_is_reported_as_a_timeout(shop: WooServer) -> None:
    shop.faults.timeout(3, times=None)
    with client_for(shop, timeout=0.3, retries=2) as client, pytest.raises(WooTimeout) as slow:
        client.get("orders")
    assert_actionable(slow.value, "WCPULSE_WOO_TIMEOUT")
    assert shop.faults.requests("/orders") == 3


def test_a_shop_that_keeps_failing_is_reported_as_unavailable(shop: WooServer) -> None:
    shop.faults.fail(503, times=None)
    with client_for(shop, retries=3) as client, pytest.raises(WooUnavailable) as down:
        client.get("orders")
    assert_actionable(down.value, "503")
    assert shop.faults.requests("/orders") == 4


def test_query_string_auth_works_where_the_authorization_header_is_stripped(
    shop: WooServer,
) -> None:
    shop.faults.strip_authorization(True)
    with client_for(shop) as header_client, pytest.raises(InvalidCredentials):
        header_client.check()
    with client_for(shop, query_auth=True) as client:
        client.check()
        assert len(client.get("orders", {"per_page": 3})) == 3


# -- webhooks -----------------------------------------------------------------------------


def test_webhooks_round_trip(fresh_shop: WooServer) -> None:
    body = {"name": "wcpulse order.updated", "topic": "order.updated", "secret": "s3cret"}
    body["delivery_url"] = "https://127.0.0.1/webhooks/woocommerce/shop-1"
    with client_for(fresh_shop) as client:
        created = client.post("webhooks", body)
        listed = [hook for page in client.iter_pages("webhooks") for hook in page.items]
        paused = client.put(f"webhooks/{created['id']}", {"status": "paused"})
        read = client.get(f"webhooks/{created['id']}")
        client.delete(f"webhooks/{created['id']}", {"force": True})
        remaining = client.get("webhooks")
    assert created["status"] == "active" and created["resource"] == "order"
    assert "secret" not in created and fresh_shop.data.webhooks == {}
    assert [hook["id"] for hook in listed] == [created["id"]]
    assert paused["status"] == read["status"] == "paused" and remaining == []
