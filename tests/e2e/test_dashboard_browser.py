"""The dashboard in headless Chromium against `wcpulse run`, driven over the DevTools
protocol (tests/e2e/chromium_pipe.py): a bad token shows the sign-in form again; signed in,
the tiles and the charts hold the numbers of the orders posted (summed here from the
payloads); an order posted by webhook shows in the tiles, the chart and the live feed
without a reload; the search opens a customer's 360; at 1400 and 390 px nothing scrolls
sideways, and screenshots of both are saved (their folder is printed).

Needs Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it): skipped without
it, failed without it when WCPULSE_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests import woo_payloads as woo
from tests.e2e.chromium_pipe import Chromium, Page
from tests.e2e.service import Service, api_get, free_port, post_webhook, wait_for

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "dashboard"
NO_SIDEWAYS = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


@pytest.fixture
def chromium(tmp_path):
    if CHROMIUM is None:
        if os.environ.get("WCPULSE_REQUIRE_SERVICES") == "1":
            pytest.fail("Chromium is required (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    browser = Chromium(CHROMIUM, tmp_path / "profile")
    yield browser
    browser.close()


@pytest.fixture
def service(tmp_path):
    svc = Service(tmp_path, free_port())
    yield svc
    svc.stop_all()


def _posted(days_ago: int, hour: int, n: int, total: str) -> dict:
    when = datetime.now(UTC).date() - timedelta(days=days_ago)
    created = f"{when.isoformat()}T{hour:02d}:00:00"
    return woo.order(700 + n, email=f"buyer{n % 3}@example.com", total=total, created=created)


def _revenue(orders: list[dict], first: str, last: str) -> Decimal:
    """Net revenue of the posted (paid, unrefunded) orders placed from ``first`` to ``last``."""
    days = (date.fromisoformat(first), date.fromisoformat(last))
    placed = [(o, date.fromisoformat(o["date_created_gmt"][:10])) for o in orders]
    return sum((Decimal(o["total"]) for o, day in placed if days[0] <= day <= days[1]), Decimal(0))


def _sign_in(page: Page, token: str) -> None:
    page.js(
        f"document.getElementById('signin-token').value = {json.dumps(token)};"
        "document.getElementById('signin-form').requestSubmit(); true"
    )


def _tile(page: Page, name: str) -> dict:
    return page.js(f"({{...document.querySelector('.tile[data-tile={name}]').dataset}})")


def _check_tiles(page: Page, summary: dict, orders: list[dict]) -> None:
    for name, tile in summary["tiles"].items():
        expected = _revenue(orders, tile["from"], tile["to"])
        shown = _tile(page, name)
        assert Decimal(shown["revenue"]) == Decimal(tile["revenue"]) == expected, name
        assert Decimal(shown["orders"]) == tile["orders"], name


SPARKS = (
    "[...document.querySelectorAll('.tile')].map(t => t.querySelector('.sparkline polyline')"
    " ? Number(t.querySelector('.sparkline').dataset.points) : 0)"
)


def _spark_points(summary: dict) -> list[int]:
    """Points of each tile's sparkline: one a day over the last 30 days and today, those of
    the tile's period, or the last 7 up to its last day when the period is shorter."""
    today = date.fromisoformat(summary["tiles"]["today"]["from"])
    days = [today - timedelta(days=n) for n in range(31)]
    points = []
    for tile in summary["tiles"].values():
        first, last = date.fromisoformat(tile["from"]), date.fromisoformat(tile["to"])
        upto = [day for day in days if day <= last]
        inside = [day for day in upto if day >= first]
        points.append(len(inside) if len(inside) >= 7 else min(7, len(upto)))
    return points


def _screenshots(page: Page, label: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width, mobile in ((1400, False), (390, True)):
        page.resize(width, 900, mobile)
        page.wait_for(f"document.documentElement.clientWidth === {width}", what=f"{width} px")
        page.wait_for(NO_SIDEWAYS, what=f"no sideways scrolling at {width} px", timeout=10)
        page.screenshot(ARTIFACTS / f"{label}-{width}px.png")
    page.resize(1400, 900)
    print(f"dashboard screenshots in {ARTIFACTS}")


def test_an_owner_signs_in_sees_the_shops_numbers_and_new_orders_arrive_without_a_reload(
    chromium, service
):
    shop = service.add_shop()
    service.start("run")
    orders = [_posted(2 + n % 3, 9 + n, n, f"{20 + n}.00") for n in range(6)]
    for body in orders:
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    customers = lambda: api_get(service.base_url, shop, "customers").json()  # noqa: E731
    wait_for(lambda: customers()["pagination"]["total"] == 3, what="three customers")
    churn_job = service.cli("jobs", "run", "churn", "--shop", shop["shop_id"])
    assert churn_job.returncode == 0, churn_job.stderr
    rfm_job = service.cli("jobs", "run", "rfm", "--shop", shop["shop_id"])
    assert rfm_job.returncode == 0, rfm_job.stderr
    page = chromium.page(1400, 900)

    page.goto(f"{service.base_url}/dashboard/{shop['shop_id']}")
    page.wait_for("!document.getElementById('signin').hidden", what="the sign-in form")
    _sign_in(page, "wcp_not-the-token")
    page.wait_for("!document.getElementById('signin-error').hidden", what="the bad token's message")
    assert "not valid" in page.js("document.getElementById('signin-error').textContent")
    assert page.js(
        "document.getElementById('app').hidden && !document.getElementById('signin').hidden"
    )
    chromium.events.clear()  # the refused sign-in's 401 is the one error expected
    _sign_in(page, shop["api_token"])
    page.wait_for("document.querySelectorAll('.tile').length === 6", what="the six tiles")
    page.js("window.notReloaded = true")

    assert page.js("document.getElementById('shop-name').textContent") == "E2E"
    assert "token" not in page.js("location.href") and page.js("document.cookie") == ""
    summary = api_get(service.base_url, shop, "sales/summary").json()
    _check_tiles(page, summary, orders)
    assert page.js(SPARKS) == _spark_points(summary)
    series = api_get(service.base_url, shop, "timeseries", period="last_30_days",
                     interval="day", compare="previous").json()  # fmt: skip
    chart = "document.getElementById('revenue-chart').dataset"
    drawn = "!!document.querySelector('#revenue-chart .main-svg')"
    page.wait_for(f"{chart}.points === '30' && {drawn}", what="the revenue chart")
    assert Decimal(page.js(f"{chart}.netRevenue")) == Decimal(series["totals"]["net_revenue"])
    assert Decimal(series["totals"]["net_revenue"]) == sum(Decimal(o["total"]) for o in orders)
    assert (
        page.wait_for("document.getElementById('segments-chart').dataset.customers", "RFM") == "3"
    )
    shares = page.wait_for("document.getElementById('segments-shares')?.dataset.days", "shares")
    assert shares == "1"  # one rescoring: nobody has moved yet
    movers = page.js("document.getElementById('segments-movers').textContent")
    assert movers.startswith("No segment's share has moved since")
    values = page.wait_for("document.getElementById('values-chart').dataset.counts", "values")
    assert sum(int(n) for n in values.split(",")) == 3
    churn = page.wait_for("document.getElementById('churn-chart').dataset.latest", "churn")
    assert sum(int(n) for n in churn.split(",")) == 3
    _screenshots(page, "signed-in")

    new = woo.order(799, email="newbuyer@example.com", total="123.45",
                    created=f"{datetime.now(UTC).date() - timedelta(days=1)}T12:00:00")  # fmt: skip
    assert post_webhook(service.base_url, shop, "order.created", new).status_code == 202
    orders.append(new)
    page.wait_for("document.querySelector('#live tbody td:nth-child(3)').textContent === '#799'",
                  what="the new order at the top of the live feed")  # fmt: skip
    page.wait_for(f"{chart}.netRevenue === '{series['totals']['net_revenue']}' ? false : true",
                  what="the chart's new total")  # fmt: skip
    assert Decimal(page.js(f"{chart}.netRevenue")) == sum(Decimal(o["total"]) for o in orders)
    summary = api_get(service.base_url, shop, "sales/summary").json()
    yesterday = summary["tiles"]["yesterday"]["orders"]
    tile = "document.querySelector('.tile[data-tile=yesterday]').dataset"
    page.wait_for(f"{tile}.orders === '{yesterday}'", what="yesterday's tile")
    _check_tiles(page, summary, orders)
    assert page.js("window.notReloaded === true")

    page.js("const s = document.getElementById('customer-search'); s.value = 'buyer1@';"
            "s.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter'})); true")  # fmt: skip
    page.wait_for("!!document.querySelector('#search-results .result')", what="a search result")
    page.js("document.querySelector('#search-results .result').click(); true")
    page.wait_for("!!document.querySelector('.customer-360')", what="the customer's 360")
    bought = sum(o["billing"]["email"] == "buyer1@example.com" for o in orders)
    block = "document.querySelector('.customer-360 [data-block=orders]')"
    assert page.js(f"{block}.querySelector('h3').textContent") == f"Orders ({bought})"
    assert page.js(f"{block}.querySelectorAll('tbody tr').length") == bought
    assert "buyer1@example.com" in page.js("document.querySelector('.customer-360').textContent")
    assert page.js("document.querySelectorAll('.customer-360 .panel-block').length") == 6
    page.screenshot(ARTIFACTS / "customer-360-1400px.png")
    assert chromium.events and not page.problems()

    page.js("document.getElementById('panel-close').click(); true")
    page.js("document.getElementById('sign-out').click(); true")
    page.wait_for("!document.getElementById('signin').hidden", what="the form after signing out")
    assert api_get(service.base_url, shop, "customers").status_code == 200  # the token lives on
