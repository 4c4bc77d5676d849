"""Errors the services raise; the HTTP layer turns each into one JSON answer.

Every refusal names the field and the rule: ``{"Code": 422, "Message": ..., "Errors": [{"Field", "Error"}]}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    error: str

    def as_wire(self) -> dict[str, str]:
        return {"Field": self.field, "Error": self.error}


class PohubError(Exception):
    """A refusal: the HTTP status, a message, and the fields at fault."""

    status_code = 400

    def __init__(
        self,
        message: str,
        errors: list[FieldError] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.extra = extra or {}
        # The order the refused document was for, when known: its timeline records the refusal.
        self.order_id: int | None = None

    def __str__(self) -> str:
        details = "; ".join(f"{e.field}: {e.error}" for e in self.errors)
        return f"{self.message} ({details})" if details else self.message

    def as_wire(self) -> dict[str, Any]:
        body: dict[str, Any] = {"Code": self.status_code, "Message": self.message}
        if self.errors:
            body["Errors"] = [e.as_wire() for e in self.errors]
        body.update(self.extra)
        return body


class BadRequest(PohubError):
    status_code = 400


class Unauthorized(PohubError):
    status_code = 401


class Forbidden(PohubError):
    status_code = 403


class NotFound(PohubError):
    status_code = 404


class Conflict(PohubError):
    status_code = 409


class AlreadyReceived(Conflict):
    """The same business document (a PartnerPO to the same supplier) was received before."""


class PayloadTooLarge(PohubError):
    status_code = 413


class Unprocessable(PohubError):
    status_code = 422


def invalid(field_name: str, error: str, message: str | None = None) -> Unprocessable:
    """A 422 about one field."""
    return Unprocessable(message or f"{field_name}: {error}", [FieldError(field_name, error)])
