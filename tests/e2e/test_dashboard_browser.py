"""The dashboard page in headless Chromium: after its scripts ran against `wcpulse run`, the
DOM shows the KPIs, the customer segments, the retention tables, and the CLV and churn
sections (counts per value segment and churn level, the churn timeline, the top customers).

Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it): skipped without
it, failed without it when WCPULSE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from tests import woo_payloads as woo
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)


@pytest.fixture
def chromium():
    if CHROMIUM is None:
        if os.environ.get("WCPULSE_REQUIRE_SERVICES") == "1":
            pytest.fail("Chromium is required (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


class Cells(HTMLParser):
    """Text of every table cell by table id; text after (and attributes of) each id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.texts: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str | None]] = {}
        self._table: str | None = None
        self._ids: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag, attrs):
        found = dict(attrs).get("id")
        if tag == "table" and found:
            self._table = found
            self.tables[found] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table and self.tables[self._table]:
            self.tables[self._table][-1].append("")
            self._in_cell = True
        if found:
            self.attrs[found] = dict(attrs)
            self._ids.append(found)
            self.texts.setdefault(found, "")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        if tag in ("td", "th"):
            self._in_cell = False

    def handle_data(self, data):
        if self._in_cell and self._table:
            self.tables[self._table][-1][-1] += data
        for name in self._ids[-1:]:
            self.texts[name] += data


def _dom(chromium: str, url: str, profile) -> Cells:
    done = subprocess.run(
        [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=20000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    cells = Cells()
    cells.feed(done.stdout)
    return cells


def test_the_dashboard_shows_kpis_segments_retention_and_predictions_from_the_live_api(
    chromium, service, tmp_path
):
    shop = service.add_shop()
    service.start("run")
    for n in range(6):
        body = woo.order(500 + n, email=f"buyer{n % 3}@example.com", total=f"{20 + n}.00")
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    wait_for(
        lambda: len(api_get(service.base_url, shop, "customers").json()["data"]) == 3,
        what="three customers",
    )
    churn_job = service.cli("jobs", "run", "churn", "--shop", shop["shop_id"])
    assert churn_job.returncode == 0, churn_job.stderr
    url = f"{service.base_url}/dashboard/{shop['shop_id']}#token={shop['api_token']}"
    dom = _dom(chromium, url, tmp_path / "profile")
    segments = dom.tables["segments"]
    assert segments[0][:2] == ["segment", "customers"]
    assert len(segments) == 1 + 11
    assert sum(int(row[1]) for row in segments[1:]) == 3
    assert "3 customers with orders, scored as of" in dom.texts["segments-label"]
    customers = dom.tables["customers"]
    assert {"segment", "status", "rfm_score"} <= set(customers[0])
    assert len(customers) == 1 + 3
    assert dom.tables["purchase-counts"][0][0] and len(dom.tables["purchase-counts"]) == 1 + 5
    assert "Repeat purchase rate" in dom.texts["retention-label"]
    values = dom.tables["value-segments"]
    assert [row[0] for row in values] == ["value_segment", "High", "Medium", "Low"]
    assert sum(int(row[1]) for row in values[1:]) == 3
    levels = dom.tables["churn-levels"]
    assert [row[0] for row in levels] == ["churn_level", "Low", "Medium", "High", "Critical"]
    assert sum(int(row[1]) for row in levels[1:]) == 3
    assert {"predicted_clv_12m", "value_segment"} <= set(dom.tables["clv"][0])
    assert {"churn_level", "risk_factors", "winback_discount_pct"} <= set(dom.tables["churn"][0])
    assert len(dom.tables["clv"]) == len(dom.tables["churn"]) == 1 + 3
    assert "3 customers predicted as of" in dom.texts["clv-label"]
    timeline = dom.tables["churn-timeline"]
    assert timeline[0] == ["day", "Low", "Medium", "High", "Critical"]
    assert sum(int(cell) for cell in timeline[1][1:]) == 3  # today's record, after the job
    assert "hidden" in dom.attrs["error"]  # no error shown
    assert "hidden" not in dom.attrs["content"]
