"""What ``wcpulse run`` (without the demo) says once it is ready: the dashboards of the
shops it serves (a few, then how many more), or how to add the first shop. A real SQLite
registry under tmp_path; the settle wait itself is covered end to end (test_demo_command)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from schemas.settings import load_settings
from wcpulse.ready import LISTED_SHOPS, ready_line, shop_lines
from wcpulse.shop_registry import default_open_registry

NOW = datetime(2026, 1, 5, 9, tzinfo=UTC)
BASE = "http://127.0.0.1:8000"


@pytest.fixture
def registry(tmp_path):
    settings = load_settings({"WCPULSE_DATA_DIR": str(tmp_path), "WCPULSE_SECRET_KEY": "0" * 64})
    opened = default_open_registry(settings)
    yield opened
    opened.close()


def _add(registry, count: int) -> list[str]:
    return [
        registry.add_shop(name=f"Shop {n}", url=f"https://s{n}.example", now=NOW).shop.shop_id
        for n in range(count)
    ]


def test_without_shops_it_says_how_to_add_one(registry):
    assert shop_lines(BASE, registry) == [
        f"ready: listening at {BASE}; add a shop with `wcpulse shop add --name NAME --url URL`"
    ]


def test_with_shops_each_dashboard_is_named_and_a_long_list_is_cut(registry):
    ids = _add(registry, LISTED_SHOPS + 2)

    lines = shop_lines(BASE, registry)

    assert len(lines) == LISTED_SHOPS + 1
    assert lines[-1] == "ready: and 2 more (`wcpulse shop list`)"
    shown = [line.split("/dashboard/")[1].split()[0] for line in lines[:-1]]
    assert set(shown) <= set(ids) and len(set(shown)) == LISTED_SHOPS
    assert all(line.startswith(f"ready: open {BASE}/dashboard/shp_") for line in lines[:-1])


def test_the_ready_line_carries_the_token_only_when_given():
    assert ready_line(BASE + "/", "shp_1") == f"ready: open {BASE}/dashboard/shp_1"
    assert ready_line(BASE, "shp_1", "wcp_t").endswith("/dashboard/shp_1  (API token: wcp_t)")
