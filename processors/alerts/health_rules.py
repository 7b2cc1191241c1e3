"""The pipeline watching itself (pipeline_health): processing lag above the shop's limit
(default 5 minutes: the oldest event of the last batch waited that long) and events the
processor could not handle since the last check (they wait in the rejected log)."""

from __future__ import annotations

from datetime import timedelta

from processors.alerts.candidates import Candidate, Run


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
