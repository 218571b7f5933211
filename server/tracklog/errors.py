"""Domain exceptions: raised by services, turned into responses in one place (api/errors.py)."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure a user can understand and act on, with a stable code and an HTTP status."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.details = details or {}


class NotFound(DomainError):
    """The record does not exist in the caller's account."""

    status = 404
    code = "not_found"


class ValidationFailed(DomainError):
    """The input is malformed; details name each bad field."""

    status = 422
    code = "validation_failed"


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate, a pinned record...)."""

    status = 409
    code = "conflict"


class Gone(DomainError):
    """The thing existed but may no longer be used (an expired or used one-time link)."""

    status = 410
    code = "gone"


class Unauthorized(DomainError):
    """Missing or invalid credentials; the code names what was wrong."""

    status = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"
