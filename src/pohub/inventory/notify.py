"""Who hears of an inventory change: listeners registered by a higher layer (the webhook outbox), called
in the same transaction as the change, so a notification exists exactly when the change does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

# Up to this many SKUs are named in a notification; past it, receivers download what changed.
NAMED_SKUS = 100


@dataclass(frozen=True)
class Updated:
    """A supplier's stock changed: by a broadcast, or zeroed out."""

    supplier_id: int
    operation: str  # "broadcast" | "zero_out"
    items: int
    at: datetime
    exchange_id: int | None
    audience: tuple[int, ...]  # the supplier and every buyer it trades with: those who may see the stock
    skus: tuple[str, ...] | None = None  # None when more than NAMED_SKUS changed

    def as_wire(self) -> dict[str, Any]:
        return {
            "SupplierId": self.supplier_id,
            "Operation": self.operation,
            "Items": self.items,
            "LastUpdate": self.at.isoformat(),
            "ExchangeId": self.exchange_id,
            "SupplierSKUs": list(self.skus) if self.skus is not None else None,
        }


Listener = Callable[[AsyncConnection, Updated], Awaitable[None]]
LISTENERS: list[Listener] = []


def listen(fn: Listener) -> Listener:
    if fn not in LISTENERS:
        LISTENERS.append(fn)
    return fn


async def updated(conn: AsyncConnection, change: Updated) -> None:
    for fn in LISTENERS:
        await fn(conn, change)
