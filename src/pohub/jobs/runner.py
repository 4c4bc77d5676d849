"""Claim a job and run it one batch per unit of work: the batch's items, their documents and the
job's progress commit together, so a crash loses at most an uncommitted batch and redoes nothing."""

from __future__ import annotations

from datetime import timedelta

from pohub.core import clock
from pohub.db.engine import Database
from pohub.jobs import registry
from pohub.jobs import repository as repo
from pohub.webhooks import outbox, topics


async def claim(db: Database, *, worker_id: str, lease: timedelta) -> int | None:
    async with db.write() as conn:
        job = await repo.claim(conn, worker_id=worker_id, now=clock.now(), lease=lease)
    return None if job is None else int(job.id)


async def run_batch(db: Database, *, job_id: int, worker_id: str, lease: timedelta, batch_size: int) -> bool:
    """Process the next batch of ``job_id``; True while there is more to do under our lease."""
    async with db.write() as conn:
        job = await repo.lock_held(conn, job_id=job_id, worker_id=worker_id)
        if job is None:
            return False  # finished, or our lease ran out and another worker took it over
        handler = registry.handler(job.kind)
        result = await handler.process(conn, job=job, limit=batch_size)
        finished = job.processed + result.processed >= job.total
        now = clock.now()
        await repo.advance(
            conn,
            job_id=job_id,
            processed=result.processed,
            failed=result.failed,
            now=now,
            lease=lease,
            finished=finished,
        )
        if finished:
            done = await repo.get_job(conn, job_id=job_id)
            await outbox.enqueue(
                conn,
                company_id=done.company_id,
                topic=topics.JOB_FINISHED,
                data=await handler.report(conn, job=done),
            )
    return not finished
