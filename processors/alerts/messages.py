"""E-mails about alerts (SPEC §4): one critical alert at once, warnings in a daily digest and
info in a weekly one. Pure functions: they build ``EmailMessage`` objects and send nothing.

Every message is multipart/alternative, text then HTML, saying the same. The HTML is a single
column at most 600px wide with inline styles only (mail clients often strip ``<style>``), and
every interpolated text is escaped: titles and labels come from shop data. The Message-ID is
derived from the alert ids and the recipient, so a re-sent mail is recognisable as such.
"""

from __future__ import annotations

import hashlib
import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from urllib.parse import quote

from schemas.alerts import SEVERITIES, Alert

PERIODS = ("now", "daily", "weekly")  # "now": several alerts raised at once
_HEADINGS = {"now": "New alerts", "daily": "Daily digest", "weekly": "Weekly digest"}
SEVERITY_COLOURS = {"critical": "#d32f2f", "warning": "#f59e0b", "info": "#1e88e5"}
TYPE_LABELS = {
    "churn_risk": "Churn risk",
    "stock_low": "Low stock",
    "pricing_opportunity": "Pricing opportunity",
    "vip_activity": "VIP activity",
    "sales_drop": "Sales drop",
    "trending_product": "Trending product",
    "fulfillment_delayed": "Fulfillment delayed",
    "pipeline_health": "Pipeline health",
}
_NOUNS = {
    "critical": ("critical alert", "critical alerts"),
    "warning": ("warning", "warnings"),
    "info": ("info alert", "info alerts"),
}

# Inline styles (a phone first: one column, nothing below 14px).
_FONT = "font-family:-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif"
_OPEN = "Open in dashboard"
_P = "margin:0 0 8px;font-size:16px;"
_SMALL = "margin:0 0 8px;font-size:14px;color:#57606a;"
_LINK = "color:#0b57d0;text-decoration:underline;"
_BUTTON = (
    "display:block;background-color:#1f2937;color:#ffffff;text-align:center;"
    "text-decoration:none;font-size:17px;font-weight:bold;padding:14px 20px;border-radius:6px;"
)

# severity -> [(type, alerts newest first)], severities in SEVERITIES order
Groups = list[tuple[str, list[tuple[str, list[Alert]]]]]


@dataclass(frozen=True)
class _Mail:
    shop_name: str
    recipient: str
    sender: str
    dashboard_url: str
    unsubscribe_url: str


def alert_message(
    alert: Alert,
    *,
    shop_name: str,
    recipient: str,
    sender: str,
    dashboard_url: str,
    unsubscribe_url: str,
) -> EmailMessage:
    """The mail about one alert, sent at once (critical ones)."""
    mail = _Mail(shop_name, recipient, sender, dashboard_url, unsubscribe_url)
    subject = f"[{alert.severity.capitalize()}] {alert.title} — {shop_name}"
    heading = f"{alert.severity.capitalize()} alert"
    text = "\n".join([f"{heading} for {shop_name}", "", *_alert_lines(alert, mail), *_footer(mail)])
    page = _page(subject, heading, _card(alert, mail, big_button=True), mail)
    return _message(mail, "alert", subject, [alert], (text, page))


def digest_message(
    alerts: Sequence[Alert],
    *,
    shop_name: str,
    recipient: str,
    sender: str,
    dashboard_url: str,
    unsubscribe_url: str,
    period: str,
) -> EmailMessage:
    """The daily or weekly digest of ``alerts`` (or, ``now``, several raised at once):
    grouped by severity, then type, newest first.
    ValueError for an unknown period or no alerts at all."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}, not {period!r}")
    groups = group_alerts(alerts)
    if not groups:
        raise ValueError("a digest needs at least one alert")
    mail = _Mail(shop_name, recipient, sender, dashboard_url, unsubscribe_url)
    ordered = [alert for _, types in groups for _, items in types for alert in items]
    heading = f"{_HEADINGS[period]}: {count_phrase(ordered)}"
    subject = f"{heading} — {shop_name}"
    text = "\n".join([f"{heading} for {shop_name}", *_digest_lines(groups, mail), *_footer(mail)])
    page = _page(subject, heading, _digest_html(groups, mail), mail)
    return _message(mail, period, subject, ordered, (text, page))


def when(moment: datetime) -> str:
    """The time of an alert as mails show it: ISO 8601 in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def alert_link(dashboard_url: str, alert_id: int | str) -> str:
    """The dashboard's deep link to one alert."""
    return f"{dashboard_url}#alert={quote(str(alert_id), safe=':')}"


def message_id(alert_ids: Iterable[int | str], recipient: str, kind: str) -> str:
    """``<hex@wcpulse>`` from the alert ids (in any order), the recipient and the kind of mail
    ("alert", "daily", "weekly"): the same mail to the same person always has the same id."""
    key = "\n".join([kind, recipient.strip().lower(), *sorted({str(i) for i in alert_ids})])
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@wcpulse>"


def group_alerts(alerts: Sequence[Alert]) -> Groups:
    """Alerts by severity (critical first), then by type (the type with the newest alert
    first), each list newest first. An alert given twice is listed once."""
    unique = sorted({alert.alert_id: alert for alert in alerts}.values(), key=_newest_first)
    by_severity: dict[str, dict[str, list[Alert]]] = {}
    for alert in unique:
        by_severity.setdefault(alert.severity, {}).setdefault(alert.type, []).append(alert)
    return [(s, list(by_severity[s].items())) for s in sorted(by_severity, key=_severity_rank)]


def count_phrase(alerts: Sequence[Alert]) -> str:
    """The counts by severity: "3 warnings", "1 critical alert, 2 info alerts"."""
    counts = Counter(alert.severity for alert in alerts)
    return ", ".join(_counted(counts[s], s) for s in sorted(counts, key=_severity_rank))


def _counted(count: int, severity: str) -> str:
    nouns = _NOUNS.get(severity, (f"{severity} alert", f"{severity} alerts"))
    return f"{count} {nouns[count != 1]}"


def _newest_first(alert: Alert) -> tuple[float, str]:
    return (-alert.created_at.timestamp(), str(alert.alert_id))


def _severity_rank(severity: str) -> tuple[int, str]:
    return (SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES), severity)


def _type_label(alert_type: str) -> str:
    return TYPE_LABELS.get(alert_type, alert_type.replace("_", " ").capitalize())


def _about(alert: Alert, shop_name: str) -> tuple[str, str]:
    """What the alert is about: ("Customer", "Jane Doe"); the shop when it names nothing."""
    kind = alert.subject_kind.capitalize() or "Shop"
    return kind, alert.subject_label or alert.subject_id or shop_name


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _message(
    mail: _Mail, kind: str, subject: str, alerts: Sequence[Alert], parts: tuple[str, str]
) -> EmailMessage:
    newest = max(alert.created_at for alert in alerts)
    message = EmailMessage()
    message["Subject"] = _one_line(subject)
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Date"] = format_datetime(newest.astimezone(UTC))
    message["Message-ID"] = message_id([a.alert_id for a in alerts], mail.recipient, kind)
    message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    # ", " and not "," so that a long list folds at spaces instead of becoming encoded words
    message["X-Wcpulse-Alert-Ids"] = ", ".join(_one_line(str(a.alert_id)) for a in alerts)
    text, page = parts
    message.set_content(text)
    message.add_alternative(page, subtype="html")
    return message


def _alert_lines(alert: Alert, mail: _Mail) -> list[str]:
    kind, label = _about(alert, mail.shop_name)
    lines = [_one_line(alert.title), alert.message]
    if alert.why:
        lines.append(f"Why: {alert.why}")
    return [
        *lines,
        f"{kind}: {_one_line(label)}",
        f"Open in dashboard: {alert_link(mail.dashboard_url, alert.alert_id)}",
        f"When: {when(alert.created_at)}",
    ]


def _digest_lines(groups: Groups, mail: _Mail) -> list[str]:
    lines: list[str] = []
    for severity, types in groups:
        total = sum(len(items) for _, items in types)
        lines += ["", f"== {severity.capitalize()} ({total}) =="]
        for alert_type, items in types:
            lines += ["", f"-- {_type_label(alert_type)} ({len(items)}) --"]
            for alert in items:
                lines += ["", *_alert_lines(alert, mail)]
    return [*lines, "", f"Dashboard: {mail.dashboard_url}"]


def _footer(mail: _Mail) -> list[str]:
    return [
        "",
        "-- ",
        f"You receive this as an alert recipient of {mail.shop_name}.",
        f"Unsubscribe: {mail.unsubscribe_url}",
    ]


def _page(title: str, heading: str, body: str, mail: _Mail) -> str:
    e = html.escape
    return "\n".join(
        [
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{e(_one_line(title))}</title></head>",
            '<body style="margin:0;padding:0;background-color:#f3f4f6;">',
            f'<div style="max-width:600px;margin:0 auto;padding:16px;{_FONT};font-size:16px;'
            'line-height:1.5;color:#1f2328;">',
            f'<p style="{_SMALL}">{e(mail.shop_name)}</p>',
            f'<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3;">{e(heading)}</h1>',
            body,
            f'<p style="margin:24px 0 0;font-size:14px;color:#57606a;">You receive this as an'
            f" alert recipient of {e(mail.shop_name)}."
            f' <a href="{e(mail.unsubscribe_url)}" style="{_LINK}">Unsubscribe</a></p>',
            "</div></body></html>",
        ]
    )


def _card(alert: Alert, mail: _Mail, *, big_button: bool) -> str:
    e = html.escape
    colour = SEVERITY_COLOURS.get(alert.severity, "#57606a")
    link = alert_link(mail.dashboard_url, alert.alert_id)
    kind, label = _about(alert, mail.shop_name)
    kicker = f"{alert.severity} · {_type_label(alert.type)}"
    why = f'<p style="{_P}"><strong>Why:</strong> {e(alert.why)}</p>' if alert.why else ""
    action = _button(link) if big_button else f'<p style="{_P}">{_link(link, _OPEN)}</p>'
    return "\n".join(
        [
            f'<div style="background-color:#ffffff;border-left:6px solid {colour};'
            'border-radius:4px;padding:16px;margin:0 0 16px;">',
            f'<p style="margin:0 0 4px;font-size:14px;font-weight:bold;color:#57606a;'
            f'text-transform:uppercase;letter-spacing:0.04em;">{e(kicker)}</p>',
            f'<h2 style="margin:0 0 8px;font-size:19px;line-height:1.3;">{e(alert.title)}</h2>',
            f'<p style="{_P}">{e(alert.message)}</p>',
            why,
            f'<p style="{_P}">{e(kind)}: {_link(link, label)}</p>',
            f'<p style="{_SMALL}">{e(when(alert.created_at))}</p>',
            action,
            "</div>",
        ]
    )


def _digest_html(groups: Groups, mail: _Mail) -> str:
    parts: list[str] = []
    for severity, types in groups:
        colour = SEVERITY_COLOURS.get(severity, "#57606a")
        total = sum(len(items) for _, items in types)
        parts.append(
            f'<h2 style="margin:24px 0 12px;font-size:20px;border-bottom:4px solid {colour};">'
            f"{html.escape(severity.capitalize())} ({total})</h2>"
        )
        for alert_type, items in types:
            parts.append(
                f'<h3 style="margin:16px 0 8px;font-size:17px;">'
                f"{html.escape(_type_label(alert_type))} ({len(items)})</h3>"
            )
            parts += [_card(alert, mail, big_button=False) for alert in items]
    parts.append(_button(mail.dashboard_url))
    return "\n".join(parts)


def _link(href: str, text: str) -> str:
    return f'<a href="{html.escape(href)}" style="{_LINK}">{html.escape(text)}</a>'


def _button(href: str) -> str:
    return f'<a href="{html.escape(href)}" style="{_BUTTON}">{_OPEN}</a>'
