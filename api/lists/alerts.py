"""The alerts list: every alert the shop raised, newest first (seed 000's export: type,
severity, title, message, date, what it is about), with whether its e-mail went out
(api/alert_mail.py)."""

from __future__ import annotations

from api.alert_mail import (
    MAIL_DESCRIPTION,
    MAIL_FIELDS,
    MAIL_SOURCE,
    MAIL_STATUSES,
    MAILED_ALERTS_SQL,
    register_mail,
)
from api.listing import Filter, Joined, ListView
from api.params import ParamSpec
from schemas.alerts import ALERT_TYPES, SEVERITIES

MAIL = Joined(
    MAIL_FIELDS,
    MAILED_ALERTS_SQL,
    lambda connection, ctx: register_mail(connection, ctx.mail),
    MAIL_SOURCE,
)

ALERTS = ListView(
    view="alerts",
    path="/alerts",
    summary="Alerts: what needs attention, why it fired and what it is about.",
    row="Alert",
    filters=(
        Filter(
            ParamSpec("type", "list", "Alert types, comma-separated.", tuple(ALERT_TYPES)),
            "list_contains($value, type)",
        ),
        Filter(
            ParamSpec("severity", "list", "critical, warning, info (comma-separated).", SEVERITIES),
            "list_contains($value, severity)",
        ),
        Filter(
            ParamSpec("since", "date", "Raised on or after this day (UTC)."),
            "created_at >= $value::TIMESTAMPTZ",
        ),
        Filter(
            ParamSpec("acknowledged", "boolean", "Acknowledged ones only, or open ones only."),
            "acknowledged = $value",
        ),
        Filter(
            ParamSpec(
                "subject", "string", "What it is about: a customer key, product or order id."
            ),
            "subject_id = $value",
        ),
        Filter(
            ParamSpec(
                "mail_status",
                "list",
                "sent, pending, failed, none (comma-separated).",
                MAIL_STATUSES,
            ),  # fmt: skip
            "list_contains($value, mail_status)",
        ),
    ),
    sorts=("created_at", "severity", "type"),
    default_sort="-created_at",
    description="One row per alert raised: churn_risk, stock_low, pricing_opportunity, "
    "vip_activity, sales_drop, trending_product, fulfillment_delayed, pipeline_health. "
    "`why` is the measured value against the threshold (`measured`, `threshold`, `unit`); "
    "`subject_kind` and `subject_id` say what it is about (customer key, product id, order "
    "id, or the shop). Alerts of the same type and subject are at most one per cool-down "
    "(the shop's settings). Critical ones are e-mailed at once, warnings in a daily digest, "
    "info in a weekly one. " + MAIL_DESCRIPTION,
    joined=MAIL,
)
