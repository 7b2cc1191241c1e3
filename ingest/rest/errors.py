"""What can go wrong talking to a shop's WooCommerce REST API, each with the fix.

Every error carries a ``cause`` and a ``fix`` and prints as one line a shop owner can act
on: ``"<cause>. Fix: <fix>"``. Messages name the shop's host and the API path at most, never
a query string (it may hold the consumer secret) nor the credentials.
"""

from __future__ import annotations

import ssl
from urllib.parse import urlsplit

from ingest.errors import IngestError

SETTINGS_REST_API = "WooCommerce → Settings → Advanced → REST API"


class WooError(IngestError):
    """Root of WooCommerce REST errors. Subclasses set the default cause and fix."""

    default_cause = "The shop's WooCommerce REST API failed"
    default_fix = "try again later; if it keeps failing, check the shop's error log"

    def __init__(
        self,
        cause: str | None = None,
        fix: str | None = None,
        *,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        self.cause = (cause or self.default_cause).rstrip(". ")
        self.fix = (fix or self.default_fix).rstrip(". ")
        self.status = status  # the HTTP status behind it, when there was one
        self.code = code  # the WordPress error code from the body, when there was one
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.cause}. Fix: {self.fix}"


class InvalidShopUrl(WooError):
    default_cause = "The shop URL is not a web address"
    default_fix = "enter it as your browser shows it, for example https://shop.example.com"


class NotHttps(InvalidShopUrl):
    default_cause = "The shop URL uses http://, but WooCommerce API keys only work over https://"
    default_fix = (
        "use the shop's https:// address (or set WCPULSE_ALLOW_HTTP_SHOPS=1 for local testing)"
    )


class CertificateInvalid(WooError):
    default_cause = "The shop's SSL certificate could not be verified"
    default_fix = (
        "open the shop in a browser and check its SSL certificate (expired, self-signed or "
        "for another domain); renew it or ask your host to fix it"
    )


class InvalidCredentials(WooError):
    default_cause = "The shop refused the Consumer Key and Secret (HTTP 401)"
    default_fix = (
        f"re-copy the Consumer Key and Consumer Secret from {SETTINGS_REST_API} (or create a "
        "new key); if they are right, your host may strip the Authorization header: use "
        "query-string authentication"
    )


class MissingPermission(WooError):
    default_cause = "The API key has no permission for this (HTTP 403)"
    default_fix = (
        f"in {SETTINGS_REST_API}, give the key Read permission (Read/Write to install webhooks)"
    )


class RestApiNotFound(WooError):
    default_cause = "The shop has no WooCommerce REST API at /wp-json/wc/v3 (HTTP 404)"
    default_fix = (
        'in WordPress Admin → Settings → Permalinks choose "Post name" and save; check that '
        "WooCommerce is active and no security plugin disables the REST API"
    )


class ResourceNotFound(WooError):
    """A single item (``orders/99``) does not exist: not a set-up problem."""

    default_cause = "The requested item does not exist in the shop (HTTP 404)"
    default_fix = "nothing to fix if it was deleted; otherwise check the id"


class WooTimeout(WooError):
    default_cause = "The shop did not answer in time, even after retrying"
    default_fix = "the shop is slow: try again later, or raise WCPULSE_WOO_TIMEOUT (seconds)"


class WooUnavailable(WooError):
    default_cause = "The shop is unavailable (server errors or rate limiting), even after retrying"
    default_fix = (
        "try again later; if it persists, check the shop's hosting status and error log, "
        "and any firewall or rate limit in front of /wp-json"
    )


class WooBadResponse(WooError):
    default_cause = "The shop answered with something that is not WooCommerce REST JSON"
    default_fix = (
        "open <shop>/wp-json/wc/v3 in a browser: a plugin, cache or firewall may be "
        "rewriting API responses; disable it for /wp-json"
    )


class WooRedirected(WooError):
    default_cause = "The shop URL redirects elsewhere"
    default_fix = (
        "use the shop URL exactly as WordPress → Settings → General → Site Address (URL) shows it"
    )


class WooRequestRejected(WooError):
    """A 400 (or another 4xx) for a request wcpulse built: a bug or an unsupported version."""

    default_cause = "The shop rejected a request from wcpulse"
    default_fix = "update WooCommerce and wcpulse; if it persists, report it with this message"


def error_for_status(
    status: int, body: object, *, where: str, index: bool = False, location: str | None = None
) -> WooError:
    """The error for a non-2xx answer. ``body`` is the decoded JSON (None if not JSON),
    ``where`` names host and API path, ``index`` is true for ``/wp-json/wc/v3`` itself.
    Retrying makes sense only for the ``WooUnavailable`` this returns (429, 5xx)."""
    code, message = _wp_error(body)
    if status < 400:
        target = _without_query(location or "another address")
        return WooRedirected(f"{where} redirects to {target}", status=status)
    if status == 429 or status >= 500:
        return WooUnavailable(f"{where} answered HTTP {status}", status=status, code=code)
    said = f"{status} {code}" if code else str(status)
    said += f": {message}" if message else ""
    # A 401 that speaks of permissions ("The API key provided does not have write
    # permissions.") is about what the key may do, not about who it is.
    if status == 401 and not (code and "permission" in message.lower()):
        return InvalidCredentials(status=status, code=code)
    if status in (401, 403) or code == "woocommerce_rest_cannot_view":
        cause = f"The API key may not do this on {where} (HTTP {said})"
        return MissingPermission(cause, status=status, code=code)
    if status == 404 and (index or code in (None, "rest_no_route")):
        cause = f"There is no WooCommerce REST API at {where} (HTTP {said})"
        return RestApiNotFound(cause, status=status, code=code)
    if status == 404:
        return ResourceNotFound(f"{where} does not exist (HTTP {said})", status=status, code=code)
    cause = f"{where} rejected the request (HTTP {said})"
    return WooRequestRejected(cause, status=status, code=code)


def error_for_body(
    content: bytes, content_type: str, *, where: str, index: bool = False
) -> WooError:
    """The error for a 2xx answer that is not JSON: a web page instead of the index means
    the REST API is not routed; PHP warnings printed before the JSON have their own fix."""
    if index:
        return RestApiNotFound(f"{where} answered with a web page, not the REST API")
    if b"<b>Warning</b>" in content or b"<b>Notice</b>" in content:
        return WooBadResponse(
            f"{where} printed PHP warnings before its JSON",
            "set WP_DEBUG_DISPLAY to false in wp-config.php (keep WP_DEBUG_LOG for logs)",
        )
    kind = content_type.split(";")[0].strip() or "no content type"
    return WooBadResponse(f"{where} answered {kind} instead of JSON")


def certificate_error(exc: BaseException, host: str) -> CertificateInvalid | None:
    """A ``CertificateInvalid`` if ``exc`` (or what caused it) is a failed TLS verification."""
    seen: BaseException | None = exc
    while seen is not None and not isinstance(seen, ssl.SSLCertVerificationError):
        seen = seen.__cause__ or seen.__context__
    if isinstance(seen, ssl.SSLCertVerificationError):
        reason = f" ({seen.verify_message})" if seen.verify_message else ""
        return CertificateInvalid(f"The SSL certificate of {host} could not be verified{reason}")
    if "CERTIFICATE_VERIFY_FAILED" in str(exc):
        return CertificateInvalid(f"The SSL certificate of {host} could not be verified")
    return None


def _wp_error(body: object) -> tuple[str | None, str]:
    """The WordPress error ``code`` and a one-line ``message`` of an error body, if any."""
    if not isinstance(body, dict) or not isinstance(body.get("code"), str):
        return None, ""
    return body["code"], " ".join(str(body.get("message", "")).split())[:200]


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.netloc else parts.path
