"""Transactional outbox for webhooks (issue 4): called with the activity events a unit of work
writes, in that same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection


async def enqueue_for_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Write one delivery row per subscription whose topic matches an event (none yet)."""
    return None
