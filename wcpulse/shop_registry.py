"""Opening the shops registry for a command, and its errors as one line each.

``default_open_registry(settings)`` opens the metadata database with the encryption key
(WCPULSE_SECRET_KEY, else the key file under the data folder) and creates its tables.
``bind(command, open_registry)`` turns a ``command(registry, args, settings) -> int`` into
the ``handler(args, settings) -> int`` a subcommand stores: it opens the registry, closes it
after the command, and turns an unknown shop, a value the registry refuses, a key it cannot
use and a database error into a ``UserError`` (one line on stderr, exit 1). ``wcpulse
shop`` and ``wcpulse alerts`` bind their subcommands with it; wcpulse/wiring.py opens the
registry with ``default_open_registry``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from schemas.settings import Settings
from store.crypto import CryptoError, SecretBox, load_or_create_key, parse_key
from store.errors import ShopNotFound
from store.layout import secret_key_path
from store.metadata import InvalidShop, ShopRegistry
from wcpulse.errors import UserError

log = structlog.get_logger(__name__)

OpenRegistry = Callable[[Settings], ShopRegistry]
Handler = Callable[[argparse.Namespace, Settings], int]
Command = Callable[[ShopRegistry, argparse.Namespace, Settings], int]


def default_open_registry(settings: Settings) -> ShopRegistry:
    """The shops registry for these settings, with its tables created.

    The encryption key is WCPULSE_SECRET_KEY when set, else the key file under the data
    folder (created on first use). The caller closes the registry.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    box = SecretBox(_secret_key(settings))
    try:
        registry = ShopRegistry(
            settings.metadata_url,
            box,
            settings.consent_keys,
            settings.predictions,
            cost_keys=settings.cost_keys,
        )
    except ArgumentError as exc:
        raise UserError(f"WCPULSE_DATABASE_URL is not a valid database URL: {exc}") from None
    try:
        registry.create_tables()
    except SQLAlchemyError as exc:
        registry.close()
        raise UserError(
            f"cannot open the metadata database {_safe_url(settings)}: {_first_line(exc)}"
        ) from None
    return registry


def _secret_key(settings: Settings) -> bytes:
    if settings.secret_key:
        try:
            return parse_key(settings.secret_key)
        except CryptoError as exc:
            raise UserError(f"WCPULSE_SECRET_KEY is unusable: {exc}") from None
    path = secret_key_path(settings.data_dir)
    if settings.database_url:
        log.warning("secret_key_from_local_file", path=str(path), hint="set WCPULSE_SECRET_KEY")
    try:
        return load_or_create_key(path)
    except (CryptoError, OSError) as exc:
        raise UserError(str(exc)) from None


def _safe_url(settings: Settings) -> str:
    return make_url(settings.metadata_url).render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["unknown error"])[0]


@contextmanager
def _opened(open_registry: OpenRegistry, settings: Settings) -> Iterator[ShopRegistry]:
    registry = open_registry(settings)
    try:
        yield registry
    except ShopNotFound as exc:
        raise UserError(f"{exc}; `wcpulse shop list` shows the shops") from None
    except (InvalidShop, CryptoError) as exc:
        raise UserError(str(exc)) from None
    except SQLAlchemyError as exc:
        raise UserError(
            f"metadata database error ({_safe_url(settings)}): {_first_line(exc)}"
        ) from None
    finally:
        registry.close()


def bind(command: Command, open_registry: OpenRegistry) -> Handler:
    def handler(args: argparse.Namespace, settings: Settings) -> int:
        with _opened(open_registry, settings) as registry:
            return command(registry, args, settings)

    return handler
