"""The dashboard's sign-in over HTTP: the token posted once becomes an HTTP-only,
SameSite=Strict cookie that reads its own shop's API on GET only; a wrong token, another
shop, another site and a changing request get nothing from it; sign-out clears it.

Real Flask app over real Parquet views (read_api_support.py's shop-a and shop-b).
"""

from __future__ import annotations

from importlib import resources

from api.auth import session_cookie_name
from tests.integration.read_api_support import AUTH, ORDERS

SESSION = "/dashboard/shop-a/session"
COOKIE = session_cookie_name("shop-a")


def sign_in(client, token="token-a", **headers):
    return client.post(SESSION, json={"token": token}, headers=headers)


def set_cookie_header(response) -> str:
    return "; ".join(response.headers.getlist("Set-Cookie"))


def test_signing_in_sets_an_http_only_strict_cookie_and_answers_the_shops_card(shop):
    response = sign_in(shop)

    assert response.status_code == 200
    assert response.get_json() == {
        "signed_in": True, "shop_id": "shop-a", "name": "A", "url": "https://a.example",
        "currency": "PLN", "timezone": "Europe/Warsaw", "locale": None,
    }  # fmt: skip
    header = set_cookie_header(response)
    assert header.startswith(COOKIE + "=token-a")
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/" in header
    assert "token-a" not in response.get_data(as_text=True)
    assert shop.get(SESSION).get_json()["name"] == "A"


def test_the_cookie_reads_the_shops_views_as_the_bearer_token_does(shop):
    sign_in(shop)

    with_cookie = shop.get("/api/v1/shops/shop-a/orders?per_page=100")

    assert with_cookie.status_code == 200
    ids = {row["order_id"] for row in with_cookie.get_json()["data"]}
    assert ids == {order[0] for order in ORDERS}
    csv = shop.get("/api/v1/shops/shop-a/orders?format=csv")
    assert csv.status_code == 200 and csv.headers["Content-Disposition"].startswith("attachment")
    assert len(csv.get_data(as_text=True).strip().splitlines()) == 1 + len(ORDERS)


def test_a_wrong_or_empty_token_is_401_and_sets_no_cookie(shop):
    for token in ("nope", "", "   "):
        response = sign_in(shop, token)

        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthorized"
        assert "Set-Cookie" not in response.headers
    assert shop.get(SESSION).get_json() == {"signed_in": False}
    assert shop.get("/api/v1/shops/shop-a/orders").status_code == 401


def test_another_shops_token_cannot_sign_in_here(shop):
    response = sign_in(shop, "token-b")

    assert response.status_code == 403
    assert "Set-Cookie" not in response.headers


def test_a_shops_cookie_reads_no_other_shop(shop):
    sign_in(shop)

    assert shop.get("/api/v1/shops/shop-b/orders").status_code == 401  # no cookie for shop-b
    shop.set_cookie(session_cookie_name("shop-b"), "token-a")  # shop-a's token, shop-b's name
    answer = shop.get("/api/v1/shops/shop-b/orders")
    assert answer.status_code == 403 and answer.get_json()["error"]["code"] == "forbidden"


def test_the_cookie_authorises_no_request_that_changes_something(shop):
    sign_in(shop)

    acknowledge = shop.post("/api/v1/shops/shop-a/alerts/1/acknowledge")
    erase = shop.delete("/api/v1/shops/shop-a/customers/25")

    assert acknowledge.status_code == 401 and erase.status_code == 401


def test_a_bearer_header_wins_over_the_cookie(shop):
    sign_in(shop)

    response = shop.get("/api/v1/shops/shop-a/orders", headers={"Authorization": "Bearer nope"})

    assert response.status_code == 401


def test_signing_out_clears_the_cookie_and_the_api_then_asks_for_a_token(shop):
    sign_in(shop)

    response = shop.delete(SESSION)

    assert response.status_code == 204
    header = set_cookie_header(response)
    assert header.startswith(COOKIE + "=;") and "Max-Age=0" in header
    assert shop.get_cookie(COOKIE) is None
    assert shop.get("/api/v1/shops/shop-a/orders").status_code == 401
    assert shop.get(SESSION).get_json() == {"signed_in": False}


def test_another_site_can_neither_sign_in_nor_sign_out(shop):
    evil = {"Origin": "https://evil.example"}

    assert sign_in(shop, **evil).status_code == 403
    assert shop.get_cookie(COOKIE) is None
    sign_in(shop, Origin="http://localhost")  # the test client's own origin
    assert shop.delete(SESSION, headers=evil).status_code == 403
    assert shop.get_cookie(COOKIE) is not None


def test_a_form_post_signs_in_too(shop):
    response = shop.post(SESSION, data={"token": "token-a"})

    assert response.status_code == 200 and shop.get_cookie(COOKIE).value == "token-a"


def test_the_landing_page_says_where_to_go_and_the_page_carries_no_token(shop):
    landing = shop.get("/")
    page = shop.get("/dashboard/shop-a", headers=AUTH)

    assert landing.status_code == 200 and "/dashboard/" in landing.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "token-a" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_chart_library_is_the_plotly_packages_own_file_cached_for_long(shop):
    html = shop.get("/dashboard/shop-a").get_data(as_text=True)
    start = html.index("/dashboard-vendor/plotly-")
    url = html[start : html.index('"', start)]

    response = shop.get(url)

    expected = (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()
    assert response.status_code == 200 and response.get_data() == expected
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert response.mimetype == "text/javascript"
