"""Heartbeats: each server and worker notes in the database that it is alive, and how far its clock
is from the database's. Readiness, `pohub doctor` and /metrics read them; processes on different
machines know of each other only this way."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

import pohub
from pohub.core import clock
from pohub.db.engine import Database
from pohub.ops.models import ops_processes

log = logging.getLogger("pohub.ops")
P = ops_processes.c
# Rows of processes silent this long are removed by the next beat of any process.
FORGET_AFTER = timedelta(days=1)


def process_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Process:
    id: str
    role: str
    host: str
    pid: int
    started_at: datetime
    beat_at: datetime
    clock_skew_seconds: float


async def database_clock_skew(conn: AsyncConnection, *, sqlite_db: bool) -> float:
    """This process's clock minus the database server's (0 on SQLite: the same machine's clock)."""
    if sqlite_db:
        return 0.0
    before = time.time()
    db_now = (await conn.execute(text("SELECT extract(epoch FROM clock_timestamp())"))).scalar_one()
    after = time.time()
    return (before + after) / 2 - float(db_now)


async def beat(db: Database, *, pid: str, role: str, started_at: datetime) -> None:
    """Upsert this process's row; forget processes silent for a day."""
    now = clock.now()
    async with db.write() as conn:
        skew = await database_clock_skew(conn, sqlite_db=db.sqlite)
        values: dict[str, Any] = {
            "id": pid,
            "role": role,
            "host": socket.gethostname()[:200],
            "pid": os.getpid(),
            "version": pohub.__version__,
            "started_at": started_at,
            "beat_at": now,
            "clock_skew_seconds": skew,
        }
        insert = (sqlite.insert if db.sqlite else postgresql.insert)(ops_processes).values(**values)
        await conn.execute(
            insert.on_conflict_do_update(index_elements=[P.id], set_={"beat_at": now, "clock_skew_seconds": skew})
        )
        await conn.execute(delete(ops_processes).where(P.beat_at < now - FORGET_AFTER))


async def forget(db: Database, *, pid: str) -> None:
    """A clean stop: the process's row goes (a killed one's ages out instead)."""
    async with db.write() as conn:
        await conn.execute(delete(ops_processes).where(P.id == pid))


async def recent(conn: AsyncConnection, *, within: timedelta, role: str | None = None) -> list[Process]:
    """Processes whose last beat is at most ``within`` old."""
    cond = [P.beat_at >= clock.now() - within]
    if role is not None:
        cond.append(P.role == role)
    rows = (await conn.execute(select(ops_processes).where(*cond).order_by(P.role, P.id))).all()
    return [
        Process(r.id, r.role, r.host, r.pid, clock.aware(r.started_at), clock.aware(r.beat_at), r.clock_skew_seconds)
        for r in rows
    ]


async def count_recent(conn: AsyncConnection, *, role: str, within: timedelta) -> int:
    stmt = select(func.count()).where(P.role == role, P.beat_at >= clock.now() - within)
    return int((await conn.execute(stmt)).scalar_one())


@contextlib.asynccontextmanager
async def running(db: Database, *, role: str, every: float, pid: str | None = None) -> AsyncIterator[str]:
    """Beat every ``every`` seconds while the block runs; yields the process id."""
    pid = pid or process_id()
    started = clock.now()
    stopping = asyncio.Event()

    async def loop() -> None:
        failures = 0
        while not stopping.is_set():
            try:
                await beat(db, pid=pid, role=role, started_at=started)
                failures = 0
            except Exception as exc:  # the database being away is for readiness to report, not a crash
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.warning("heartbeat failed (%d in a row): %s", failures, type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), every)

    task = asyncio.create_task(loop(), name=f"pohub-heartbeat-{role}")
    try:
        yield pid
    finally:
        stopping.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(forget(db, pid=pid), timeout=5)
