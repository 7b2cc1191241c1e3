"""Errors raised by the store package."""


class StoreError(Exception):
    """Root of store errors."""


class ShopNotFound(StoreError):
    """No shop with that id."""


class StateLocked(StoreError):
    """Another process holds the shop's DuckDB state file (one writer per shop)."""
