from ingest.rest.client import Page
from ingest.rest.webhooks import TOPICS, install_webhooks, webhook_status

URL = "https://analytics.example/webhooks/woocommerce/shp_1"


class FakeWebhookApi:
    """In-memory stand-in for the webhooks endpoints (pure logic of install/status)."""

    def __init__(self, hooks: list[dict]) -> None:
        self.hooks = hooks
        self.calls: list[tuple[str, str]] = []

    def iter_pages(self, path, params=None, start_page=1):
        yield Page(
            items=[dict(h) for h in self.hooks], page=1, total=len(self.hooks), total_pages=1
        )

    def post(self, path, body):
        self.calls.append(("post", body["topic"]))
        hook = dict(body, id=100 + len(self.hooks))
        self.hooks.append(hook)
        return hook

    def put(self, path, body):
        self.calls.append(("put", path))
        hook = next(h for h in self.hooks if f"webhooks/{h['id']}" == path)
        hook.update(body)
        return hook


def test_status_reports_missing_and_disabled_webhooks():
    api = FakeWebhookApi(
        [
            {"id": 1, "topic": "order.updated", "delivery_url": URL, "status": "disabled"},
            {"id": 2, "topic": "order.created", "delivery_url": URL, "status": "active"},
            {
                "id": 3,
                "topic": "order.deleted",
                "delivery_url": "https://other",
                "status": "active",
            },
        ]
    )
    states = {s.topic: s.status for s in webhook_status(api, URL)}
    assert states["order.updated"] == "disabled"
    assert states["order.created"] == "active"
    assert states["order.deleted"] == "missing"
    assert set(states) == set(TOPICS)


def test_install_creates_what_is_missing_and_reactivates_what_was_disabled():
    api = FakeWebhookApi(
        [{"id": 1, "topic": "order.updated", "delivery_url": URL, "status": "disabled"}]
    )
    states = {s.topic: s for s in install_webhooks(api, URL, "secret")}
    assert states["order.updated"].action == "reactivated"
    assert sum(s.action == "created" for s in states.values()) == len(TOPICS) - 1
    assert all(s.healthy for s in webhook_status(api, URL))
    again = install_webhooks(api, URL, "secret")
    assert {s.action for s in again} == {"refreshed"}
    assert len(api.hooks) == len(TOPICS)
