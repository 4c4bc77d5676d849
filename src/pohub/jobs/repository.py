"""Queries on jobs and job items. No commits: the unit of work decides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.db.fast import Prepared
from pohub.jobs.models import job_items, jobs

J = jobs.c
I = job_items.c  # noqa: E741

# A bulk job's statements run once per batch or once per item: compiled once (db/fast.py).
_LOCK_HELD = Prepared(
    select(jobs)
    .where(J.id == bindparam("job_id"), J.locked_by == bindparam("worker_id"), J.status == "processing")
    .with_for_update()
)
_PENDING = Prepared(
    select(I.id, I.seq, I.ref, I.raw)
    .where(I.job_id == bindparam("job_id"), I.state == "pending")
    .order_by(I.seq)
    .limit(bindparam("limit"))
)
_FINISH = Prepared(
    update(job_items)
    .where(I.id == bindparam("item_id"))
    .values(state=bindparam("new_state"), document_id=bindparam("doc_id"), error=bindparam("err"))
)


async def insert_job(conn: AsyncConnection, values: dict[str, Any]) -> int:
    result = await conn.execute(insert(jobs).values(**values).returning(J.id))
    return int(result.scalar_one())


async def set_total(conn: AsyncConnection, *, job_id: int, total: int) -> None:
    await conn.execute(update(jobs).where(J.id == job_id).values(total=total))


async def get_job(conn: AsyncConnection, *, job_id: int) -> Any:
    return (await conn.execute(select(jobs).where(J.id == job_id))).first()


async def claim(conn: AsyncConnection, *, worker_id: str, now: datetime, lease: timedelta) -> Any:
    """The oldest unfinished job nobody holds, leased to ``worker_id`` (SKIP LOCKED on PostgreSQL)."""
    stmt = (
        select(J.id)
        .where(J.status.in_(("queued", "processing")), or_(J.locked_until.is_(None), J.locked_until < now))
        .order_by(J.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    await conn.execute(
        update(jobs)
        .where(J.id == row.id)
        .values(locked_by=worker_id, locked_until=now + lease, status="processing", updated_at=now)
    )
    return await get_job(conn, job_id=row.id)


async def lock_held(conn: AsyncConnection, *, job_id: int, worker_id: str) -> Any:
    """The job row locked for this unit of work, if ``worker_id`` still holds its lease."""
    return await _LOCK_HELD.first(conn, {"job_id": job_id, "worker_id": worker_id})


async def advance(
    conn: AsyncConnection,
    *,
    job_id: int,
    processed: int,
    failed: int,
    now: datetime,
    lease: timedelta,
    finished: bool,
) -> None:
    """Add a batch's counts; progress only ever grows, and commits with the batch's items."""
    values: dict[str, Any] = {
        "processed": J.processed + processed,
        "failed": J.failed + failed,
        "updated_at": now,
        "locked_until": None if finished else now + lease,
    }
    if finished:
        values.update(status="completed", finished_at=now, locked_by=None)
    await conn.execute(update(jobs).where(J.id == job_id).values(**values))


async def release(conn: AsyncConnection, *, job_id: int, worker_id: str) -> None:
    await conn.execute(
        update(jobs).where(J.id == job_id, J.locked_by == worker_id).values(locked_by=None, locked_until=None)
    )


async def release_all(conn: AsyncConnection) -> None:
    """Forget every lease (the single embedded worker on SQLite, starting: nobody else holds one)."""
    await conn.execute(update(jobs).where(J.status == "processing").values(locked_by=None, locked_until=None))


async def pending_items(conn: AsyncConnection, *, job_id: int, limit: int) -> list[Any]:
    return await _PENDING.all(conn, {"job_id": job_id, "limit": limit})


async def finish_items(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Each row: item_id, state, document_id, error."""
    await _FINISH.many(
        conn,
        [
            {"item_id": r["item_id"], "new_state": r["state"], "doc_id": r["document_id"], "err": r["error"]}
            for r in rows
        ],
    )


async def failed_items(conn: AsyncConnection, *, job_id: int) -> list[Any]:
    stmt = select(I.seq, I.ref, I.error).where(I.job_id == job_id, I.state == "failed").order_by(I.seq)
    return list((await conn.execute(stmt)).all())


async def count_items(conn: AsyncConnection, *, job_id: int) -> dict[str, int]:
    stmt = select(I.state, func.count()).where(I.job_id == job_id).group_by(I.state)
    return {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}
