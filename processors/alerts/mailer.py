"""Delivering alert e-mails: the ``Mailer`` port and its two adapters, SMTP (from
``WCPULSE_SMTP_URL``) and a Maildir under the data directory when no SMTP server is set.

``MailError.retryable`` tells the caller whether trying again later can help: a refused
connection, a timeout or a 4xx reply can; a 5xx rejection or a failed login cannot. No error
message, log line or description ever holds the SMTP password.

``WCPULSE_SMTP_URL`` forms (user and password percent-encoded):
- ``smtp://[user[:password]@]host[:port]`` plain, port 25; ``?starttls=1`` requires STARTTLS
- ``smtp+starttls://...`` STARTTLS required, port 587
- ``smtps://...`` implicit TLS, port 465
and the options ``?from=alerts@example.com`` (the default sender) and ``?cafile=/path/ca.pem``
(a private certificate authority to trust instead of the system's).
"""

from __future__ import annotations

import copy
import mailbox
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import SplitResult, unquote, urlsplit

import structlog

log = structlog.get_logger(__name__)

# scheme -> (security, default port)
_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
_SECURITY_LABELS = {"plain": "plain", "starttls": "STARTTLS", "tls": "TLS"}
_OPTIONS = frozenset({"from", "cafile", "starttls"})
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class Mailer(Protocol):
    """Where alert mail goes (the port)."""

    def send(self, message: EmailMessage) -> None:
        """Deliver ``message`` to its recipients; MailError when that failed."""
        ...

    def describe(self) -> str:
        """Where mail goes, for a start-up log line; never with a password."""
        ...


class MailError(Exception):
    """A message was not delivered; ``retryable`` when trying again later may succeed."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


@dataclass(frozen=True)
class SmtpEndpoint:
    """What a WCPULSE_SMTP_URL says: where to connect, how securely, as whom."""

    host: str
    port: int
    security: str  # "plain", "starttls" or "tls" (implicit)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None  # the default From
    cafile: Path | None = None


class SmtpMailer:
    """Sends each message over a connection of its own (alerts are rare)."""

    def __init__(self, endpoint: SmtpEndpoint, timeout: float = 10.0) -> None:
        self.endpoint = endpoint
        self.timeout = timeout

    @property
    def sender(self) -> str | None:
        """The default sender (``?from=``), used when a message has no From."""
        return self.endpoint.sender

    def describe(self) -> str:
        e = self.endpoint
        login = f", as {e.username}" if e.username else ""
        host = f"[{e.host}]" if ":" in e.host else e.host
        return f"smtp://{host}:{e.port} ({_SECURITY_LABELS[e.security]}{login})"

    def send(self, message: EmailMessage) -> None:
        message = self._with_sender(message)
        try:
            with self._connect() as client:
                self._secure(client)
                refused = client.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise self._error(*_classify(exc)) from exc
        if refused:  # some of several recipients (the others have it): mail one per message
            raise self._error(*_refusal(refused))
        log.info("mail_sent", to=message["To"], message_id=message["Message-ID"])

    def _with_sender(self, message: EmailMessage) -> EmailMessage:
        if message["From"] is not None:
            return message
        if self.endpoint.sender is None:
            raise MailError(
                "the message has no From and WCPULSE_SMTP_URL no ?from=", retryable=False
            )
        message = copy.deepcopy(message)
        message["From"] = self.endpoint.sender
        return message

    def _connect(self) -> smtplib.SMTP:
        e = self.endpoint
        if e.security == "tls":
            return smtplib.SMTP_SSL(e.host, e.port, timeout=self.timeout, context=self._tls())
        return smtplib.SMTP(e.host, e.port, timeout=self.timeout)

    def _secure(self, client: smtplib.SMTP) -> None:
        if self.endpoint.security == "starttls":
            client.starttls(context=self._tls())  # SMTPNotSupportedError when not offered
        if self.endpoint.username:
            client.login(self.endpoint.username, self.endpoint.password or "")

    def _tls(self) -> ssl.SSLContext:
        cafile = self.endpoint.cafile
        return ssl.create_default_context(cafile=str(cafile) if cafile else None)

    def _error(self, retryable: bool, reason: str) -> MailError:
        text = f"{self.describe()}: {reason}"
        if self.endpoint.password:
            text = text.replace(self.endpoint.password, "***")
        return MailError(text, retryable=retryable)


class MaildirMailer:
    """Writes each message into a Maildir (the fallback when no SMTP server is set): any mail
    client, or ``mailbox.Maildir``, reads it. Fails only on disk errors, which are retryable."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def describe(self) -> str:
        return f"Maildir {self.path}"

    def send(self, message: EmailMessage) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            key = mailbox.Maildir(self.path, create=True).add(message)
        except (OSError, mailbox.Error) as exc:
            raise MailError(f"Maildir {self.path}: {exc}", retryable=True) from exc
        log.info("mail_stored", to=message["To"], message_id=message["Message-ID"], key=key)


def mailer_from_settings(smtp_url: str | None, data_dir: Path) -> Mailer:
    """SMTP when a WCPULSE_SMTP_URL is given, else a Maildir at ``data_dir / "mail"``."""
    if smtp_url and smtp_url.strip():
        return smtp_mailer(smtp_url)
    return MaildirMailer(Path(data_dir) / "mail")


def smtp_mailer(url: str, timeout: float = 10.0) -> SmtpMailer:
    """An SmtpMailer for a WCPULSE_SMTP_URL; ValueError (one line) when the URL is wrong."""
    endpoint = parse_smtp_url(url)
    if endpoint.cafile is not None and not endpoint.cafile.is_file():
        raise _invalid(f"cafile= names no file: {endpoint.cafile}")
    return SmtpMailer(endpoint, timeout)


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """The parts of a WCPULSE_SMTP_URL. ValueError says what is wrong in one line and echoes
    nothing of the URL: a password with an unencoded / ? # or @ spills into other parts."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise _invalid("not a URL") from None
    if parts.scheme.lower() not in _SCHEMES:
        raise _invalid("the scheme must be smtp://, smtp+starttls:// or smtps://")
    security, default_port = _SCHEMES[parts.scheme.lower()]
    options = _options(parts.query)
    security = _security(security, options.get("starttls"))
    host, port = _address(parts, default_port)
    username, password = _credentials(parts)
    cafile = options.get("cafile")
    if cafile is not None and security == "plain":
        raise _invalid("cafile= needs TLS: use smtps://, smtp+starttls:// or ?starttls=1")
    return SmtpEndpoint(
        host, port, security, username, password, _sender(options.get("from")), _path(cafile)
    )


def _options(query: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in filter(None, query.split("&")):
        name, equals, value = pair.partition("=")
        if not equals or name not in _OPTIONS or name in options:
            raise _invalid("the options are cafile=, from= and starttls=, each at most once")
        options[name] = unquote(value)
    return options


def _security(security: str, starttls: str | None) -> str:
    if starttls is None:
        return security
    if security != "plain":
        raise _invalid("starttls= goes with smtp:// only (smtp+starttls:// and smtps:// are TLS)")
    if starttls.lower() in _TRUE | _FALSE:
        return "starttls" if starttls.lower() in _TRUE else "plain"
    raise _invalid("starttls= must be 1 or 0")


def _address(parts: SplitResult, default_port: int) -> tuple[str, int]:
    if parts.path not in ("", "/") or parts.fragment:
        raise _invalid("unexpected text after the host (percent-encode / ? # @ in the password)")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # its message quotes the text, which may be part of the password
        raise _invalid("the port must be a number from 1 to 65535") from None
    if not host:
        raise _invalid("no host")
    if port == 0:
        raise _invalid("the port must be a number from 1 to 65535")
    return host, port or default_port


def _credentials(parts: SplitResult) -> tuple[str | None, str | None]:
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise _invalid("a password without a user name")
    return username, password


def _sender(sender: str | None) -> str | None:
    if sender is not None and "@" not in parseaddr(sender)[1]:
        raise _invalid("from= must be an e-mail address")
    return sender


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def _invalid(problem: str) -> ValueError:
    return ValueError(f"WCPULSE_SMTP_URL: {problem}")


def _classify(exc: Exception) -> tuple[bool, str]:
    """(retryable, reason) for what smtplib or the socket raised."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _refusal(exc.recipients)
    if isinstance(exc, smtplib.SMTPResponseException):  # login, sender, data, greeting
        return _transient(exc.smtp_code), f"{exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True, f"connection closed: {exc}"
    if isinstance(exc, smtplib.SMTPException):  # no STARTTLS or no AUTH on offer: set-up
        return False, str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return False, f"server certificate not trusted: {exc.verify_message}"
    return True, f"{type(exc).__name__}: {exc}"  # refused, unreachable, timed out, TLS torn


def _refusal(recipients: dict[str, tuple[int, bytes]]) -> tuple[bool, str]:
    retryable = all(_transient(code) for code, _ in recipients.values())
    detail = "; ".join(f"{rcpt} {code} {_text(text)}" for rcpt, (code, text) in recipients.items())
    return retryable, f"recipient refused: {detail}"


def _transient(code: int) -> bool:
    return 400 <= code < 500


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())
