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


def handler(kind: str) -> Handler:
    # Imported here: dialects use the jobs package to submit their work.
    if kind == "wms.bulk_import":
        from pohub.dialects.wms import importer

        return importer.HANDLER
    raise LookupError(f"no handler for job kind {kind!r}")
