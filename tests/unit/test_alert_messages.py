"""Alert e-mails as composed, before any delivery: subjects, parts, headers, escaping, digests."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processors.alerts.messages import (
    SEVERITY_COLOURS,
    alert_message,
    digest_message,
    group_alerts,
    message_id,
    when,
)
from schemas.alerts import Alert

T0 = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
DASHBOARD = "https://pulse.example.com/dashboard/shp_1"
ADDRESSES = {
    "shop_name": "Jane's Teas",
    "recipient": "owner@example.com",
    "sender": "alerts@pulse.example.com",
    "dashboard_url": DASHBOARD,
    "unsubscribe_url": "https://pulse.example.com/unsubscribe?token=abc&r=1",
}
HOSTILE = "<script>alert('x')</script>"


def make_alert(alert_id: int | str = 1, **changes: object) -> Alert:
    alert = Alert(
        alert_id=alert_id,
        shop_id="shp_1",
        type="sales_drop",
        severity="critical",
        title="Sales down 42% on the week before",
        message="Sales of the last 7 full days fell below the 7 before.",
        measured=42.0,
        threshold=30.0,
        unit="%",
        subject_kind="shop",
        subject_id="",
        subject_label="",
        created_at=T0,
    )
    return replace(alert, **changes)


def warning(alert_id: str, alert_type: str, hours: int) -> Alert:
    return make_alert(
        alert_id, type=alert_type, severity="warning", created_at=T0 + timedelta(hours=hours)
    )


def parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies as a mail client sees them after the trip through bytes."""
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    page = parsed.get_body(preferencelist=("html",)).get_content()
    return text, page


def digest(alerts: list[Alert], period: str = "daily", **changes: str) -> EmailMessage:
    return digest_message(alerts, **{**ADDRESSES, **changes}, period=period)


def test_one_alert_is_subjected_with_its_capitalised_severity_title_and_shop():
    message = alert_message(make_alert(), **ADDRESSES)
    assert message["Subject"] == "[Critical] Sales down 42% on the week before — Jane's Teas"


def test_an_alert_mail_is_multipart_alternative_with_text_before_html():
    message = alert_message(make_alert(), **ADDRESSES)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]


def test_a_hostile_title_label_and_message_never_reach_the_html_raw():
    alert = make_alert(
        title=f"VIP {HOSTILE} ordered",
        message=f'Order by "{HOSTILE}" & co',
        subject_kind="customer",
        subject_label=f"<img src=x onerror=alert(1)>{HOSTILE}",
    )
    _, page = parts(alert_message(alert, **ADDRESSES))
    assert "<script" not in page and "<img" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "&quot;" in page and "&amp; co" in page


def test_a_hostile_shop_name_and_digest_labels_are_escaped_too():
    alerts = [replace(warning("w1", "stock_low", 1), subject_label=HOSTILE)]
    _, page = parts(digest(alerts, shop_name=f"Shop {HOSTILE}"))
    assert "<script" not in page
    assert page.count("&lt;script&gt;") >= 3  # the title tag, the shop line, the label


def test_a_title_with_line_breaks_still_makes_a_one_line_subject():
    message = alert_message(make_alert(title="Sales down\r\nBcc: victim@example.com"), **ADDRESSES)
    assert message["Subject"] == "[Critical] Sales down Bcc: victim@example.com — Jane's Teas"
    assert message["Bcc"] is None


def test_headers_say_who_when_how_to_unsubscribe_and_which_alerts():
    message = alert_message(make_alert(created_at=T0 + timedelta(minutes=5)), **ADDRESSES)
    assert message["From"] == "alerts@pulse.example.com"
    assert message["To"] == "owner@example.com"
    assert message["Date"] == "Mon, 06 May 2024 09:35:00 +0000"
    assert message["List-Unsubscribe"] == "<https://pulse.example.com/unsubscribe?token=abc&r=1>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Wcpulse-Alert-Ids"] == "1"
    assert re.fullmatch(r"<[0-9a-f]{32}@wcpulse>", message["Message-ID"])


def test_the_message_id_is_the_same_on_a_resend_and_differs_per_recipient_and_alert():
    first = alert_message(make_alert(), **ADDRESSES)["Message-ID"]
    again = alert_message(make_alert(), **ADDRESSES)["Message-ID"]
    other_person = alert_message(make_alert(), **{**ADDRESSES, "recipient": "ops@example.com"})
    other_alert = alert_message(make_alert(2), **ADDRESSES)
    assert first == again
    assert first != other_person["Message-ID"]
    assert first != other_alert["Message-ID"]


def test_a_message_id_ignores_the_order_and_repetition_of_alert_ids_and_address_case():
    reference = message_id(["b", "a"], "Owner@Example.com", "daily")
    assert message_id(["a", "b", "a"], "owner@example.com ", "daily") == reference
    assert message_id(["a", "b"], "owner@example.com", "weekly") != reference


def test_a_digest_of_one_alert_is_not_mistaken_for_its_immediate_mail():
    alert = warning("w1", "stock_low", 1)
    assert alert_message(alert, **ADDRESSES)["Message-ID"] != digest([alert])["Message-ID"]


def test_the_text_part_says_what_why_about_what_the_deep_link_and_the_utc_time():
    alert = make_alert(
        subject_kind="customer",
        subject_label="Ada Lovelace",
        created_at=datetime(2024, 5, 6, 11, 30, tzinfo=timezone(timedelta(hours=2))),
    )
    text, page = parts(alert_message(alert, **ADDRESSES))
    assert "Sales down 42% on the week before" in text
    assert "Sales of the last 7 full days fell below the 7 before." in text
    assert "Why: 42% against a threshold of 30%" in text
    assert "Customer: Ada Lovelace" in text
    assert f"{DASHBOARD}#alert=1" in text
    assert "2024-05-06T09:30:00Z" in text
    assert f'href="{DASHBOARD}#alert=1"' in page
    assert "https://pulse.example.com/unsubscribe?token=abc&r=1" in text


def test_no_why_line_when_the_alert_has_no_measured_value():
    text, page = parts(alert_message(make_alert(measured=None), **ADDRESSES))
    assert "Why:" not in text and "Why:" not in page


def test_an_alert_about_the_shop_names_the_shop():
    text, _ = parts(alert_message(make_alert(), **ADDRESSES))
    assert "Shop: Jane's Teas" in text


def test_times_show_in_utc_iso_form_whatever_zone_they_carry():
    assert when(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))) == (
        "2024-01-02T08:04:05Z"
    )


def test_the_html_is_one_narrow_column_of_inline_styles_and_legible_type():
    _, page = parts(alert_message(make_alert(), **ADDRESSES))
    sizes = [int(size) for size in re.findall(r"font-size:(\d+)px", page)]
    assert "max-width:600px" in page
    assert "<style" not in page
    assert sizes and min(sizes) >= 14
    assert re.search(r'<a href="[^"]*#alert=1" style="display:block;[^"]*">Open in dash', page)


@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_each_severity_has_its_colour_bar(severity):
    _, page = parts(alert_message(make_alert(severity=severity), **ADDRESSES))
    assert f"border-left:6px solid {SEVERITY_COLOURS[severity]}" in page
    others = set(SEVERITY_COLOURS.values()) - {SEVERITY_COLOURS[severity]}
    assert not any(colour in page for colour in others)


def test_a_digest_subject_counts_its_alerts_by_severity():
    three = [warning(f"w{i}", "stock_low", i) for i in range(3)]
    mixed = [make_alert("c1"), warning("w1", "stock_low", 1), warning("w2", "stock_low", 2)]
    one_info = [make_alert("i1", severity="info", type="vip_activity")]
    assert digest(three)["Subject"] == "Daily digest: 3 warnings — Jane's Teas"
    assert digest(mixed)["Subject"] == "Daily digest: 1 critical alert, 2 warnings — Jane's Teas"
    assert digest(one_info, "weekly")["Subject"] == "Weekly digest: 1 info alert — Jane's Teas"


def test_a_digest_groups_by_severity_then_type_with_the_newest_first():
    alerts = [
        warning("old_stock", "stock_low", 1),
        make_alert("info_1", severity="info", type="vip_activity", created_at=T0 + timedelta(9)),
        warning("late_order", "fulfillment_delayed", 2),
        warning("new_stock", "stock_low", 3),
    ]
    groups = group_alerts(alerts)
    shape = [(sev, [(t, [a.alert_id for a in items]) for t, items in ts]) for sev, ts in groups]
    assert shape == [
        (
            "warning",
            [("stock_low", ["new_stock", "old_stock"]), ("fulfillment_delayed", ["late_order"])],
        ),
        ("info", [("vip_activity", ["info_1"])]),
    ]
    message = digest(alerts)
    assert message["X-Wcpulse-Alert-Ids"] == "new_stock, old_stock, late_order, info_1"
    text, _ = parts(message)
    headings = re.findall(r"^(?:==|--) (.+) (?:==|--)$", text, flags=re.MULTILINE)
    assert headings == [
        "Warning (3)",
        "Low stock (2)",
        "Fulfillment delayed (1)",
        "Info (1)",
        "VIP activity (1)",
    ]
    positions = [text.index(f"#alert={i}") for i in ("new_stock", "old_stock", "late_order")]
    assert positions == sorted(positions)


def test_a_digest_is_dated_by_its_newest_alert_and_links_each_one():
    alerts = [warning("w1", "stock_low", 1), warning("w2", "stock_low", 5)]
    message = digest(alerts)
    text, page = parts(message)
    assert message["Date"] == "Mon, 06 May 2024 14:30:00 +0000"
    assert f"{DASHBOARD}#alert=w1" in text and f"{DASHBOARD}#alert=w2" in text
    assert page.count(f'href="{DASHBOARD}#alert=w2"') == 2  # the label and "Open in dashboard"


def test_a_digest_refuses_an_unknown_period_and_an_empty_list():
    with pytest.raises(ValueError, match="period"):
        digest([warning("w1", "stock_low", 1)], period="monthly")
    with pytest.raises(ValueError, match="at least one alert"):
        digest([])


@given(st.permutations(range(4)), st.lists(st.integers(0, 3), max_size=3))
def test_reordering_or_repeating_alerts_does_not_change_a_digest(order, repeats):
    alerts = [
        warning("w1", "stock_low", 1),
        warning("w2", "fulfillment_delayed", 2),
        make_alert("c1", created_at=T0 + timedelta(hours=3)),
        warning("w3", "stock_low", 3),
    ]
    reference = digest(alerts)
    shuffled = digest([alerts[i] for i in order] + [alerts[i] for i in repeats])
    for header in ("Subject", "Date", "Message-ID", "X-Wcpulse-Alert-Ids"):
        assert shuffled[header] == reference[header]
    assert parts(shuffled) == parts(reference)
