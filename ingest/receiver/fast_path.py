"""The WooCommerce webhook served without Flask's per-request work: a WSGI middleware.

Why: Flask's share of a delivery was larger than the delivery's own work. Measured
in-process on one thread (an order of 2.2 KB, the embedded queue): through Flask a delivery
cost about 188 us of app time, against 68 for a bare Flask endpoint that only checks the
HMAC; the request context, the ``Request`` and ``Response`` objects, URL routing and
werkzeug's header walk were most of the difference. Through here it costs about 99 us, of
which about 45 are the durable commit (``bench ingest`` measures the whole server).

What it answers: exactly the requests Flask would dispatch to the WooCommerce blueprint's
view, nothing else. A ``POST`` under the rule's static prefix is routed by Flask's own
``Request`` class, URL adapter and URL map (and the answer remembered, see ``_flask_route``),
so whatever Flask would not send to that view (a 405, a redirect, a bad Host, another rule)
goes to Flask, as does every other request. The answer comes from the very callable the
blueprint's view calls (``WebhookReceiver.receive``, reading the environ), so the two ways
cannot drift apart; the status line and headers are those werkzeug writes for the same
``Response``. An exception the receiver does not turn into an answer (a 500, a client that
hung up mid-body) is answered by Flask's own error handling, in a request context, as if
the view had raised it: the same handlers, the same log line, the same body.

It stands in for Flask only while Flask would add nothing to the answer: no request hooks
(``before_request``, ``after_request``, teardown, URL value preprocessors) for the app or
the blueprint, no receivers of Flask's request and app context signals, no secret key (a
session cookie to refresh), no test client keeping the contexts (``with client:``). That
is checked on each request, so a hook added later sends the deliveries back through Flask.
The app's routing set-up (URL map, ``SERVER_NAME``, ``TRUSTED_HOSTS``, host and subdomain
matching) must be complete before it serves, as Flask expects of set-up; wcpulse's app
factories build it whole. Installed as ``app.wsgi_app``, Flask's documented place for
middleware, so the test client goes through it as waitress does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, signals
from werkzeug.exceptions import HTTPException

from ingest.receiver.delivery import Answer, WSGIEnviron

StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]
View = Callable[[WSGIEnviron, str, int | None], Answer]

_HOOKS = ("before_request_funcs", "after_request_funcs", "teardown_request_funcs")
_SIGNALS = (
    signals.request_started,
    signals.request_finished,
    signals.request_tearing_down,
    signals.appcontext_pushed,
    signals.appcontext_popped,
    signals.appcontext_tearing_down,
)
_KEEPS_CONTEXT = "werkzeug.debug.preserve_context"  # the test client's ``with client:``
# Every environ value Flask's routing of a POST reads: the Request's server, root path, path
# and query, the Host, and the scheme and upgrade headers that tell a WebSocket.
_ROUTED_BY = (
    "PATH_INFO",
    "SCRIPT_NAME",
    "QUERY_STRING",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "wsgi.url_scheme",
    "HTTP_CONNECTION",
    "HTTP_UPGRADE",
)
_REMEMBERED_ROUTES = 1024  # those values come from clients: remember a bounded number


class FastPath:
    """``app.wsgi_app`` answering ``POST`` deliveries to ``endpoint`` with ``view``, and
    handing everything else to ``flask`` (the app's own ``wsgi_app``)."""

    def __init__(self, app: Flask, flask: WSGIApp, prefix: str, endpoint: str, view: View):
        self.app = app
        self.flask = flask
        self._prefix = prefix
        self._endpoint = endpoint
        self._blueprint = endpoint.rpartition(".")[0]
        self._view = view
        self._routes: dict[tuple[Any, ...], str | None] = {}

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        shop_id = self._shop_id(environ)
        if shop_id is None:
            return self.flask(environ, start_response)
        try:
            answer = self._view(environ, shop_id, self.app.config["MAX_CONTENT_LENGTH"])
        except Exception as error:  # the edge: Flask answers what the receiver did not
            return self._answered_by_flask(environ, start_response, error)
        start_response(answer.status_line, answer.headers())
        return [answer.body]

    def _shop_id(self, environ: WSGIEnviron) -> str | None:
        """The view's ``shop_id`` when Flask would dispatch this request to the view and
        add nothing to its answer; None when it is Flask's to serve."""
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        if not environ.get("PATH_INFO", "").startswith(self._prefix):
            return None
        if _KEEPS_CONTEXT in environ or self._flask_adds_something():
            return None
        routed_by = tuple(map(environ.get, _ROUTED_BY))
        try:
            return self._routes[routed_by]
        except KeyError:
            shop_id = self._flask_route(environ)
        if len(self._routes) < _REMEMBERED_ROUTES:
            self._routes[routed_by] = shop_id
        return shop_id

    def _flask_route(self, environ: WSGIEnviron) -> str | None:
        """Where Flask routes this request, asked as Flask asks (its ``Request`` class, its
        URL adapter, its URL map): the view's ``shop_id``, or None for anything else.

        The answer depends only on the ``_ROUTED_BY`` values and on the app's routing set-up
        (complete before it serves), so ``_shop_id`` remembers it by those values: asking
        cost 16 us a delivery, remembering about 1."""
        request = self.app.request_class(environ)
        try:
            adapter = self.app.create_url_adapter(request)
            rule, args = adapter.match(return_rule=True)  # type: ignore[union-attr]
        except HTTPException:  # a 404, 405, redirect or bad Host: Flask answers it
            return None
        if rule.endpoint != self._endpoint:
            return None
        shop_id: str = args["shop_id"]
        return shop_id

    def _flask_adds_something(self) -> bool:
        """Whether Flask would do more for this request than dispatch it to the view."""
        app, blueprint = self.app, self._blueprint
        for name in _HOOKS:
            hooks = getattr(app, name)
            if hooks.get(None) or hooks.get(blueprint):
                return True
        preprocessors = app.url_value_preprocessors
        if preprocessors.get(None) or preprocessors.get(blueprint):
            return True
        if app.teardown_appcontext_funcs or app.secret_key is not None:
            return True
        return any(signal.receivers for signal in _SIGNALS)

    def _answered_by_flask(
        self, environ: WSGIEnviron, start_response: StartResponse, error: Exception
    ) -> Iterable[bytes]:
        """Flask's answer to ``error``, the exception being handled, given as
        ``Flask.wsgi_app`` gives it when a view raises: in a request context,
        ``handle_user_exception`` (the app's handler for it; re-raises it when there is none,
        so call this only from the ``except`` block that caught it, as Flask does), then
        ``handle_exception`` (the logged 500)."""
        app = self.app
        context = app.request_context(environ)
        unhandled: Exception | None = None
        context.push()
        try:
            try:
                response = app.finalize_request(app.handle_user_exception(error))
            except Exception as exc:
                unhandled = exc
                response = app.handle_exception(exc)
            return response(environ, start_response)
        finally:
            context.pop(unhandled)


def install_fast_path(app: Flask, rule: str, endpoint: str, view: View) -> None:
    """Put a ``FastPath`` for ``rule`` (``/prefix/<shop_id>``) in front of ``app``."""
    prefix = rule.partition("<")[0]
    app.wsgi_app = FastPath(app, app.wsgi_app, prefix, endpoint, view)  # type: ignore[method-assign]
