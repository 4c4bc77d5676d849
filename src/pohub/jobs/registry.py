"""What each kind of job does: process a batch of items, and say what its finished message is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True)
class BatchResult:
    processed: int
    failed: int


class Handler(Protocol):
    async def process(self, conn: AsyncConnection, *, job: Any, limit: int) -> BatchResult: ...

    async def report(self, conn: AsyncConnection, *, job: Any) -> dict[str, Any]: ...


# Filled by the packages that define job kinds (the warehouse dialect's bulk import), at import:
# the jobs layer names none of them.
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> Handler:
    HANDLERS[kind] = handler
    return handler


def handler(kind: str) -> Handler:
    try:
        return HANDLERS[kind]
    except KeyError:
        raise LookupError(f"no handler for job kind {kind!r} (is the package that defines it imported?)") from None
