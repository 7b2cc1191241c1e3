"""GET /api/v1/shops/<shop_id>/sync: the recorded import, sync and webhook-check runs.

Real Flask test client over a real SQLite metadata database (``ShopRegistry`` in
``tmp_path``); runs are recorded the way the importer, the reconciler and the webhook check
record them, through ``registry.sync_state.record_run``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest

from api.app import create_app
from api.runs import SYNC_COLUMNS
from schemas.clock import FixedClock
from schemas.settings import Settings
from store.crypto import SecretBox
from store.metadata import NewShop, ShopRegistry
from store.sync_state import SyncRun
from tests.integration.read_api_support import NOW, csv_rows, json_table
from tests.views_builder import at

SYNC_COUNTS = {
    "checked": {"orders": 40, "customers": 7},
    "repaired": {"orders": 3, "customers": 1},
    "hard_deleted": {"order": 2, "customer": 0, "coupon": 1},
    "total_repaired": 7,
}
IMPORT_COUNTS = {"order": 120, "customer": 30, "pages": 9, "caught_up": True}
WEBHOOK_COUNTS = {"not_active": {"order.updated": "disabled", "order.created": "paused"}}


@pytest.fixture
def registry(tmp_path) -> Iterator[ShopRegistry]:
    with ShopRegistry(f"sqlite:///{tmp_path / 'wcpulse.sqlite3'}", SecretBox(bytes(32))) as reg:
        reg.create_tables()
        yield reg


@pytest.fixture
def shop(registry) -> NewShop:
    return registry.add_shop(name="A", url="https://a.example", now=NOW)


@pytest.fixture
def other(registry) -> NewShop:
    return registry.add_shop(name="B", url="https://b.example", now=NOW)


@pytest.fixture
def api(tmp_path, registry):
    return create_app(Settings(data_dir=tmp_path), registry, FixedClock(NOW)).test_client()


def _record(registry, shop: NewShop, kind: str, started: str, **fields) -> None:
    begun = at(started)
    run = SyncRun(
        kind=kind,
        started_at=begun,
        finished_at=fields.pop("finished_at", begun + timedelta(minutes=2)),
        window_from=fields.pop("window_from", None),
        ok=fields.pop("ok", True),
        error=fields.pop("error", None),
        counts=fields.pop("counts", {}),
    )
    registry.sync_state.record_run(shop.shop.shop_id, run)


def _record_three(registry, shop: NewShop) -> None:
    _record(registry, shop, "import", "2024-04-09 08:00", counts=IMPORT_COUNTS)
    _record(
        registry,
        shop,
        "sync",
        "2024-04-10 08:00",
        window_from=at("2024-04-09 07:45"),
        counts=SYNC_COUNTS,
    )
    _record(registry, shop, "webhooks", "2024-04-10 08:05", ok=False, counts=WEBHOOK_COUNTS)


def _get(api, shop: NewShop, query: str = "", token: str | None = None, **headers):
    headers = {"Authorization": "Bearer " + (token or shop.api_token)} | headers
    return api.get(f"/api/v1/shops/{shop.shop.shop_id}/sync{query}", headers=headers)


def _kinds(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [row["kind"] for row in response.get_json()["data"]]


def test_the_runs_come_newest_first_with_what_each_found_and_repaired(api, registry, shop):
    _record_three(registry, shop)

    body = _get(api, shop).get_json()

    assert set(body) == {"shop_id", "columns", "data"}
    assert body["shop_id"] == shop.shop.shop_id
    assert body["columns"] == list(SYNC_COLUMNS)
    webhooks, sync, imported = body["data"]
    assert webhooks == {
        "kind": "webhooks",
        "started_at": "2024-04-10T08:05:00Z",
        "finished_at": "2024-04-10T08:07:00Z",
        "ok": False,
        "error": None,
        "window_from": None,
        "repaired": None,
        "hard_deleted": None,
        "not_active_webhooks": "order.created,order.updated",
        "details": '{"not_active":{"order.created":"paused","order.updated":"disabled"}}',
    }
    assert sync["kind"] == "sync" and sync["ok"] is True
    assert sync["window_from"] == "2024-04-09T07:45:00Z"
    assert (sync["repaired"], sync["hard_deleted"], sync["not_active_webhooks"]) == (7, 3, None)
    assert json.loads(sync["details"]) == SYNC_COUNTS
    assert " " not in sync["details"]
    assert imported["kind"] == "import"
    assert (imported["repaired"], imported["hard_deleted"]) == (None, None)
    assert json.loads(imported["details"]) == IMPORT_COUNTS


def test_a_failed_run_shows_its_error_and_a_clean_webhook_check_lists_no_topics(
    api, registry, shop
):
    _record(registry, shop, "sync", "2024-04-10 06:00", ok=False, error="HTTP 503 from shop")
    _record(registry, shop, "webhooks", "2024-04-10 07:00", counts={"not_active": {}})

    clean, failed = _get(api, shop).get_json()["data"]

    assert (failed["ok"], failed["error"], failed["repaired"]) == (
        False,
        "HTTP 503 from shop",
        None,
    )
    assert (clean["ok"], clean["not_active_webhooks"], clean["details"]) == (
        True,
        "",
        '{"not_active":{}}',
    )


def test_a_shop_without_runs_answers_an_empty_list(api, shop):
    response = _get(api, shop)

    assert response.status_code == 200
    assert response.get_json()["data"] == []


def test_a_shop_sees_only_its_own_runs(api, registry, shop, other):
    _record_three(registry, shop)
    _record(registry, other, "import", "2024-04-10 09:00")

    assert _kinds(_get(api, other)) == ["import"]
    assert _kinds(_get(api, shop)) == ["webhooks", "sync", "import"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("import", ["import"]), ("sync", ["sync", "sync"]), ("webhooks", ["webhooks"])],
)
def test_kind_keeps_only_runs_of_that_kind(api, registry, shop, kind, expected):
    _record_three(registry, shop)
    _record(registry, shop, "sync", "2024-04-08 08:00", counts=SYNC_COUNTS)

    assert _kinds(_get(api, shop, "?kind=" + kind)) == expected


def test_limit_keeps_the_newest_runs_and_defaults_to_twenty(api, registry, shop):
    start = at("2024-04-01 00:00")
    for hour in range(25):
        stamp = (start + timedelta(hours=hour)).strftime("%Y-%m-%d %H:%M")
        _record(registry, shop, "sync", stamp, counts={"total_repaired": hour})

    newest = _get(api, shop, "?limit=2").get_json()["data"]
    default = _get(api, shop).get_json()["data"]
    most = _get(api, shop, "?limit=200").get_json()["data"]

    assert [row["repaired"] for row in newest] == [24, 23]
    assert [row["repaired"] for row in default] == list(range(24, 4, -1))
    assert len(most) == 25


@pytest.mark.parametrize(
    "query", ["?kind=refunds", "?kind=SYNC", "?limit=0", "?limit=201", "?limit=x"]
)
def test_a_kind_or_limit_out_of_range_is_a_400_naming_the_parameter(api, shop, query):
    response = _get(api, shop, query)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_parameter"
    assert query[1:].split("=")[0] in error["message"]


def test_csv_has_the_same_columns_and_rows_as_json(api, registry, shop):
    _record_three(registry, shop)

    as_json = _get(api, shop, "?kind=sync&limit=5")
    as_csv = _get(api, shop, "?kind=sync&limit=5&format=csv")
    by_accept = _get(api, shop, "?kind=sync&limit=5", Accept="text/csv")

    assert as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    expected = f"attachment; filename={shop.shop.shop_id}-sync.csv"
    assert as_csv.headers["Content-Disposition"] == expected
    assert csv_rows(as_csv) == json_table(as_json.get_json())
    assert csv_rows(by_accept) == csv_rows(as_csv)
    all_json, all_csv = _get(api, shop), _get(api, shop, "?format=csv")
    assert csv_rows(all_csv) == json_table(all_json.get_json())
    assert len(csv_rows(all_csv)) == 4


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [
        (None, 401, "unauthorized"),
        ("wcp_not-a-token", 401, "unauthorized"),
        ("other", 403, "forbidden"),
    ],
)
def test_only_the_shops_own_token_reads_its_runs(api, registry, shop, other, token, status, code):
    _record_three(registry, shop)
    path = f"/api/v1/shops/{shop.shop.shop_id}/sync"
    headers = {} if token is None else {"Authorization": "Bearer " + token}
    if token == "other":
        headers = {"Authorization": "Bearer " + other.api_token}

    response = api.get(path, headers=headers)

    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert "data" not in response.get_json()


def test_the_etag_holds_until_a_new_run_is_recorded(api, registry, shop):
    _record_three(registry, shop)
    first = _get(api, shop)
    etag = first.headers["ETag"]

    unchanged = _get(api, shop, **{"If-None-Match": etag})
    _record(registry, shop, "sync", "2024-04-10 09:00", counts={"total_repaired": 0})
    changed = _get(api, shop, **{"If-None-Match": etag})

    assert first.headers["Cache-Control"] == "no-cache"
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert _kinds(changed) == ["sync", "webhooks", "sync", "import"]
    again = _get(api, shop, **{"If-None-Match": changed.headers["ETag"]})
    assert again.status_code == 304


def test_the_etag_differs_by_kind_limit_and_format(api, registry, shop):
    _record_three(registry, shop)

    etags = {
        _get(api, shop, query).headers["ETag"]
        for query in ("", "?kind=sync", "?limit=1", "?format=csv")
    }

    assert len(etags) == 4


def test_the_openapi_document_lists_the_sync_route_its_parameters_and_columns(api):
    document = api.get("/api/v1/openapi.json").get_json()

    operation = document["paths"]["/api/v1/shops/{shop_id}/sync"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert operation["operationId"] == "sync"
    assert operation["security"] == [{"bearerAuth": []}]
    assert set(parameters) == {"shop_id", "kind", "limit", "format"}
    assert parameters["kind"]["schema"]["enum"] == ["import", "sync", "webhooks"]
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, 200, 20)
    assert set(operation["responses"]) >= {"200", "304", "400", "401", "403"}
    schemas = document["components"]["schemas"]
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/SyncRunList"}
    assert list(schemas["SyncRun"]["properties"]) == list(SYNC_COLUMNS)
    assert set(schemas["SyncRunList"]["properties"]) == {"shop_id", "columns", "data"}
