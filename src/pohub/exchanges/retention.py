"""Retention: the raw bodies of exchanges older than the configured age are pruned (the exchange row
stays, with when its body went), so the history of every message is kept while its bytes are not
kept for ever. Exchanges still on their way (received, queued, sending) keep their bodies whatever
their age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.engine import Database
from pohub.exchanges.models import exchange_chunks, exchanges

X = exchanges.c
C = exchange_chunks.c
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
    # A body stored in pieces (exchanges/repository.py) counts with its pieces.
    ids = select(X.id).where(*_prunable(cutoff))
    pieces = select(func.coalesce(func.sum(func.length(C.data)), 0)).where(C.exchange_id.in_(ids))
    return Pruned(int(count), int(size) + int((await conn.execute(pieces)).scalar_one()))


async def prune_batch(conn: AsyncConnection, *, cutoff: datetime, now: datetime, limit: int = BATCH) -> int:
    """Prune up to ``limit`` bodies (oldest first); returns how many."""
    ids = select(X.id).where(*_prunable(cutoff)).order_by(X.id).limit(limit).scalar_subquery()
    stmt = update(exchanges).where(and_(X.id.in_(ids), *_prunable(cutoff))).values(raw=None, pruned_at=now)
    pruned = [int(i) for i in (await conn.execute(stmt.returning(X.id))).scalars().all()]
    if pruned:  # and the pieces of those stored in pieces
        await conn.execute(delete(exchange_chunks).where(C.exchange_id.in_(pruned)))
    return len(pruned)


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
