"""The pipeline watching itself (pipeline_health): processing lag above the shop's limit
(default 5 minutes: the oldest event of the last batch waited that long), events the
processor could not handle since the last check (they wait in the rejected log), and what
the scheduler's sync and webhook check noted (``job.health_noted``): webhooks WooCommerce
no longer delivers, changes the webhooks missed that the sync repaired; and what the
consumer noted: messages dead-lettered before they reached the shop's pipeline."""

from __future__ import annotations

from datetime import timedelta

from processors.alerts.candidates import Candidate, Run

NOTED = {
    "webhook_disabled": (
        "WooCommerce webhooks are not active: {detail}",
        "WooCommerce stopped delivering these events ({count} webhook(s)), so the dashboard "
        "misses changes until the next sync. Run `wcpulse webhooks install {shop}`.",
    ),
    "gaps_repaired": (
        "Sync repaired {count} change(s) the webhooks missed",
        "The scheduled sync found changes in WooCommerce that never arrived by webhook "
        "({detail}) and brought them in. Frequent repairs mean lost deliveries: check "
        "`wcpulse webhooks status {shop}`.",
    ),
    "dead_lettered": (
        "{count} message(s) went to the dead-letter queue unread",
        "The processor could not read them, so they never reached this shop's analytics "
        "(last reason: {detail}). They wait in the broker's dead-letter queue; everything "
        "else kept flowing.",
    ),
}

NOTED_UNITS = {"dead_lettered": " messages"}  # of the count (``why``)


def noted_alerts(run: Run, notes: dict[str, dict]) -> list[Candidate]:
    """What other processes noted about the shop's pipeline."""
    if not run.settings.enabled("pipeline_health"):
        return []
    cooldown = timedelta(hours=run.settings.number("pipeline_health", "cooldown_hours"))
    found = []
    for cause, note in sorted(notes.items()):
        title, message = NOTED[cause]
        words = {"count": note["count"], "detail": note["detail"], "shop": run.shop.shop_id}
        found.append(
            run.candidate(
                "pipeline_health",
                cause,
                cooldown,
                title=title.format(**words),
                message=message.format(**words),
                measured=float(note["count"]),
                threshold=0.0,
                unit=NOTED_UNITS.get(cause, ""),
                subject_kind="shop",
                subject_id="",
                subject_label=run.shop.name,
            )  # fmt: skip
        )
    return found


def health_alerts(run: Run, lag_seconds: float, rejected: int) -> list[Candidate]:
    if not run.settings.enabled("pipeline_health"):
        return []
    cooldown = timedelta(hours=run.settings.number("pipeline_health", "cooldown_hours"))
    limit = run.settings.number("pipeline_health", "lag_minutes")
    found = []
    if lag_seconds > limit * 60:
        found.append(
            run.candidate(
                "pipeline_health",
                "lag",
                cooldown,
                title=f"Processing is {lag_seconds / 60:.0f} minutes behind",
                message="Events waited longer than the limit before the processor applied them: "
                "the dashboard is behind the shop. Check the processor's load and the broker.",
                measured=round(lag_seconds / 60, 1),
                threshold=limit,
                unit=" minutes",
                subject_kind="shop",
                subject_id="",
                subject_label=run.shop.name,
            )
        )
    if rejected:
        found.append(
            run.candidate(
                "pipeline_health",
                "rejected",
                cooldown,
                title=f"{rejected} event(s) could not be processed",
                message="The processor set them aside with the reason: see `wcpulse rejected "
                f"{run.shop.shop_id}`; everything else kept flowing.",
                measured=float(rejected),
                threshold=0.0,
                unit=" events",
                subject_kind="shop",
                subject_id="",
                subject_label=run.shop.name,
            )
        )
    return found
