"""WSGI entry points for running the web processes under gunicorn (one per worker)::

    gunicorn -w 4 -b 0.0.0.0:8000 'wcpulse.wsgi:ingest_app()'
    gunicorn -w 4 -b 0.0.0.0:8001 'wcpulse.wsgi:api_app()'

Settings come from WCPULSE_* variables, as for the ``wcpulse`` command.

Not with ``--preload``: each worker's app has threads of its own (the journal's mover and
the spool's forwarder, ``ingest/messaging/publisher.py``), made when the factory runs, and
threads made in gunicorn's master before it forks do not run in the workers: a worker would
answer 202 to webhooks that nothing moves on (and share the master's SQLite connections).
So a process forked after it made an app stops at once with one line on stderr and exit
status 3, gunicorn's "worker failed to boot", on which gunicorn itself stops.

Body-size limit (``WCPULSE_MAX_BODY_BYTES``): gunicorn's sync and gthread workers do not
buffer request bodies; the app reads them itself. The webhook receiver refuses a declared
``Content-Length`` over the limit before reading, and reads any other body (chunked) with
``ingest.receiver.parsing.read_limited``, which stops one byte past the limit; both answer
``413 payload_too_large`` in the JSON shape (the ingest app also sets Flask's
``MAX_CONTENT_LENGTH``); the read API reads no request body at all. gunicorn has no
body-size setting of its own (``--limit-request-line``, ``--limit-request-fields`` and
``--limit-request-field_size`` bound only the request line and headers). Behind a proxy,
also set its limit (nginx ``client_max_body_size``). ``wcpulse ingest``/``api``/``run``
serve with waitress instead, which buffers whole bodies, so there the limit is waitress's
own (``wcpulse/server.py``).
"""

from __future__ import annotations

import os
import sys

from flask import Flask

from schemas.clock import SystemClock
from schemas.settings import load_settings
from wcpulse.logs import configure_logging
from wcpulse.wiring import build_web_app, open_messaging, open_registry

FORKED_AFTER_APP = (
    "wcpulse: this process was forked after it made its app (gunicorn --preload?); each "
    "worker must make its own: run gunicorn without --preload"
)
WORKER_BOOT_ERROR = 3  # gunicorn stops when a worker exits with it
_refusing_forks = False


def _refuse_forks() -> None:
    """From now on, a child forked from this process stops at once (see the docstring)."""
    global _refusing_forks
    if not _refusing_forks:
        os.register_at_fork(after_in_child=_forked_after_app)
        _refusing_forks = True


def _forked_after_app() -> None:
    sys.stderr.write(FORKED_AFTER_APP + "\n")
    sys.stderr.flush()
    os._exit(WORKER_BOOT_ERROR)


def ingest_app() -> Flask:
    """The webhook receiver (what it accepts is durable in its local spool and forwarded to
    RabbitMQ: ``ingest/messaging/publisher.py``)."""
    _refuse_forks()
    settings = load_settings()
    configure_logging(settings)
    clock = SystemClock()
    registry = open_registry(settings)
    messaging = open_messaging(settings, clock)
    readiness = {"metadata": registry.ping, "broker": messaging.ping}
    return build_web_app(settings, registry, messaging.publisher, clock, readiness, serve_api=False)


def api_app() -> Flask:
    """The read API and dashboard (stateless: reads the published Parquet views)."""
    from api.app import create_app

    _refuse_forks()
    settings = load_settings()
    configure_logging(settings)
    registry = open_registry(settings)
    clock = SystemClock()
    # the admin API (customer erasure) queues jobs: only then does the API need the broker
    publisher = open_messaging(settings, clock).publisher if settings.admin_token else None
    readiness = {"metadata": registry.ping}
    return create_app(settings, registry, clock, readiness=readiness, publisher=publisher)
