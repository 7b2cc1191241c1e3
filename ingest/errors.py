"""Errors raised by the ingest package."""


class IngestError(Exception):
    """Root of ingest errors."""


class PublishError(IngestError):
    """The envelope could not be made durable (neither broker nor spool took it)."""


class BrokerUnavailable(PublishError):
    """The broker cannot be reached or did not confirm."""
