"""The alerts list through the read API (real HTTP, waitress, Parquet): alerts kept by the
shop's state through ``job.alerts_raised`` (as a live publish keeps them) are listed newest
first, filtered by type, severity, day and acknowledgement, as JSON and CSV."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from ingest.messaging.spool import SQLiteQueue
from processors.alerts.alert_jobs import raised_envelope
from processors.pipeline import ShopPipeline
from schemas.alerts import Alert
from schemas.control_events import AlertsRaised
from schemas.envelope import Envelope
from schemas.jobs import acknowledge_envelope
from store.layout import embedded_broker_path
from tests.integration.demo_prediction_shop import NOW, DemoApi, demo_api


def _alert(n: int, alert_type: str, severity: str, hours: int) -> Alert:
    return Alert(
        alert_id=1000 + n,
        shop_id="",
        type=alert_type,
        severity=severity,
        title=f"Alert {n}",
        message=f"Message {n}",
        measured=40.0 + n,
        threshold=30.0,
        unit="%",
        subject_kind="shop",
        subject_id=str(n),
        subject_label="Demo",
        created_at=NOW + timedelta(hours=hours),
        dedup_key=f"shop:{n}",
    )


ALERTS = [
    _alert(1, "sales_drop", "critical", 1),
    _alert(2, "stock_low", "warning", 2),
    _alert(3, "trending_product", "info", 30),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[DemoApi]:
    with demo_api(tmp_path_factory.mktemp("alerts-api")) as api:
        pipeline = ShopPipeline(api.settings.data_dir, api.shop)
        try:
            at = NOW + timedelta(hours=31)
            envelopes = [
                raised_envelope(api.shop.shop_id, AlertsRaised(tuple(ALERTS), at)),
                acknowledge_envelope(api.shop.shop_id, 1002, at),
            ]
            _, failures = pipeline.apply(envelopes, at)
            assert failures == {}
            pipeline.publish(at)
        finally:
            pipeline.close()
        yield api


def _get(api: DemoApi, query: str, accept: str = "application/json") -> httpx.Response:
    headers = {"Authorization": f"Bearer {api.api_token}", "Accept": accept}
    response = httpx.get(api.url("alerts" + query), headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    return response


def _ids(api: DemoApi, query: str) -> list[int]:
    return [row["alert_id"] for row in _get(api, query).json()["data"]]


def test_alerts_are_listed_newest_first_with_why_they_fired(served):
    rows = _get(served, "").json()["data"]
    assert [row["alert_id"] for row in rows] == [1003, 1002, 1001]
    assert rows[2]["why"] == "41% against a threshold of 30%"
    assert [row["acknowledged"] for row in rows] == [False, True, False]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?severity=critical", [1001]),
        ("?severity=warning,info", [1003, 1002]),
        ("?type=stock_low", [1002]),
        ("?acknowledged=false", [1003, 1001]),
        ("?since=" + (NOW + timedelta(days=1)).date().isoformat(), [1003]),
        ("?sort=created_at", [1001, 1002, 1003]),
    ],
)
def test_alerts_filter_by_severity_type_acknowledgement_and_day(served, query, expected):
    assert _ids(served, query) == expected


def test_the_csv_has_the_json_columns(served):
    lines = _get(served, "", accept="text/csv").text.splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["alert_id", "created_at", "type", "severity", "title"]
    assert len(lines) == 4 and "sales_drop" in lines[3]


def test_the_admin_token_acknowledges_an_alert_through_the_shops_stream(served):
    url = served.url("alerts/1001/acknowledge")
    as_shop = httpx.post(url, headers={"Authorization": f"Bearer {served.api_token}"})
    assert as_shop.status_code == 403 and as_shop.json()["error"]["code"]
    admin = {"Authorization": f"Bearer {served.admin_token}"}
    bad = httpx.post(served.url("alerts/abc/acknowledge"), headers=admin)
    assert bad.status_code == 404 and "no alert with id" in bad.json()["error"]["message"]
    queued = httpx.post(url, headers=admin)
    assert queued.status_code == 202 and queued.json()["status"] == "queued"
    queue = SQLiteQueue(embedded_broker_path(served.settings.data_dir), served.settings.partitions)
    try:
        deliveries = queue.fetch(10, 1.0)
        envelopes = [Envelope.from_json(d.body) for d in deliveries]
        queue.ack(deliveries)
    finally:
        queue.close()
    assert [e.topic for e in envelopes] == ["job.acknowledge_alert"]
    pipeline = ShopPipeline(served.settings.data_dir, served.shop)
    try:
        pipeline.apply(envelopes, NOW + timedelta(hours=32))
        pipeline.publish(NOW + timedelta(hours=32))
    finally:
        pipeline.close()
    assert _ids(served, "?acknowledged=false") == [1003]
