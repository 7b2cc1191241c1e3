"""Errors raised by the processors package."""

from __future__ import annotations


class ProcessingError(Exception):
    """Root of processor errors."""


class UnprocessableEvent(ProcessingError):
    """A message that can never be applied; it goes to the dead-letter queue with this reason."""


class InvalidValue(UnprocessableEvent):
    """A field whose value is out of range or not a finite number. The message names the
    field (with its path, ``line_items[2].quantity``) and the kind of problem, never the
    value itself: it may be personal data."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem

    def within(self, prefix: str) -> InvalidValue:
        """The same problem, its field named inside ``prefix`` (``line_items[2]``)."""
        return InvalidValue(f"{prefix}.{self.field}", self.problem)
