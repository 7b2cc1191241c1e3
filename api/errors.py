"""Errors raised by the read API; each maps to an HTTP status and the one error shape."""


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class Forbidden(ApiError):
    """A valid token used on another shop's URL: a token reads only its own shop."""

    status = 403
    code = "forbidden"


class InvalidParameter(ApiError):
    """A query parameter with a value we cannot use (bad date, non-integer, unknown sort)."""

    status = 400
    code = "invalid_parameter"
