"""What the client raises: the server's refusal (with its message and field errors), or a failure to
get any answer after the retries ran out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldIssue:
    """One entry of the server's ``Errors`` list."""

    field: str
    error: str

    def as_wire(self) -> dict[str, str]:
        return {"Field": self.field, "Error": self.error}


@dataclass
class ClientError(Exception):
    """Base of everything the client raises."""

    message: str
    method: str = ""
    path: str = ""

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.message}{where}"

    def reasons(self) -> str:
        """What went wrong, in one line."""
        return self.message


@dataclass
class ApiError(ClientError):
    """The server answered and refused: a 4xx other than 408/429 (never retried), or a 5xx/408/429
    that was still there when the retries ran out."""

    status_code: int = 0
    errors: tuple[FieldIssue, ...] = ()
    body: Any = None

    @property
    def retryable(self) -> bool:
        """Whether the same request could succeed later without any change (a busy or broken server)."""
        return self.status_code >= 500 or self.status_code in (408, 429)

    def reasons(self) -> str:
        """The message and every field error in one line."""
        details = "; ".join(f"{e.field}: {e.error}" for e in self.errors)
        return f"{self.message} ({details})" if details else self.message

    def __str__(self) -> str:
        return f"{self.status_code} {self.reasons()} ({self.method} {self.path})"


@dataclass
class UnavailableError(ClientError):
    """No answer at all (connection refused, timeouts, ...) after every retry."""


@dataclass
class AnswerError(ClientError):
    """The server said yes (2xx) with an answer the definitions do not allow: a field of the wrong
    type, a document without its key. ``issues`` names each field; nothing is retried."""

    issues: tuple[FieldIssue, ...] = ()

    def reasons(self) -> str:
        details = "; ".join(f"{e.field}: {e.error}" if e.field else e.error for e in self.issues)
        return f"{self.message} ({details})" if details else self.message

    def __str__(self) -> str:
        where = f" ({self.method} {self.path})" if self.method else ""
        return f"{self.reasons()}{where}"


def wire_path(loc: tuple[int | str, ...]) -> str:
    """``("OrderLines", 0, "Price")`` -> ``OrderLines[0].Price``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def error_from_answer(status_code: int, data: Any, text: str, *, method: str, path: str) -> ApiError:
    """Read the platform's ``{"Code", "Message", "Errors": [{"Field", "Error"}]}`` and the looser shapes
    other servers use (``message``, ``detail``, plain text)."""
    message = ""
    issues: list[FieldIssue] = []
    if isinstance(data, dict):
        for name in ("Message", "message", "detail", "title", "error"):
            value = data.get(name)
            if isinstance(value, str) and value:
                message = value
                break
        raw_errors = data.get("Errors") or data.get("errors") or []
        if isinstance(raw_errors, list):
            for item in raw_errors:
                if isinstance(item, dict):
                    issues.append(
                        FieldIssue(
                            str(item.get("Field") or item.get("field") or ""),
                            str(item.get("Error") or item.get("error") or item.get("message") or ""),
                        )
                    )
                else:
                    issues.append(FieldIssue("", str(item)))
    if not message:
        message = text.strip()[:500] or f"HTTP {status_code}"
    return ApiError(message, method, path, status_code, tuple(issues), data)
