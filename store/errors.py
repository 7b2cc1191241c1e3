"""Errors raised by the store package, and which failures are the storage's fault."""

from __future__ import annotations

import duckdb


class StoreError(Exception):
    """Root of store errors."""


class ShopNotFound(StoreError):
    """No shop with that id."""


class StateLocked(StoreError):
    """Another process holds the shop's DuckDB state file (one writer per shop)."""


# Failures of the machine, not of a message: a full or broken disk, no memory, a database
# file DuckDB gave up on. Retrying later can succeed; blaming the message would dead-letter
# good events.
STORAGE_FAILURES: tuple[type[BaseException], ...] = (
    OSError,
    MemoryError,
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.ConnectionException,
    duckdb.FatalException,
    StateLocked,
)


def is_storage_failure(exc: BaseException) -> bool:
    """True when ``exc``, or the exception it was explicitly raised from (``raise ... from``),
    is a failure of the storage itself."""
    return isinstance(exc, STORAGE_FAILURES) or isinstance(exc.__cause__, STORAGE_FAILURES)
