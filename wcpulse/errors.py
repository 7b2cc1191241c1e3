"""Errors of the command line: a UserError becomes one line on stderr and exit code 1."""


class UserError(Exception):
    """A mistake the user can fix (bad argument, unknown shop, unreachable service)."""
