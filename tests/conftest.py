"""Shared fixtures: real services (RabbitMQ, PostgreSQL) and the WooCommerce fixtures.

Tests that need a service skip when it is unreachable, unless WCPULSE_REQUIRE_SERVICES=1
(as in CI), where they fail instead.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text

FIXTURES = Path(__file__).parent / "fixtures" / "woocommerce"
AMQP_URL = os.environ.get("WCPULSE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")
POSTGRES_URL = os.environ.get(
    "WCPULSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), 2):
            return True
    except OSError:
        return False


def _require(url: str, port: int, what: str) -> str:
    if _reachable(url, port):
        return url
    message = f"{what} is not reachable at {url}"
    if os.environ.get("WCPULSE_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (WCPULSE_REQUIRE_SERVICES=1)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def amqp_url() -> str:
    return _require(AMQP_URL, 5672, "RabbitMQ")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return _require(POSTGRES_URL, 5432, "PostgreSQL")


@pytest.fixture
def postgres_database_url(postgres_url: str) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped with its tables after."""
    schema = f"wcpulse_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{postgres_url}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def unique_prefix() -> str:
    """A queue/exchange name prefix no other test uses."""
    return f"wcpulse-test-{uuid.uuid4().hex[:10]}"


def load_fixture(name: str):
    return json.loads((FIXTURES / name).read_text())
