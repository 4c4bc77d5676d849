"""Is background work waiting? Jobs not finished, or outbound exchanges due (readiness and doctor
ask, to know whether a missing worker matters). Both reads are index ranges."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pohub.exchanges.models import exchanges
from pohub.exchanges.outbound import pending
from pohub.jobs.models import jobs

X = exchanges.c
# The predicate of the partial due index, spelled with constants (outbound.pending) so that the
# index serves these reads whatever plan a prepared statement gets.
PENDING_OUT = (pending(),)


async def work_waiting(conn: AsyncConnection, *, now: datetime) -> bool:
    stmt = select(
        or_(
            exists().where(jobs.c.status.in_(("queued", "processing"))),
            exists().where(*PENDING_OUT, X.next_attempt_at <= now),
        )
    )
    return bool((await conn.execute(stmt)).scalar_one())
