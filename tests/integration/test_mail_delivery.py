"""Alert mail delivered for real: a local aiosmtpd server (plain, STARTTLS with AUTH, implicit
TLS) on a free port of 127.0.0.1, with a throwaway CA from trustme; refusals and outages mapped
to retryable or not; the Maildir fallback; WCPULSE_SMTP_URL parsing."""

from __future__ import annotations

import mailbox
import socket
import ssl
import time
import traceback
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from processors.alerts.mailer import (
    MaildirMailer,
    MailError,
    SmtpMailer,
    mailer_from_settings,
    parse_smtp_url,
    smtp_mailer,
)
from processors.alerts.messages import alert_message
from schemas.alerts import Alert

USER = "alerts@shop.example"
PASSWORD = "p@ss:w/rd %?#1"  # every character a URL would misread, percent-encoded below
CREDENTIALS = f"{quote(USER, safe='')}:{quote(PASSWORD, safe='')}"
SENDER = "alerts@pulse.example.com"
RECIPIENT = "owner@example.com"

StartServer = Callable[..., int]


class _Controller(Controller):
    """aiosmtpd's Controller on port 0: the kernel picks a free port, no race with others."""

    def _trigger_server(self) -> None:
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class Collector:
    """Keeps every envelope it is handed, and which AUTH mechanism each login used."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.mechanisms: list[str] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.envelopes.append(envelope)
        return "250 2.0.0 Queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.mechanisms.append(mechanism)
        ok = isinstance(auth_data, LoginPassword) and auth_data == (
            USER.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False)


class Refusing(Collector):
    """Answers ``reply`` at one stage of the transaction: RCPT or DATA."""

    def __init__(self, stage: str, reply: str) -> None:
        super().__init__()
        self.stage, self.reply = stage, reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.stage == "RCPT":
            return self.reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.stage == "DATA":
            return self.reply
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def smtp_server() -> Iterator[StartServer]:
    """start(handler, **aiosmtpd options) -> the port of a running server; all stopped after."""
    running: list[_Controller] = []

    def start(handler: Collector, **options: object) -> int:
        controller = _Controller(handler, hostname="127.0.0.1", port=0, ready_timeout=5, **options)
        controller.start()
        running.append(controller)
        return controller.port

    yield start
    for controller in running:
        controller.stop()


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server context with a certificate for 127.0.0.1, and the CA file that trusts it."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    cafile = tmp_path_factory.mktemp("tls") / "ca.pem"
    authority.cert_pem.write_to_path(str(cafile))
    return context, cafile


def sample_message(recipient: str = RECIPIENT) -> EmailMessage:
    alert = Alert(
        alert_id="al_7f3a",
        shop_id="shp_1",
        type="churn_risk",
        severity="critical",
        title="Ada Lövelace is about to churn",
        message="A High-value customer reached High churn risk.",
        measured=0.81,
        threshold=0.6,
        unit="",
        subject_kind="customer",
        subject_id="c_42",
        subject_label="Ada Lövelace",
        created_at=datetime(2024, 5, 6, 9, 30, tzinfo=UTC),
    )
    return alert_message(
        alert,
        shop_name="Jane's Teas",
        recipient=recipient,
        sender=SENDER,
        dashboard_url="https://pulse.example.com/dashboard/shp_1",
        unsubscribe_url="https://pulse.example.com/unsubscribe?token=abc",
    )


def bodies(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return text, message.get_body(preferencelist=("html",)).get_content()


def received(envelope: Envelope) -> EmailMessage:
    """The message as a mail store keeps it: parsed, with the wire's CRLF made LF."""
    raw = envelope.original_content.replace(b"\r\n", b"\n")
    return message_from_bytes(raw, policy=policy.default)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def failure(mailer: SmtpMailer, message: EmailMessage | None = None) -> MailError:
    with pytest.raises(MailError) as caught:
        mailer.send(message or sample_message())
    return caught.value


def test_a_plain_delivery_arrives_whole_for_the_right_recipient(smtp_server):
    handler = Collector()
    port = smtp_server(handler)
    sent = sample_message()
    smtp_mailer(f"smtp://127.0.0.1:{port}").send(sent)
    [envelope] = handler.envelopes
    assert (envelope.mail_from, envelope.rcpt_tos) == (SENDER, [RECIPIENT])
    arrived = received(envelope)
    assert arrived["Subject"] == sent["Subject"]
    assert arrived["Message-ID"] == sent["Message-ID"]
    assert bodies(arrived) == bodies(sent)
    assert "Ada Lövelace" in bodies(arrived)[0]


def test_the_default_sender_fills_a_message_without_from_and_leaves_the_original(smtp_server):
    handler = Collector()
    port = smtp_server(handler)
    message = sample_message()
    del message["From"]
    smtp_mailer(f"smtp://127.0.0.1:{port}?from=pulse%2Bshop@example.com").send(message)
    [envelope] = handler.envelopes
    assert envelope.mail_from == "pulse+shop@example.com"
    assert received(envelope)["From"] == "pulse+shop@example.com"
    assert message["From"] is None


@pytest.mark.parametrize(("mechanism", "other"), [("PLAIN", "LOGIN"), ("LOGIN", "PLAIN")])
def test_a_login_over_starttls_delivers(smtp_server, tls, mechanism, other):
    context, cafile = tls
    handler = Collector()
    port = smtp_server(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_exclude_mechanism=[other],
    )
    mailer = smtp_mailer(f"smtp+starttls://{CREDENTIALS}@127.0.0.1:{port}?cafile={cafile}")
    mailer.send(sample_message())
    [envelope] = handler.envelopes
    assert handler.mechanisms == [mechanism]
    assert envelope.rcpt_tos == [RECIPIENT]
    assert PASSWORD not in mailer.describe() and quote(PASSWORD, safe="") not in mailer.describe()


def test_plain_smtp_upgrades_with_the_starttls_option(smtp_server, tls):
    context, cafile = tls
    handler = Collector()
    port = smtp_server(handler, tls_context=context, require_starttls=True)
    smtp_mailer(f"smtp://127.0.0.1:{port}?starttls=1&cafile={cafile}").send(sample_message())
    assert [e.rcpt_tos for e in handler.envelopes] == [[RECIPIENT]]


def test_a_wrong_password_is_a_permanent_failure_that_never_names_the_password(smtp_server, tls):
    context, cafile = tls
    handler = Collector()
    port = smtp_server(
        handler,
        tls_context=context,
        require_starttls=True,
        authenticator=handler.authenticate,
        auth_required=True,
    )
    wrong = "n0t-the-Pa55word"
    error = failure(smtp_mailer(f"smtp+starttls://alerts:{wrong}@127.0.0.1:{port}?cafile={cafile}"))
    assert error.retryable is False
    assert "535" in str(error) and wrong not in str(error)
    assert handler.envelopes == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_with_a_login_delivers(smtp_server, tls):
    # aiosmtpd does not see that the transport is TLS (it only tracks STARTTLS), so it is told
    # not to insist on TLS before AUTH; the listener speaks TLS only.
    context, cafile = tls
    handler = Collector()
    port = smtp_server(
        handler,
        ssl_context=context,
        authenticator=handler.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )
    smtp_mailer(f"smtps://{CREDENTIALS}@127.0.0.1:{port}?cafile={cafile}").send(sample_message())
    [envelope] = handler.envelopes
    assert handler.mechanisms == ["PLAIN"]
    assert bodies(received(envelope)) == bodies(sample_message())


def test_a_server_certificate_from_an_unknown_authority_is_refused_for_good(smtp_server, tls):
    context, _ = tls
    handler = Collector()
    port = smtp_server(handler, ssl_context=context)
    error = failure(smtp_mailer(f"smtps://127.0.0.1:{port}"))
    assert error.retryable is False and "certificate" in str(error)
    assert handler.envelopes == []


def test_starttls_required_but_not_offered_fails_without_sending_in_clear(smtp_server):
    handler = Collector()
    port = smtp_server(handler)
    error = failure(smtp_mailer(f"smtp+starttls://127.0.0.1:{port}"))
    assert error.retryable is False and "STARTTLS" in str(error)
    assert handler.envelopes == []


def test_a_server_that_is_down_fails_quickly_and_retryably():
    started = time.monotonic()
    error = failure(smtp_mailer(f"smtp://127.0.0.1:{closed_port()}", timeout=5))
    assert error.retryable is True
    assert "refused" in str(error).lower()
    assert time.monotonic() - started < 2


def test_a_server_that_never_greets_times_out_retryably():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever answers
        mailer = smtp_mailer(f"smtp://127.0.0.1:{silent.getsockname()[1]}", timeout=0.3)
        started = time.monotonic()
        error = failure(mailer)
    assert error.retryable is True and "timed out" in str(error)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("stage", "reply", "retryable"),
    [
        ("RCPT", "451 4.3.0 Mailbox temporarily unavailable", True),
        ("DATA", "451 4.3.0 Try again later", True),
        ("RCPT", "550 5.1.1 No such user", False),
        ("DATA", "554 5.7.1 Rejected as spam", False),
    ],
)
def test_refusals_are_retryable_only_when_temporary(smtp_server, stage, reply, retryable):
    handler = Refusing(stage, reply)
    port = smtp_server(handler)
    error = failure(smtp_mailer(f"smtp://127.0.0.1:{port}"))
    assert error.retryable is retryable
    assert reply.split()[0] in str(error)
    assert handler.envelopes == []


def test_the_maildir_fallback_keeps_a_message_that_reads_back_the_same(tmp_path):
    mailer = mailer_from_settings(None, tmp_path / "var")
    sent = sample_message()
    mailer.send(sent)
    mailer.send(sample_message("ops@example.com"))
    assert mailer.describe() == f"Maildir {tmp_path / 'var' / 'mail'}"
    box = mailbox.Maildir(tmp_path / "var" / "mail", create=False)
    stored = [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]
    [kept] = [m for m in stored if m["To"] == RECIPIENT]
    assert len(stored) == 2
    assert (kept["Subject"], kept["Message-ID"]) == (sent["Subject"], sent["Message-ID"])
    assert bodies(kept) == bodies(sent)


def test_a_maildir_that_cannot_be_written_is_a_retryable_failure(tmp_path):
    (tmp_path / "mail").write_text("a file where the Maildir should be")
    with pytest.raises(MailError) as caught:
        MaildirMailer(tmp_path / "mail").send(sample_message())
    assert caught.value.retryable is True


def test_settings_with_an_smtp_url_choose_smtp_and_describe_it_without_the_password(tmp_path):
    mailer = mailer_from_settings(f"smtp+starttls://{CREDENTIALS}@mail.example.com", tmp_path)
    assert isinstance(mailer, SmtpMailer)
    assert mailer.describe() == f"smtp://mail.example.com:587 (STARTTLS, as {USER})"
    assert isinstance(mailer_from_settings("  ", tmp_path), MaildirMailer)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", ("mail.example.com", 25, "plain", None, None, None)),
        ("smtp://mail.example.com:2525?starttls=1", ("mail.example.com", 2525, "starttls")),
        ("smtp+starttls://mail.example.com", ("mail.example.com", 587, "starttls")),
        ("smtps://[::1]", ("::1", 465, "tls")),
        (
            f"SMTPS://{CREDENTIALS}@mail.example.com?from=a%2Bb@example.com",
            ("mail.example.com", 465, "tls", USER, PASSWORD, "a+b@example.com"),
        ),
    ],
)
def test_smtp_urls_give_host_port_security_login_and_sender(url, expected):
    endpoint = parse_smtp_url(url)
    fields = (
        endpoint.host,
        endpoint.port,
        endpoint.security,
        endpoint.username,
        endpoint.password,
        endpoint.sender,
    )
    assert fields[: len(expected)] == expected
    assert PASSWORD not in repr(endpoint)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://alerts:Zq9xW@mail.example.com", "scheme"),
        ("smtp://alerts:Zq9xW@", "no host"),
        ("smtp://alerts:Zq9xW", "port"),
        ("smtp://alerts:Zq9/xW@mail.example.com", "after the host"),
        ("smtp://alerts:Zq9#xW@mail.example.com", "after the host"),
        ("smtp://alerts:Zq9?xW@mail.example.com", "options"),
        ("smtp://alerts:Zq9xW@mail.example.com:99999", "port"),
        ("smtp://alerts:Zq9xW@mail.example.com:0", "port"),
        ("smtp://alerts:Zq9xW@mail.example.com?tls=1", "options"),
        ("smtp://alerts:Zq9xW@mail.example.com?from=a@b.c&from=d@e.f", "options"),
        ("smtps://alerts:Zq9xW@mail.example.com?starttls=1", "starttls"),
        ("smtp://alerts:Zq9xW@mail.example.com?starttls=maybe", "starttls"),
        ("smtp://alerts:Zq9xW@mail.example.com?from=nobody", "from="),
        ("smtp://alerts:Zq9xW@mail.example.com?cafile=/etc/ca.pem", "needs TLS"),
        ("smtp://:Zq9xW@mail.example.com", "without a user"),
        ("smtps://alerts:Zq9xW@mail.example.com?cafile=/nonexistent/ca.pem", "no file"),
    ],
)
def test_a_malformed_smtp_url_is_one_clear_line_without_the_password(url, problem):
    with pytest.raises(ValueError) as caught:
        smtp_mailer(url)
    text = str(caught.value)
    assert text.startswith("WCPULSE_SMTP_URL: ") and problem in text
    assert "\n" not in text
    assert "Zq9" not in text and "xW" not in text
    logged = "".join(traceback.format_exception(caught.value))
    assert "Zq9" not in logged and "xW" not in logged
