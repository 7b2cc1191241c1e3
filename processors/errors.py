"""Errors raised by the processors package."""


class ProcessingError(Exception):
    """Root of processor errors."""


class UnprocessableEvent(ProcessingError):
    """A message that can never be applied; it goes to the dead-letter queue with this reason."""
