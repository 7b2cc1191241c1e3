"""``api --profile``: each endpoint of the read API in this process under cProfile.

The same app ``wcpulse api`` serves (``api.app.create_app`` over the SQLite registry),
through Flask's test client, so the profile shows the Python side of a request (parsing,
DuckDB calls, Arrow to Python, rendering).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

from api.app import create_app
from bench.logs import configure_discarded_logging
from bench.profiling import profiled
from bench.service import SECRET_KEY
from schemas.clock import SystemClock
from schemas.settings import Settings
from wcpulse.shop_registry import default_open_registry

REPEAT = 10


class _Probe(Protocol):
    label: str
    view: str
    query: dict[str, str]


def profile_endpoints(data_dir: Path, shop: dict[str, Any], probes: list[Any]) -> None:
    configure_discarded_logging()
    settings = Settings(data_dir=data_dir, secret_key=SECRET_KEY)
    registry = default_open_registry(settings)
    try:
        client = create_app(settings, registry, SystemClock()).test_client()
        headers = {"Authorization": f"Bearer {shop['api_token']}"}
        for probe in probes:
            url = f"/api/v1/shops/{shop['shop_id']}/{probe.view}?{urlencode(probe.query)}"
            client.get(url, headers=headers)
            with profiled(True, f"{probe.label} x {REPEAT}"):
                for _ in range(REPEAT):
                    client.get(url, headers=headers)
    finally:
        registry.close()
