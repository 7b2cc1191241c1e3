"""Install and inspect the shop's WooCommerce webhooks (``wcpulse webhooks install|status``).

WooCommerce disables a webhook silently after 7 failed deliveries in a row; ``status`` finds
those (and missing ones) so the scheduler can raise them and ``install`` can re-enable them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from ingest.rest.client import Page

TOPICS: tuple[str, ...] = tuple(
    f"{resource}.{event}"
    for resource, events in (
        ("order", ("created", "updated", "deleted", "restored")),
        ("customer", ("created", "updated", "deleted")),
        ("product", ("created", "updated", "deleted", "restored")),
        ("coupon", ("created", "updated", "deleted", "restored")),
    )
    for event in events
)


class WebhookApi(Protocol):
    def iter_pages(
        self, path: str, params: dict[str, Any] | None = None, start_page: int = 1
    ) -> Iterator[Page]: ...
    def post(self, path: str, body: dict) -> Any: ...
    def put(self, path: str, body: dict) -> Any: ...


@dataclass(frozen=True)
class WebhookState:
    topic: str
    webhook_id: int | None
    status: str  # active | paused | disabled | missing
    action: str = ""  # install only: created | reactivated | refreshed (secret and URL re-sent)

    @property
    def healthy(self) -> bool:
        return self.status == "active"


def ours(api: WebhookApi, delivery_url: str) -> dict[str, dict]:
    """Our webhooks by topic (the newest when there are several for one topic)."""
    found: dict[str, dict] = {}
    for page in api.iter_pages("webhooks", {"orderby": "id", "order": "asc"}):
        for hook in page.items:
            if hook.get("delivery_url") == delivery_url and hook.get("topic") in TOPICS:
                found[hook["topic"]] = hook
    return found


def webhook_status(api: WebhookApi, delivery_url: str) -> list[WebhookState]:
    existing = ours(api, delivery_url)
    return [
        WebhookState(topic, existing[topic]["id"], existing[topic].get("status", "?"))
        if topic in existing
        else WebhookState(topic, None, "missing")
        for topic in TOPICS
    ]


def install_webhooks(
    api: WebhookApi, delivery_url: str, secret: str, name: str = "wcpulse"
) -> list[WebhookState]:
    """Create the missing webhooks; re-activate and re-key ours (idempotent)."""
    existing = ours(api, delivery_url)
    states = []
    for topic in TOPICS:
        body = {
            "name": f"{name} {topic}",
            "topic": topic,
            "delivery_url": delivery_url,
            "secret": secret,
            "status": "active",
            "api_version": "wp_api_v3",
        }
        hook = existing.get(topic)
        if hook is None:
            created = api.post("webhooks", body)
            states.append(WebhookState(topic, created.get("id"), "active", "created"))
        else:
            action = "reactivated" if hook.get("status") != "active" else "refreshed"
            api.put(f"webhooks/{hook['id']}", body)
            states.append(WebhookState(topic, hook["id"], "active", action))
    return states
