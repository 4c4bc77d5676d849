"""Retention: the raw bodies of exchanges older than the configured age are pruned (the exchange row
stays, with when its body went), so the history of every message is kept while its bytes are not
kept for ever. Exchanges still on their way (received, queued, sending) keep their bodies whatever
their age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.engine import Database
from pohub.exchanges.models import exchanges

X = exchanges.c
# A message in one of these states will not need its body again, except to be looked at.
SETTLED = ("applied", "duplicate", "refused", "failed", "sent", "acknowledged", "dead")
BATCH = 1000


@dataclass(frozen=True)
class Pruned:
    exchanges: int
    bytes: int


def _prunable(cutoff: datetime) -> list[Any]:
    return [X.created_at < cutoff, X.raw.is_not(None), X.state.in_(SETTLED)]


async def measure(conn: AsyncConnection, *, cutoff: datetime) -> Pruned:
    """What pruning at ``cutoff`` would take: how many exchanges, how many bytes of bodies."""
    stmt = select(func.count(), func.coalesce(func.sum(func.length(X.raw)), 0)).where(*_prunable(cutoff))
    count, size = (await conn.execute(stmt)).one()
    return Pruned(int(count), int(size))


async def prune_batch(conn: AsyncConnection, *, cutoff: datetime, now: datetime, limit: int = BATCH) -> int:
    """Prune up to ``limit`` bodies (oldest first); returns how many."""
    ids = select(X.id).where(*_prunable(cutoff)).order_by(X.id).limit(limit).scalar_subquery()
    result = await conn.execute(
        update(exchanges).where(and_(X.id.in_(ids), *_prunable(cutoff))).values(raw=None, pruned_at=now)
    )
    return int(result.rowcount or 0)


async def prune(db: Database, *, older_than: timedelta, now: datetime) -> Pruned:
    """Prune every body older than ``older_than``, a short transaction per batch."""
    cutoff = now - older_than
    async with db.read() as conn:
        before = await measure(conn, cutoff=cutoff)
    while True:
        async with db.write() as conn:
            if await prune_batch(conn, cutoff=cutoff, now=now) < BATCH:
                break
    return before
