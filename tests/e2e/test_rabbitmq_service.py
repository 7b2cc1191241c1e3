"""Production shape: `wcpulse ingest`, `process` and `api` as separate processes on RabbitMQ."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.messaging.rabbit import RabbitPublisher, RabbitTopology, connect
from schemas.envelope import Envelope
from tests.conftest import load_fixture
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for
from tests.e2e.test_embedded_service import FIXTURE_TOPICS

pytestmark = pytest.mark.rabbitmq
PARTITIONS = 2
ALL_TIME = {"period": "custom", "from": "2000-01-01", "to": "2030-12-31"}


@pytest.fixture
def service(tmp_path, amqp_url, unique_prefix):
    env = {
        "WCPULSE_BROKER_URL": amqp_url,
        "WCPULSE_QUEUE_PREFIX": unique_prefix,
        "WCPULSE_PARTITIONS": str(PARTITIONS),
        "WCPULSE_BATCH_SIZE": "500",
    }
    svc = Service(tmp_path, free_port(), extra_env=env)
    yield svc
    svc.stop_all()
    with connect(amqp_url) as conn:
        RabbitTopology(unique_prefix, PARTITIONS).delete(conn)


def order_envelopes(shop_id: str, count: int) -> list[Envelope]:
    template = load_fixture("order.json")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    envelopes = []
    for index in range(count):
        body = dict(template, id=index + 1, number=str(index + 1), status="completed")
        body.update(customer_id=index % 400 + 1, total="10.00", line_items=[], refunds=[])
        stamp = (start + timedelta(minutes=index)).strftime("%Y-%m-%dT%H:%M:%S")
        body.update(date_created_gmt=stamp, date_modified_gmt=stamp)
        envelopes.append(
            Envelope(
                shop_id, "order.created", "order", "created", index + 1, json.dumps(body), start
            )
        )
    return envelopes


def applied(svc: Service, shop: dict, api_port: int) -> int:
    url = f"http://127.0.0.1:{api_port}"
    return api_get(url, shop, "freshness").json()["events_applied"] or 0


def test_webhooks_flow_from_ingest_through_rabbitmq_to_the_api(service):
    shop = service.add_shop()
    api_port = free_port()
    service.start("ingest")
    service.start("process", wait=False)
    service.start("api", port=api_port)
    for name, topic in FIXTURE_TOPICS:
        response = post_webhook(service.base_url, shop, topic, load_fixture(name))
        assert response.status_code == 202, response.text
    api_url = f"http://127.0.0.1:{api_port}"

    def orders():
        data = api_get(api_url, shop, "orders").json()["data"]
        return data if len(data) == 2 else None

    assert sorted(o["order_id"] for o in wait_for(orders, what="orders via RabbitMQ")) == [723, 727]
    kpis = api_get(api_url, shop, "kpis", **ALL_TIME).json()["kpis"]
    assert (kpis["net_revenue"]["value"], kpis["orders"]["value"]) == ("49.35", 2)


def test_a_processor_killed_mid_stream_loses_and_double_counts_nothing(service, amqp_url):
    shop = service.add_shop()
    total = 20000
    envelopes = order_envelopes(shop["shop_id"], total)
    topology = RabbitTopology(service.extra_env["WCPULSE_QUEUE_PREFIX"], PARTITIONS)
    publisher = RabbitPublisher(amqp_url, topology)
    publisher.publish(envelopes + envelopes[:2000])  # 2,000 duplicates as well
    publisher.close()
    api_port = free_port()
    service.start("api", port=api_port)
    first = service.start("process", wait=False)
    wait_for(lambda: applied(service, shop, api_port) > 0, what="first batches applied")
    service.kill9(first)
    seen_before_kill = applied(service, shop, api_port)
    service.start("process", wait=False)
    api_url = f"http://127.0.0.1:{api_port}"

    def all_orders():
        kpis = api_get(api_url, shop, "kpis", **ALL_TIME).json()["kpis"]
        return kpis if kpis["orders"]["value"] == total else None

    kpis = wait_for(all_orders, timeout=120, what="all orders after the restart")
    assert seen_before_kill < total + 2000, "the processor finished before it was killed"
    assert kpis["revenue"]["value"] == f"{total * 10}.00"
    assert kpis["customers"]["value"] == 400
    wait_for(lambda: applied(service, shop, api_port) >= total + 2000, what="every message")
