"""Readiness: can this process do its job right now? Each check is named, so a 503 says which failed.

- database: a query answers within the timeout (and, on SQLite, the file the server opened is still
  at its path: a file moved or deleted under a running server takes writes into a ghost);
- schema: the database is at this pohub's newest migration (a newer one, during a rolling upgrade,
  is fine);
- worker: the embedded worker is running, or, when jobs or deliveries are waiting, some worker
  process has beaten its heartbeat recently.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from pohub.core import clock
from pohub.db.engine import Database
from pohub.ops import heartbeat, schema
from pohub.ops.waiting import work_waiting


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def as_wire(self) -> dict[str, Any]:
        return {"Name": self.name, "Ok": self.ok, "Detail": self.detail}


class NotReady(Exception):
    pass


async def _database(db: Database) -> str:
    if db.sqlite:
        path = make_url(db.url).database
        if path and path != ":memory:":
            # A stat, never an open: closing any descriptor of the file drops every POSIX lock this
            # process holds on it, SQLite's included, and another process's writer then corrupts it.
            try:
                os.stat(path)
            except OSError as exc:
                raise NotReady(f"SQLite file {path} cannot be read: {exc.strerror or exc}") from None
    async with db.read() as conn:
        await conn.execute(text("SELECT 1"))
    return "answers"


async def _schema(db: Database) -> str:
    async with db.read() as conn:
        found = await schema.state(conn)
    if found.behind:
        raise NotReady(found.describe())
    return found.describe()


def _embedded_worker_alive(app_state: Any) -> bool:
    task = getattr(app_state, "worker_task", None)
    return getattr(app_state, "worker", None) is not None and task is not None and not task.done()


async def _worker(db: Database, app_state: Any, heartbeat_seconds: float) -> str:
    if _embedded_worker_alive(app_state):
        return "embedded worker running"
    if getattr(app_state, "worker", None) is not None:
        raise NotReady("the embedded worker has stopped")
    async with db.read() as conn:
        if not await work_waiting(conn, now=clock.now()):
            return "no work waiting"
        within = timedelta(seconds=heartbeat_seconds * 3)
        alive = await heartbeat.count_recent(conn, role="worker", within=within)
    if alive == 0:
        raise NotReady(f"work is waiting and no worker has beaten its heartbeat in {within.total_seconds():g} s")
    return f"{alive} worker(s) alive"


async def run(db: Database, *, app_state: Any, limit: float, heartbeat_seconds: float) -> list[Check]:
    """Every check, each given ``limit`` seconds; later checks are skipped when the database fails."""
    steps: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("database", lambda: _database(db)),
        ("schema", lambda: _schema(db)),
        ("worker", lambda: _worker(db, app_state, heartbeat_seconds)),
    ]
    out: list[Check] = []
    for name, step in steps:
        if out and not out[0].ok:
            out.append(Check(name, False, "skipped: the database is not answering"))
            continue
        try:
            detail = await asyncio.wait_for(step(), limit)
            out.append(Check(name, True, detail))
        except NotReady as exc:
            out.append(Check(name, False, str(exc)))
        except TimeoutError:
            out.append(Check(name, False, f"no answer within {limit:g} s"))
        except Exception as exc:
            out.append(Check(name, False, f"{type(exc).__name__}: {_first_line(exc)}"))
    return out


def _first_line(exc: Exception) -> str:
    text_ = str(exc).strip().splitlines()
    return text_[0][:300] if text_ else ""
