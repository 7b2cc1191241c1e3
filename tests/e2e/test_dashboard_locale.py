"""A shop's locale (`wcpulse shop set --locale`) decides how the dashboard writes money and
days, whatever the reader's browser speaks: headless Chromium (English) against `wcpulse
run` shows a German shop's euros and dates the German way. The expected text is written
here from the German conventions (dot for thousands, comma for decimals, a no-break space
before the euro sign, day.month.year), not by the page's own formatter.

Needs Debian's Chromium, as tests/e2e/test_dashboard_browser.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from tests import woo_payloads as woo
from tests.e2e.service import api_get, post_webhook, wait_for
from tests.e2e.test_dashboard_browser import _sign_in, chromium, service  # noqa: F401

NBSP = "\u00a0"


def _german_money(value: Decimal) -> str:
    grouped = f"{value:,.2f}"  # 1,234.50
    return grouped.translate(str.maketrans(",.", ".,")) + NBSP + "€"


def _german_day(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def test_a_german_shops_money_and_days_are_written_the_german_way(chromium, service):  # noqa: F811
    shop = service.add_shop()
    changed = service.cli("shop", "set", shop["shop_id"], "--locale", "de_de", "--currency", "eur")
    assert changed.returncode == 0, changed.stderr
    assert "de-DE" in changed.stdout and "EUR" in changed.stdout
    service.start("run")
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    totals = ("1000.25", "234.25")
    for n, total in enumerate(totals):
        body = woo.order(900 + n, email=f"kunde{n}@example.com", total=total,
                         created=f"{yesterday.isoformat()}T10:00:00")  # fmt: skip
        assert post_webhook(service.base_url, shop, "order.created", body).status_code == 202
    wait_for(
        lambda: api_get(service.base_url, shop, "orders").json()["pagination"]["total"] == 2,
        what="both orders",
    )
    tile = api_get(service.base_url, shop, "sales/summary").json()["tiles"]["last_30_days"]
    assert Decimal(tile["revenue"]) == sum(Decimal(total) for total in totals)
    page = chromium.page(1400, 900)
    page.goto(f"{service.base_url}/dashboard/{shop['shop_id']}")
    page.wait_for("!document.getElementById('signin').hidden", what="the sign-in form")
    _sign_in(page, shop["api_token"])
    page.wait_for("document.querySelectorAll('.tile').length === 6", what="the six tiles")

    card = "document.querySelector('.tile[data-tile=last_30_days]')"
    shown = page.js(f"{card}.querySelector('.tile-value').textContent")
    assert shown == _german_money(Decimal("1234.50"))  # "1.234,50 €"
    first, last = date.fromisoformat(tile["from"]), date.fromisoformat(tile["to"])
    assert page.js(f"{card}.title").startswith(f"{_german_day(first)} – {_german_day(last)}")
    assert page.js("navigator.language").startswith("en")  # the browser's own is not used

    unset = service.cli("shop", "set", shop["shop_id"], "--locale", "")
    assert unset.returncode == 0, unset.stderr
    page.goto(f"{service.base_url}/dashboard/{shop['shop_id']}")  # signed in: the cookie
    page.wait_for("document.querySelectorAll('.tile').length === 6", what="the tiles again")
    english = page.js(f"{card}.querySelector('.tile-value').textContent")
    assert english == "€1,234.50"  # now in the browser's language (English)
