"""Fixtures shared by several integration test modules in this folder.

- the read API (``test_read_api_*.py``): ``clock``, ``client`` (an app over views in
  ``tmp_path``, no views yet) and ``shop`` (the same client once read_api_support's views are
  published); a module that defines its own ``client`` (test_webhook_receiver.py) keeps it;
- the customer analytics read API (customer_shop.py): ``data_dir`` (that shop's views,
  published once per module) and ``api`` (a client over them); a module that defines its own
  ``api`` (test_read_api_sync.py) keeps it;
- the RabbitMQ tests: ``topology``, four partitions under a name no other test uses.

Service fixtures (``amqp_url``, ``postgres_url``, ``unique_prefix``) are in tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from api.app import create_app
from ingest.messaging.rabbit import RabbitTopology
from schemas.clock import FixedClock
from schemas.settings import Settings
from tests.integration.broker_support import rabbit_topology
from tests.integration.customer_shop import customer_api, publish_customer_shop
from tests.integration.read_api_support import NOW, Tokens, publish_views


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def client(tmp_path, clock):
    app = create_app(Settings(data_dir=tmp_path), Tokens(), clock)
    return app.test_client()


@pytest.fixture
def shop(tmp_path, client):
    publish_views(tmp_path)
    return client


@pytest.fixture
def topology(amqp_url: str, unique_prefix: str) -> Iterator[RabbitTopology]:
    with rabbit_topology(amqp_url, unique_prefix, 4) as declared:
        yield declared


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("customer-shop")
    publish_customer_shop(directory)
    return directory


@pytest.fixture
def api(data_dir):
    return customer_api(data_dir)
