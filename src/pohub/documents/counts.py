"""Compaction of order_counts on PostgreSQL: the rows of server backends that are gone, folded into
shard 0.

Each PostgreSQL backend that ever wrote an order adds to rows of its own (shard = its pid; migration
0015 read_path), so the table grows with every connection the pools ever opened and a search's
total sums ever more rows. ``compact`` moves the rows of pids no longer alive into shard 0 in one
statement: the DELETE ... RETURNING and the upsert of their sums commit together, so any reader
sees the counts either before or after, never half. It never loses or doubles a count under
concurrent writers: a live backend's rows are left alone; a pid reused by a new backend since the
list of live ones was taken either committed its change (the DELETE folds the committed figure) or
holds the row locked (the DELETE waits for it; lock_timeout gives up first, so a writer is never
the one a deadlock check picks; the next run folds it); two compactions at once serialize on the
rows (the second finds them deleted and folds nothing). On SQLite there is one shard already.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.engine import Database

log = logging.getLogger("pohub.documents")

LOCK_TIMEOUT = "200ms"  # below deadlock_timeout (1 s by default): compaction always yields first
LOCK_NOT_AVAILABLE = "55P03"  # lock_timeout's SQLSTATE

# (pg_stat_activity lists every backend of the server, whatever the database or role.)
_COMPACT = text(
    "WITH gone AS ("
    " DELETE FROM order_counts WHERE shard <> 0"
    " AND shard NOT IN (SELECT pid FROM pg_stat_activity WHERE pid IS NOT NULL)"
    " RETURNING company_id, side, status, n"
    "), folded AS ("
    " INSERT INTO order_counts (company_id, side, status, shard, n)"
    " SELECT company_id, side, status, 0, sum(n) FROM gone GROUP BY company_id, side, status"
    " ON CONFLICT (company_id, side, status, shard) DO UPDATE SET n = order_counts.n + excluded.n"
    ") SELECT count(*) FROM gone"
)


async def compact_in(conn: AsyncConnection) -> int:
    """Fold the rows of backends no longer alive into shard 0 in this transaction; the rows folded
    (0 on SQLite, which has one shard)."""
    if conn.dialect.name != "postgresql":
        return 0
    await conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    return int((await conn.execute(_COMPACT)).scalar_one())


async def compact(db: Database) -> int:
    """One compaction in a unit of its own; a run that meets a writer's row lock gives up (0) and
    the next one folds what is left."""
    try:
        async with db.write() as conn:
            return await compact_in(conn)
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            raise
        log.info("order_counts: compaction met a writer's lock; the next run folds the rest")
        return 0


async def compact_at(url: str) -> int:
    """One compaction of the database at ``url`` (``pohub migrate``: pohub is stopped, so every row
    but shard 0 is a closed connection's)."""
    db = Database(url, pool_size=1)
    try:
        return await compact(db)
    finally:
        await db.dispose()
