"""Errors the services raise; the HTTP layer turns each into one JSON answer.

Every refusal names the field and the rule: ``{"Code": 422, "Message": ..., "Errors": [{"Field", "Error"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    error: str

    def as_wire(self) -> dict[str, str]:
        return {"Field": self.field, "Error": self.error}


@dataclass
class PohubError(Exception):
    message: str
    errors: list[FieldError] = field(default_factory=list)
    status_code: int = 400
    extra: dict[str, Any] = field(default_factory=dict)
    # The order the refused document was for, when known: its timeline records the refusal.
    order_id: int | None = None

    def __str__(self) -> str:
        details = "; ".join(f"{e.field}: {e.error}" for e in self.errors)
        return f"{self.message} ({details})" if details else self.message

    def as_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Code": self.status_code, "Message": self.message}
        if self.errors:
            body["Errors"] = [e.as_wire() for e in self.errors]
        body.update(self.extra)
        return body


def _init(status: int) -> Any:
    def __init__(
        self: PohubError,
        message: str,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        PohubError.__init__(self, message, errors or [], status, extra or {})

    return __init__


class BadRequest(PohubError):
    __init__ = _init(400)


class Unauthorized(PohubError):
    __init__ = _init(401)


class Forbidden(PohubError):
    __init__ = _init(403)


class NotFound(PohubError):
    __init__ = _init(404)


class Conflict(PohubError):
    __init__ = _init(409)


class PayloadTooLarge(PohubError):
    __init__ = _init(413)


class Unprocessable(PohubError):
    __init__ = _init(422)


def invalid(field_name: str, error: str, message: str | None = None) -> Unprocessable:
    """A 422 about one field."""
    return Unprocessable(message or f"{field_name}: {error}", [FieldError(field_name, error)])
